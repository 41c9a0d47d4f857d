"""GraphQL types of the ledger's read model: items and their balances, events with their moves,
lineage links and status changes, the orders and shipments events are recorded against, findings,
the integrity report, and an event as delivered to subscribers once committed."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from ..domain import assembly as DA
from ..domain import composition as DCL
from ..domain import containers as DC
from ..domain import events as DE
from ..domain import models as D
from ..domain.composition import MismatchKind
from ..domain.events import EventType, FindingKind, LinkKind, Source
from ..domain.integrity import IntegrityReport as DIntegrityReport
from ..domain.models import ContainerType, ItemKind, OrderType, Status
from ..domain.query import EventFilter
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .actions import BatchAction, Powder
from .characteristics import CharacteristicResult, result_list
from .classifications import Classification, load_classification, shown_status
from .context import Info
from .errors import ApiError
from .master import Conversion, Location, Material, Organization, conversion_list
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate
from .refs import load_many, load_one, optional_id

# -- items and balances ---------------------------------------------------------------------


@strawberry.type(description="A traceable item: a lot, sub-lot, serial, batch, container or untracked stock.")
class Item:
    id: str = strawberry.field(description="The identifier exactly as captured or given.")
    kind: ItemKind = strawberry.field(description="Lot, sub-lot, serial, batch, container or stock.")
    material_id: strawberry.ID | None = strawberry.field(
        description="Its material's identifier; null for an item first seen in a partner's fact."
    )
    unit: str = strawberry.field(description="The unit every quantity of this item is kept in.")
    lot_code: str | None = strawberry.field(description="The lot number, or the serial number of a serial.")
    parent_id: str | None = strawberry.field(description="The lot a sub-lot or serial belongs to.")
    classification_id: str = strawberry.field(
        description="The code of its classification (its status): a built-in (QC, RELEASED, HOLD, FAIL, "
        "REWORK) or one an organization defined."
    )
    manufactured_at: datetime | None = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(description="When it expires.")
    characteristics: JSON = strawberry.field(
        description="Typed characteristics as a JSON object: name to number, text or boolean."
    )
    conversions: list[Conversion] = strawberry.field(description="Unit conversions this lot overrides.")
    container_type: ContainerType | None = strawberry.field(description="For a container: permanent or logistic.")
    allowed_material_ids: list[strawberry.ID] | None = strawberry.field(
        description="For a container: the only materials that may be packed into it; null: any material."
    )
    origin_known: bool = strawberry.field(
        description="False for an item first seen consumed or shipped in a reported fact."
    )
    created_by_event_id: str | None = strawberry.field(description="The event that created it.")
    first_event_time: datetime | None = strawberry.field(description="When it first took part in an event.")

    @strawberry.field(description="Its material.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, self.material_id, Material.from_model)

    @strawberry.field(
        description="Its characteristics, each with its material's definition and whether it is within the "
        "specification limits: those the material defines first (in its order), then the others by name."
    )
    async def characteristic_results(self, info: Info) -> list[CharacteristicResult]:
        values = dict(self.characteristics) if isinstance(self.characteristics, dict) else {}
        if not values:
            return []
        material = await info.context.loaders.materials.load(self.material_id) if self.material_id else None
        return result_list(material, values)

    @strawberry.field(
        description="What its label's QR code carries: its GS1 Digital Link URI on the configured resolver "
        "(TRACEGRAPH_DIGITAL_LINK_BASE) when it has GS1 keys (an EPC or Digital Link identifier; a lot or "
        "serial of a material whose id is a GTIN; a container whose id or code is an SSCC), else its page "
        "on this server, {TRACEGRAPH_PUBLIC_URL}/items/{id}. Printable at /labels/{id}."
    )
    def label_uri(self, info: Info) -> str:
        return info.context.session.labels.uri_of(self.id, self.kind, self.material_id, self.lot_code)

    @strawberry.field(
        description="Its status as one of the five built-in classifications: its classification's "
        "code for a built-in, else the built-in allowing no more than it does (see `classificationId`)."
    )
    async def status(self, info: Info) -> Status:
        return await shown_status(info, self.classification_id)

    @strawberry.field(description="Its classification: what stock in it may do.")
    async def classification(self, info: Info) -> Classification | None:
        return await load_classification(info, self.classification_id)

    @strawberry.field(description="The lot a sub-lot or serial belongs to.")
    async def parent(self, info: Info) -> Item | None:
        if self.parent_id is None:
            return None
        return await load_one(info.context.loaders.items, self.parent_id, Item.from_model)

    @strawberry.field(description="Where it is on hand: its non-zero balances at real locations.")
    async def on_hand(self, info: Info) -> list[Balance]:
        return [Balance.from_model(b) for b in await info.context.loaders.balances.load(self.id) if not b.virtual]

    @strawberry.field(description="The total on hand over every real location, in its unit.")
    async def quantity_on_hand(self, info: Info) -> float:
        return sum(b.quantity for b in await info.context.loaders.balances.load(self.id) if not b.virtual)

    @strawberry.field(
        description="Every non-zero balance, virtual locations included: what came from "
        "suppliers, went to customers, production, scrap or inventory loss. They sum to zero."
    )
    async def balances(self, info: Info) -> list[Balance]:
        return [Balance.from_model(b) for b in await info.context.loaders.balances.load(self.id)]

    @strawberry.field(description="Every event that touched it, in the order they were recorded.")
    async def events(self, info: Info) -> list[Event]:
        records = await info.context.loaders.events_of_items.load(self.id)  # as the caller may see them
        return [Event.from_model(e) for e in records]

    @strawberry.field(
        description="Its batch actions (print jobs, sieves, blends, tests...): the events with an action that "
        "touched it, in time order. Only events the caller may see."
    )
    async def actions(self, info: Info) -> list[BatchAction]:
        records = await info.context.loaders.events_of_items.load(self.id)  # as the caller may see them
        found = [a for e in sorted(records, key=lambda e: (e.event_time, e.id)) if (a := BatchAction.of(e))]
        return found

    @strawberry.field(
        description="How often its material has been used (reuse count, virgin fraction), computed from its "
        "genealogy as the caller may see it; null for a container."
    )
    async def powder(self, info: Info) -> Powder | None:
        if self.kind is ItemKind.CONTAINER:
            return None
        found = await info.context.session.powder(self.id)
        return None if found is None else Powder.from_model(found)

    @strawberry.field(description="Items one step back: material of each is in this one.")
    async def inputs(self, info: Info) -> list[Item]:
        ids = await info.context.loaders.inputs.load(self.id)  # between items the caller may see
        return await load_many(info.context.loaders.items, ids, Item.from_model)

    @strawberry.field(description="Items one step forward: material of this one is in each.")
    async def outputs(self, info: Info) -> list[Item]:
        ids = await info.context.loaders.outputs.load(self.id)  # between items the caller may see
        return await load_many(info.context.loaders.items, ids, Item.from_model)

    @strawberry.field(description="The event that created it.")
    async def created_by_event(self, info: Info) -> Event | None:
        if self.created_by_event_id is None:
            return None
        found = await info.context.loaders.events.load(self.created_by_event_id)  # as the caller may see it
        return None if found is None else Event.from_model(found)

    @strawberry.field(
        description="For a container: what is in it now, one row per item packed and not unpacked since "
        "(its quantities packed summed, since its earliest pack still standing). Only what the caller may "
        "see; empty for any other item."
    )
    async def contents(self, info: Info) -> list[ContainerContent]:
        if self.kind is not ItemKind.CONTAINER:
            return []
        return [ContainerContent.from_model(c) for c in await info.context.session.container_contents(self.id)]

    @strawberry.field(
        description="For a container: its occupancy history, one row per item packed into it, in the order "
        "packed: when and by which event, and when and by which event it was unpacked (null: still in it). "
        "Corrected events do not count; stays of items or by events the caller may not see are left out. "
        "Empty for any other item."
    )
    async def occupancy(self, info: Info) -> list[ContainerStay]:
        if self.kind is not ItemKind.CONTAINER:
            return []
        return [ContainerStay.from_model(s) for s in await info.context.session.container_stays(self.id)]

    @strawberry.field(
        description="For an assembly: its components now, in the order installed (by a produce of it, or "
        "assemble events), each in its slot if it has one. Only components and events the caller may see."
    )
    async def components(self, info: Info) -> list[AssemblyComponent]:
        found = await info.context.session.component_history(self.id)
        return [AssemblyComponent.from_model(s) for s in found if s.current]

    @strawberry.field(
        description="For an assembly: every component it held, in the order installed, with the events that "
        "installed and took it out (null: still in it). Corrected events do not count; what the caller may "
        "not see is left out."
    )
    async def component_history(self, info: Info) -> list[AssemblyComponent]:
        return [AssemblyComponent.from_model(s) for s in await info.context.session.component_history(self.id)]

    @classmethod
    def from_model(cls, m: D.Item) -> Item:
        return cls(
            id=m.id,
            kind=m.kind,
            material_id=optional_id(m.material_id),
            unit=m.unit,
            lot_code=m.lot_code,
            parent_id=m.parent_id,
            classification_id=m.status,
            manufactured_at=m.manufactured_at,
            expires_at=m.expires_at,
            characteristics=JSON(dict(m.characteristics)),
            conversions=conversion_list(m.conversions),
            container_type=m.container_type,
            allowed_material_ids=None
            if m.allowed_material_ids is None
            else [strawberry.ID(x) for x in m.allowed_material_ids],
            origin_known=m.origin_known,
            created_by_event_id=m.created_by_event,
            first_event_time=m.first_event_time,
        )


@strawberry.type(
    description="A component's stay in an assembly: installed by one event, taken out by another (or still in)."
)
class AssemblyComponent:
    item_id: str = strawberry.field(description="The component.")
    material_id: strawberry.ID | None = strawberry.field(description="Its material.")
    slot: str | None = strawberry.field(description="The slot it fills, if any.")
    quantity: float | None = strawberry.field(description="How much of it, in its unit.")
    installed_at: datetime = strawberry.field(description="When it was installed (the event's time).")
    installed_by_event_id: str = strawberry.field(description="The produce or assemble event that installed it.")
    removed_at: datetime | None = strawberry.field(description="When it was taken out; null: still in.")
    removed_by_event_id: str | None = strawberry.field(description="The disassemble event; null: still in.")

    @strawberry.field(description="The component.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @classmethod
    def from_model(cls, s: DA.ComponentStay) -> AssemblyComponent:
        return cls(
            item_id=s.item_id,
            material_id=optional_id(s.material_id),
            slot=s.slot,
            quantity=s.quantity,
            installed_at=s.installed_at,
            installed_by_event_id=s.installed_by,
            removed_at=s.removed_at,
            removed_by_event_id=s.removed_by,
        )


@strawberry.type(description="An item's stay in a container: packed by one event, unpacked by another (or still in).")
class ContainerStay:
    item_id: str = strawberry.field(description="The item packed.")
    quantity: float | None = strawberry.field(description="How much of it was packed, in its unit.")
    packed_at: datetime = strawberry.field(description="When it was packed (the event's time).")
    packed_by_event_id: str = strawberry.field(description="The PACK event.")
    unpacked_at: datetime | None = strawberry.field(description="When it was unpacked; null: still in the container.")
    unpacked_by_event_id: str | None = strawberry.field(description="The UNPACK event; null: still in the container.")

    @strawberry.field(description="The item packed.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="The PACK event.")
    async def packed_by(self, info: Info) -> Event | None:
        found = await info.context.loaders.events.load(self.packed_by_event_id)
        return None if found is None else Event.from_model(found)

    @strawberry.field(description="The UNPACK event; null: still in the container.")
    async def unpacked_by(self, info: Info) -> Event | None:
        if self.unpacked_by_event_id is None:
            return None
        found = await info.context.loaders.events.load(self.unpacked_by_event_id)
        return None if found is None else Event.from_model(found)

    @classmethod
    def from_model(cls, s: DC.Stay) -> ContainerStay:
        return cls(
            item_id=s.item_id,
            quantity=s.quantity,
            packed_at=s.packed_at,
            packed_by_event_id=s.packed_by,
            unpacked_at=s.unpacked_at,
            unpacked_by_event_id=s.unpacked_by,
        )


@strawberry.type(description="An item in a container now.")
class ContainerContent:
    item_id: str = strawberry.field(description="The item.")
    quantity: float | None = strawberry.field(
        description="How much of it was packed and not unpacked since, in its unit; null when a pack gave none."
    )
    since: datetime = strawberry.field(description="Since when it is in the container: its earliest pack still in.")
    packed_by_event_ids: list[str] = strawberry.field(description="The PACK events that put it there.")

    @strawberry.field(description="The item.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @classmethod
    def from_model(cls, c: DC.Content) -> ContainerContent:
        return cls(item_id=c.item_id, quantity=c.quantity, since=c.since, packed_by_event_ids=list(c.packed_by))


@strawberry.type(description="The quantity of an item at a location, in the item's unit: the sum of its moves.")
class Balance:
    item_id: str = strawberry.field(description="The item's identifier.")
    location_id: strawberry.ID = strawberry.field(description="The location's identifier.")
    material_id: strawberry.ID | None = strawberry.field(description="The item's material.")
    quantity: float = strawberry.field(
        description="Positive at a real location when on hand; at a virtual location, what went there "
        "(positive) or came from there (negative)."
    )
    unit: str = strawberry.field(description="The item's unit.")
    virtual: bool = strawberry.field(description="True at a virtual location.")
    stored_second: strawberry.Private[float]

    @strawberry.field(
        description="The same balance in its material's second unit (`secondUnit`): derived by the lot's own "
        "conversion, or weighed for a catch-weight material; null for a material tracked in one unit."
    )
    async def second_quantity(self, info: Info) -> float | None:
        material = await load_one(info.context.loaders.materials, self.material_id, lambda m: m)
        return self.stored_second if material is not None and material.second_unit else None

    @strawberry.field(description="Its material's second unit; null for a material tracked in one unit.")
    async def second_unit(self, info: Info) -> str | None:
        material = await load_one(info.context.loaders.materials, self.material_id, lambda m: m)
        return material.second_unit if material is not None else None

    @strawberry.field(description="The item.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="The location.")
    async def location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.location_id, Location.from_model)

    @strawberry.field(description="The item's material.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, self.material_id, Material.from_model)

    @classmethod
    def from_model(cls, m: D.Balance) -> Balance:
        return cls(
            item_id=m.item_id,
            location_id=strawberry.ID(m.location_id),
            material_id=optional_id(m.material_id),
            quantity=m.quantity,
            unit=m.unit,
            virtual=m.virtual,
            stored_second=m.second_quantity,
        )


# -- events ---------------------------------------------------------------------------------


@strawberry.type(description="A double-entry move of an item's quantity between two locations.")
class Move:
    item_id: str = strawberry.field(description="The item moved.")
    from_location_id: strawberry.ID = strawberry.field(description="Where it left.")
    to_location_id: strawberry.ID = strawberry.field(description="Where it arrived.")
    quantity: float = strawberry.field(description="How much, in the item's unit.")
    second_quantity: float | None = strawberry.field(
        default=None,
        description="How much in its material's second unit (derived, or weighed for a catch-weight "
        "material); null for a material tracked in one unit.",
    )

    @strawberry.field(description="The item moved.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="Where it left.")
    async def from_location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.from_location_id, Location.from_model)

    @strawberry.field(description="Where it arrived.")
    async def to_location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.to_location_id, Location.from_model)


@strawberry.type(description="`source -> target`: material of the source is in the target.")
class Link:
    source_id: str = strawberry.field(description="The item whose material went in.")
    target_id: str = strawberry.field(description="The item it went into.")
    kind: LinkKind = strawberry.field(description="Issued, consumed, split, merged or packed.")
    quantity: float | None = strawberry.field(description="How much of the source, in its unit.")

    @strawberry.field(description="The item whose material went in.")
    async def source(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.source_id, Item.from_model)

    @strawberry.field(description="The item it went into.")
    async def target(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.target_id, Item.from_model)


@strawberry.type
class ClassificationChange:
    """An item's classification before and after a change, and the statuses they show as: what
    an event's status changes and the `itemStatusChanged` feed have in common."""

    item_id: str = strawberry.field(description="The item.")
    from_classification_id: str = strawberry.field(description="The code of its classification before.")
    to_classification_id: str = strawberry.field(description="The code of its classification after.")

    @strawberry.field(description="Its status before, as a built-in (see `Item.status`).")
    async def from_status(self, info: Info) -> Status:
        return await shown_status(info, self.from_classification_id)

    @strawberry.field(description="Its status after, as a built-in (see `Item.status`).")
    async def to_status(self, info: Info) -> Status:
        return await shown_status(info, self.to_classification_id)


