"""GraphQL types of the master data: organizations, materials with their unit conversions,
and locations."""

from __future__ import annotations

import strawberry

from ..domain import composition as DC
from ..domain import models as D
from ..domain.composition import OnMismatch
from ..domain.models import LocationKind, MaterialKind, Tracking, VirtualKind
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .characteristics import CharacteristicDefinition, definition_list
from .context import Info
from .refs import load_one, optional_id


@strawberry.type(description="A company: the owner of data, a supplier, a customer or a co-packer.")
class Organization:
    id: strawberry.ID = strawberry.field(description="The organization's identifier.")
    name: str = strawberry.field(description="Its name.")

    @classmethod
    def from_model(cls, m: D.Organization) -> Organization:
        return cls(id=strawberry.ID(m.id), name=m.name)


@strawberry.type(description="How many base units one unit is, e.g. 1 CASE = 12 KG.")
class Conversion:
    unit: str = strawberry.field(description="The unit converted from.")
    factor: float = strawberry.field(description="Base units in one of it.")


def conversion_list(table: dict[str, float]) -> list[Conversion]:
    return [Conversion(unit=u, factor=f) for u, f in sorted(table.items())]


@strawberry.type(description="A product, resource or SKU.")
class Material:
    id: strawberry.ID = strawberry.field(description="The material's identifier.")
    name: str = strawberry.field(description="Its name.")
    tracking: Tracking = strawberry.field(description="Whether its items are lots, serials, or untracked stock.")
    base_unit: str = strawberry.field(description="The unit of measure its quantities are kept in.")
    kind: MaterialKind = strawberry.field(description="Raw, intermediate, product, packaging or by-product.")
    shelf_life_days: int | None = strawberry.field(description="Days from manufacture to expiry, if any.")
    min_remaining_shelf_life_days: int | None = strawberry.field(
        description="Days a lot must have left before its expiry to ship; null: none required."
    )
    expiry_warning_days: int | None = strawberry.field(
        description="Days before its expiry from which a lot is near expiry; null: not warned."
    )
    conversions: list[Conversion] = strawberry.field(description="Units that convert into the base unit.")
    second_unit: str | None = strawberry.field(
        description="A second unit every balance of its items is kept in too (e.g. CASE beside KG); null: one unit."
    )
    catch_weight: bool = strawberry.field(
        description="Both quantities are weighed (recorded) on every receipt and output, not derived: "
        "`secondQuantity` is required there."
    )
    characteristic_definitions: list[CharacteristicDefinition] = strawberry.field(
        description="What its items' characteristics hold (type, unit, value table, specification limits); "
        "empty: any value (see defineCharacteristics)."
    )

    @strawberry.field(description="Its composition lists (bills of materials) you may see, by id.")
    async def composition_lists(self, info: Info) -> list[CompositionList]:
        found = await info.context.session.composition_lists_of([str(self.id)])
        return [CompositionList.from_model(c) for c in found]

    @classmethod
    def from_model(cls, m: D.Material) -> Material:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            tracking=m.tracking,
            base_unit=m.base_unit,
            kind=m.kind,
            shelf_life_days=m.shelf_life_days,
            min_remaining_shelf_life_days=m.min_remaining_shelf_life_days,
            expiry_warning_days=m.expiry_warning_days,
            conversions=conversion_list(m.conversions),
            second_unit=m.second_unit,
            catch_weight=m.catch_weight,
            characteristic_definitions=definition_list(m),
        )


@strawberry.type(
    description="A component of a composition list: a quantity of a material per `basis` units of the "
    "product, or one serial of it in a named slot."
)
class Component:
    material_id: strawberry.ID = strawberry.field(description="Its material.")
    quantity: float = strawberry.field(description="How much per `basis` units of the product (1 for a slot).")
    unit: str | None = strawberry.field(description="The unit of `quantity`; null: the material's base unit.")
    slot: str | None = strawberry.field(description="The named slot it fills (FRONT, right engine), if any.")

    @strawberry.field(description="Its material.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, str(self.material_id), Material.from_model)


strawberry.enum(
    OnMismatch,
    name="CompositionMismatchAction",
    description="What a production or assembly that does not match its list does: REFUSE (the command "
    "is refused) or FINDING (recorded, with a COMPOSITION_MISMATCH finding per mismatch).",
)


@strawberry.type(
    description="A composition list (bill of materials) of a product: components per `basis` units of it, "
    "optionally in named slots. A produce or assemble naming it (`compositionId`) is compared with it."
)
class CompositionList:
    id: strawberry.ID = strawberry.field(description="Its identifier.")
    material_id: strawberry.ID = strawberry.field(description="The product it makes.")
    name: str | None = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(description="What it is for.")
    basis: float = strawberry.field(description="Components are given per this many base units of the product.")
    components: list[Component] = strawberry.field(description="Its components, in order.")
    on_mismatch: OnMismatch = strawberry.field(description="What a mismatch does: REFUSE or FINDING.")
    tolerance_percent: float = strawberry.field(
        description="How far (in % of the expected quantity, either way) a component's quantity may be off."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner organization it is shared with, which may see and use it."
    )

    @strawberry.field(description="The product it makes.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, str(self.material_id), Material.from_model)

    @classmethod
    def from_model(cls, m: DC.CompositionList) -> CompositionList:
        return cls(
            id=strawberry.ID(m.id),
            material_id=strawberry.ID(m.material_id),
            name=m.name,
            description=m.description,
            basis=m.basis,
            components=[
                Component(material_id=strawberry.ID(c.material_id), quantity=c.quantity, unit=c.unit, slot=c.slot)
                for c in m.components
            ],
            on_mismatch=m.on_mismatch,
            tolerance_percent=m.tolerance_percent,
            partner_id=optional_id(m.partner_id),
        )


@strawberry.type(
    description="A place in the location tree (site, area, location), or a virtual location "
    "that absorbs the other side of a move: supplier, customer, production, scrap, "
    "inventory loss, transit, unknown origin."
)
class Location:
    id: strawberry.ID = strawberry.field(description="The location's identifier.")
    name: str = strawberry.field(description="Its name.")
    kind: LocationKind = strawberry.field(description="Site, area, location, or virtual.")
    virtual: VirtualKind | None = strawberry.field(description="What a virtual location stands for; null if real.")
    parent_id: strawberry.ID | None = strawberry.field(description="The enclosing location's identifier.")
    partner_id: strawberry.ID | None = strawberry.field(description="The partner a partner location belongs to.")

    @strawberry.field(description="True for a virtual location.")
    def is_virtual(self) -> bool:
        return self.virtual is not None

    @strawberry.field(description="The enclosing location.")
    async def parent(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.parent_id, Location.from_model)

    @strawberry.field(description="The partner a partner location belongs to.")
    async def partner(self, info: Info) -> Organization | None:
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @classmethod
    def from_model(cls, m: D.Location) -> Location:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            kind=m.kind,
            virtual=m.virtual,
            parent_id=optional_id(m.parent_id),
            partner_id=optional_id(m.partner_id),
        )