@strawberry.type(description="An item's status, changed by a reclassification (or its correction).")
class StatusChange(ClassificationChange):
    @strawberry.field(description="The item.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)


@strawberry.type(description="A component installed into an assembly, or taken out of it, by an event.")
class ComponentChange:
    assembly_id: str = strawberry.field(description="The assembly.")
    item_id: str = strawberry.field(description="The component.")
    installed: bool = strawberry.field(description="True: installed; false: taken out.")
    material_id: strawberry.ID | None = strawberry.field(description="The component's material.")
    slot: str | None = strawberry.field(description="Its slot, if any.")
    quantity: float | None = strawberry.field(description="How much of it, in its unit.")


strawberry.enum(MismatchKind, name="CompositionMismatchKind", description="How an event differs from its list.")


@strawberry.type(description="One way a production or assembly differs from its composition list.")
class CompositionMismatch:
    kind: MismatchKind = strawberry.field(description="Missing, extra, wrong material, or quantity.")
    message: str = strawberry.field(description="What differs, naming the component.")
    material_id: strawberry.ID | None = strawberry.field(description="The material concerned.")
    slot: str | None = strawberry.field(description="The slot concerned, if any.")
    item_id: str | None = strawberry.field(description="The item used, if any.")
    input_index: int | None = strawberry.field(description="The index of the input line at fault, if any.")
    expected: float | None = strawberry.field(description="The quantity the list expects, in base units.")
    actual: float | None = strawberry.field(description="The quantity used, in base units.")

    @classmethod
    def from_model(cls, m: DCL.Mismatch) -> CompositionMismatch:
        return cls(
            kind=m.kind,
            message=m.message,
            material_id=optional_id(m.material_id),
            slot=m.slot,
            item_id=m.item_id,
            input_index=m.line,
            expected=m.expected,
            actual=m.actual,
        )


@strawberry.type(description="A production or assembly compared with the composition list it named.")
class CompositionCheck:
    composition_id: strawberry.ID = strawberry.field(description="The list.")
    ok: bool = strawberry.field(description="True when nothing differs.")
    mismatches: list[CompositionMismatch] = strawberry.field(description="Every difference found.")

    @strawberry.field(description="Components of the list not used, slots left empty.")
    def missing(self) -> list[CompositionMismatch]:
        return [m for m in self.mismatches if m.kind is MismatchKind.MISSING]

    @strawberry.field(description="Materials the list does not name, slots it has not, a slot given twice.")
    def extra(self) -> list[CompositionMismatch]:
        return [m for m in self.mismatches if m.kind is MismatchKind.EXTRA]

    @strawberry.field(description="Slots given a serial of another material; a product not the list's.")
    def wrong_material(self) -> list[CompositionMismatch]:
        return [m for m in self.mismatches if m.kind is MismatchKind.WRONG_MATERIAL]

    @strawberry.field(description="Components used in a quantity outside the list's tolerance.")
    def quantity(self) -> list[CompositionMismatch]:
        return [m for m in self.mismatches if m.kind is MismatchKind.QUANTITY]

    @classmethod
    def from_model(cls, c: DCL.CompositionCheck) -> CompositionCheck:
        return cls(
            composition_id=strawberry.ID(c.composition_id),
            ok=c.ok,
            mismatches=[CompositionMismatch.from_model(m) for m in c.mismatches],
        )


@strawberry.type(description="An event of the ledger: immutable once recorded. A correction is a new event.")
class Event:
    id: str = strawberry.field(description="The event's identifier: as given, else a digest of its content.")
    type: EventType = strawberry.field(description="What it did.")
    source: Source = strawberry.field(description="A checked command, or a reported fact.")
    event_time: datetime = strawberry.field(description="When it happened.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    location_id: strawberry.ID | None = strawberry.field(description="Where it happened.")
    order_id: strawberry.ID | None = strawberry.field(description="The order it belongs to.")
    shipment_id: strawberry.ID | None = strawberry.field(description="The shipment it belongs to.")
    partner_id: strawberry.ID | None = strawberry.field(description="The partner it concerns.")
    biz_step: str | None = strawberry.field(description="The business step (CBV), if given.")
    disposition: str | None = strawberry.field(description="The disposition (CBV), if given.")
    reason: str | None = strawberry.field(description="Why, in words.")
    recorded_by: str | None = strawberry.field(description="Who recorded it.")
    reverses_id: str | None = strawberry.field(description="For a correction: the event it reverses.")
    item_ids: list[str] = strawberry.field(description="Every item it touched.")
    moves: list[Move] = strawberry.field(description="Its double-entry moves.")
    links: list[Link] = strawberry.field(description="The lineage it created.")
    status_changes: list[StatusChange] = strawberry.field(description="The status changes it made.")
    component_changes: list[ComponentChange] = strawberry.field(
        description="Components it installed into assemblies or took out of them."
    )
    composition_check: CompositionCheck | None = strawberry.field(
        description="For a produce or assemble that named a composition list: how it compared; null otherwise."
    )
    action: BatchAction | None = strawberry.field(description="The batch action it recorded, if any.")

    @strawberry.field(description="Every item it touched.")
    async def items(self, info: Info) -> list[Item]:
        return await load_many(info.context.loaders.items, self.item_ids, Item.from_model)

    @strawberry.field(description="Where it happened.")
    async def location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.location_id, Location.from_model)

    @strawberry.field(description="The order it belongs to.")
    async def order(self, info: Info) -> Order | None:
        return await load_one(info.context.loaders.orders, self.order_id, Order.from_model)

    @strawberry.field(description="The shipment it belongs to.")
    async def shipment(self, info: Info) -> Shipment | None:
        return await load_one(info.context.loaders.shipments, self.shipment_id, Shipment.from_model)

    @strawberry.field(description="The partner it concerns.")
    async def partner(self, info: Info) -> Organization | None:
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="For a correction: the event it reverses.")
    async def reverses(self, info: Info) -> Event | None:
        return await load_one(info.context.loaders.events, self.reverses_id, Event.from_model)

    @classmethod
    def from_model(cls, m: DE.EventRecord) -> Event:
        return cls(
            id=m.id,
            type=m.type,
            source=m.source,
            event_time=m.event_time,
            recorded_at=m.recorded_at,
            location_id=optional_id(m.location_id),
            order_id=optional_id(m.order_id),
            shipment_id=optional_id(m.shipment_id),
            partner_id=optional_id(m.partner_id),
            biz_step=m.biz_step,
            disposition=m.disposition,
            reason=m.reason,
            recorded_by=m.recorded_by,
            reverses_id=m.reverses,
            item_ids=list(m.item_ids),
            moves=[
                Move(
                    item_id=x.item_id,
                    from_location_id=strawberry.ID(x.from_location_id),
                    to_location_id=strawberry.ID(x.to_location_id),
                    quantity=x.quantity,
                    second_quantity=x.second_quantity,
                )
                for x in m.moves
            ],
            links=[
                Link(source_id=x.source_id, target_id=x.target_id, kind=x.kind, quantity=x.quantity) for x in m.links
            ],
            status_changes=[
                StatusChange(item_id=x.item_id, from_classification_id=x.from_status, to_classification_id=x.to_status)
                for x in m.status_changes
            ],
            component_changes=[
                ComponentChange(
                    assembly_id=x.assembly_id,
                    item_id=x.item_id,
                    installed=x.installed,
                    material_id=optional_id(x.material_id),
                    slot=x.slot,
                    quantity=x.quantity,
                )
                for x in m.component_changes
            ],
            composition_check=None if m.composition_check is None else CompositionCheck.from_model(m.composition_check),
            action=BatchAction.of(m),
        )


# -- documents ------------------------------------------------------------------------------


@strawberry.type(description="A purchase, production or sales order.")
class Order:
    id: strawberry.ID = strawberry.field(description="The order's identifier.")
    type: OrderType = strawberry.field(description="Purchase, production or sales.")
    partner_id: strawberry.ID | None = strawberry.field(description="The partner it is with.")
    reference: str | None = strawberry.field(description="A reference, such as the partner's order number.")

    @strawberry.field(description="The partner it is with.")
    async def partner(self, info: Info) -> Organization | None:
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="The events recorded against it, in the order they were recorded.")
    async def events(self, info: Info, first: First = DEFAULT_FIRST, after: After = None) -> Connection[Event]:
        return await event_connection(info, EventFilter(order_id=self.id), first, after)

    @classmethod
    def from_model(cls, m: D.Order) -> Order:
        return cls(id=strawberry.ID(m.id), type=m.type, partner_id=optional_id(m.partner_id), reference=m.reference)


@strawberry.type(description="What left, when, for which partner and location, against which order.")
class Shipment:
    id: strawberry.ID = strawberry.field(description="The shipment's identifier.")
    order_id: strawberry.ID | None = strawberry.field(description="The order it delivers.")
    partner_id: strawberry.ID | None = strawberry.field(description="The partner it went to.")
    destination_id: strawberry.ID | None = strawberry.field(description="The location it went to.")
    shipped_at: datetime | None = strawberry.field(description="When it left.")

    @strawberry.field(description="The order it delivers.")
    async def order(self, info: Info) -> Order | None:
        return await load_one(info.context.loaders.orders, self.order_id, Order.from_model)

    @strawberry.field(description="The partner it went to.")
    async def partner(self, info: Info) -> Organization | None:
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="The location it went to.")
    async def destination(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.destination_id, Location.from_model)

    @strawberry.field(description="Its events, in the order they were recorded.")
    async def events(self, info: Info, first: First = DEFAULT_FIRST, after: After = None) -> Connection[Event]:
        return await event_connection(info, EventFilter(shipment_id=self.id), first, after)

    @classmethod
    def from_model(cls, m: D.Shipment) -> Shipment:
        return cls(
            id=strawberry.ID(m.id),
            order_id=optional_id(m.order_id),
            partner_id=optional_id(m.partner_id),
            destination_id=optional_id(m.destination_id),
            shipped_at=m.shipped_at,
        )


# -- findings and the integrity check -------------------------------------------------------


@strawberry.type(description="An imbalance a reported fact brought into the ledger, kept for review.")
class Finding:
    id: str = strawberry.field(description="The finding's identifier.")
    kind: FindingKind = strawberry.field(description="What kind of imbalance.")
    message: str = strawberry.field(description="What happened, for a person to read.")
    event_id: str = strawberry.field(description="The event that brought it in.")
    item_id: str | None = strawberry.field(description="The item concerned.")
    location_id: strawberry.ID | None = strawberry.field(description="The location concerned.")
    quantity: float | None = strawberry.field(description="The quantity concerned, in the item's unit.")

    @strawberry.field(description="The event that brought it in.")
    async def event(self, info: Info) -> Event | None:
        return await load_one(info.context.loaders.events, self.event_id, Event.from_model)

    @strawberry.field(description="The item concerned.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @classmethod
    def from_model(cls, m: DE.Finding) -> Finding:
        return cls(
            id=m.id,
            kind=m.kind,
            message=m.message,
            event_id=m.event_id,
            item_id=m.item_id,
            location_id=optional_id(m.location_id),
            quantity=m.quantity,
        )


@strawberry.type(description="An item whose balances over all locations do not sum to zero.")
class Imbalance:
    item_id: str = strawberry.field(description="The item.")
    total: float = strawberry.field(description="What its balances sum to.")
    second_total: float = strawberry.field(
        description="What its balances in its material's second unit sum to (0 for one unit)."
    )


@strawberry.type(description="The integrity check: conservation, dangling references, findings.")
class IntegrityReport:
    ok: bool = strawberry.field(description="True when nothing is imbalanced and nothing dangles.")
    item_count: int = strawberry.field(description="Items in the ledger.")
    event_count: int = strawberry.field(description="Events in the ledger.")
    imbalances: list[Imbalance] = strawberry.field(description="Items whose balances do not sum to zero.")
    dangling: list[str] = strawberry.field(description="References to nodes that do not exist, described.")
    finding_count: int = strawberry.field(description="Findings kept from reported facts (see `findings`).")

    @classmethod
    def from_model(cls, m: DIntegrityReport) -> IntegrityReport:
        return cls(
            ok=m.ok,
            item_count=m.items,
            event_count=m.events,
            imbalances=[Imbalance(item_id=x.item_id, total=x.total, second_total=x.second_total) for x in m.imbalances],
            dangling=list(m.dangling),
            finding_count=len(m.findings),
        )


# -- live events ----------------------------------------------------------------------------


@strawberry.type(description="An event, delivered to subscribers once it is committed.")
class RecordedEvent:
    id: str = strawberry.field(
        description="The event's identifier: an EPCIS eventID (or its event hash) as "
        "captured, or the id a mutation gave."
    )
    type: EventType = strawberry.field(description="What it did.")
    source: Source = strawberry.field(description="A checked command, or a reported fact.")
    event_time: datetime = strawberry.field(description="When it happened.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    item_ids: list[str] = strawberry.field(description="Every item it touched.")
    location_id: strawberry.ID | None = strawberry.field(description="Where it happened.")
    event: Event = strawberry.field(description="The whole event.")
    findings: list[Finding] = strawberry.field(description="Imbalances a reported fact brought in.")

    @classmethod
    def from_entry(cls, entry: DE.LedgerEntry) -> RecordedEvent:
        e = entry.event
        return cls(
            id=e.id,
            type=e.type,
            source=e.source,
            event_time=e.event_time,
            recorded_at=e.recorded_at,
            item_ids=list(e.item_ids),
            location_id=optional_id(e.location_id),
            event=Event.from_model(e),
            findings=[Finding.from_model(f) for f in entry.findings],
        )


# -- the events of a list -------------------------------------------------------------------


async def event_connection(info: Info, filt: EventFilter, first: int, after: str | None) -> Connection[Event]:
    """Events matching a filter in commit order, as the caller may see them; the cursor is the
    event's sequence number."""
    session = info.context.session

    async def fetch(after_key: str | None, n: int) -> list[tuple[int, DE.EventRecord]]:
        if after_key is not None and not after_key.isdigit():
            raise ApiError("`after` is not a cursor of this list", field="after")
        return await session.events(filt, int(after_key) if after_key else None, n)

    return await paginate("event", first, after, fetch, lambda row: row[0], lambda row: Event.from_model(row[1]))
