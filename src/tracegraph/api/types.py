"""GraphQL object types: each wraps a domain model; references resolve through DataLoaders."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Generic, TypeAlias, TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from ..domain import events as DE
from ..domain import models as D
from ..domain import trace as DT
from ..domain.events import EventType, FindingKind, LinkKind, Source
from ..domain.integrity import IntegrityReport as DIntegrityReport
from ..domain.models import (
    ContainerType,
    ItemKind,
    LocationKind,
    MaterialKind,
    OrderType,
    Status,
    Tracking,
    VirtualKind,
)
from ..domain.query import Direction, EventFilter
from ..services.ledger import MAX_PAGE
from ..services.trace import TraceResult
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .context import Info
from .errors import ApiError, UserError

T = TypeVar("T")
M = TypeVar("M")
K = TypeVar("K")

# Page arguments of every list (Relay connections, below).
MAX_FIRST = MAX_PAGE
DEFAULT_FIRST = 50
First: TypeAlias = Annotated[int, strawberry.argument(description=f"How many to return: 1 to {MAX_FIRST}.")]
After: TypeAlias = Annotated[str | None, strawberry.argument(description="The `endCursor` of the page before.")]


async def _one(loader: DataLoader[K, M | None], key: K | None, wrap: Callable[[M], T]) -> T | None:
    if key is None:
        return None
    found = await loader.load(key)
    return None if found is None else wrap(found)


async def _many(loader: DataLoader[K, M | None], keys: Sequence[K], wrap: Callable[[M], T]) -> list[T]:
    return [wrap(x) for x in await loader.load_many(keys) if x is not None]


# -- master data ----------------------------------------------------------------------------


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


def _conversions(table: dict[str, float]) -> list[Conversion]:
    return [Conversion(unit=u, factor=f) for u, f in sorted(table.items())]


@strawberry.type(description="A product, resource or SKU.")
class Material:
    id: strawberry.ID = strawberry.field(description="The material's identifier.")
    name: str = strawberry.field(description="Its name.")
    tracking: Tracking = strawberry.field(description="Whether its items are lots, serials, or untracked stock.")
    base_unit: str = strawberry.field(description="The unit of measure its quantities are kept in.")
    kind: MaterialKind = strawberry.field(description="Raw, intermediate, product, packaging or by-product.")
    shelf_life_days: int | None = strawberry.field(description="Days from manufacture to expiry, if any.")
    conversions: list[Conversion] = strawberry.field(description="Units that convert into the base unit.")

    @classmethod
    def from_model(cls, m: D.Material) -> Material:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            tracking=m.tracking,
            base_unit=m.base_unit,
            kind=m.kind,
            shelf_life_days=m.shelf_life_days,
            conversions=_conversions(m.conversions),
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
        return await _one(info.context.loaders.locations, self.parent_id, Location.from_model)

    @strawberry.field(description="The partner a partner location belongs to.")
    async def partner(self, info: Info) -> Organization | None:
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @classmethod
    def from_model(cls, m: D.Location) -> Location:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            kind=m.kind,
            virtual=m.virtual,
            parent_id=_id(m.parent_id),
            partner_id=_id(m.partner_id),
        )


def _id(value: str | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(value)


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
    status: Status = strawberry.field(description="Its classification: QC, RELEASED, HOLD, FAIL, REWORK.")
    manufactured_at: datetime | None = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(description="When it expires.")
    characteristics: JSON = strawberry.field(
        description="Typed characteristics as a JSON object: name to number, text or boolean."
    )
    conversions: list[Conversion] = strawberry.field(description="Unit conversions this lot overrides.")
    container_type: ContainerType | None = strawberry.field(description="For a container: permanent or logistic.")
    origin_known: bool = strawberry.field(
        description="False for an item first seen consumed or shipped in a reported fact."
    )
    created_by_event_id: str | None = strawberry.field(description="The event that created it.")
    first_event_time: datetime | None = strawberry.field(description="When it first took part in an event.")

    @strawberry.field(description="Its material.")
    async def material(self, info: Info) -> Material | None:
        return await _one(info.context.loaders.materials, self.material_id, Material.from_model)

    @strawberry.field(description="The lot a sub-lot or serial belongs to.")
    async def parent(self, info: Info) -> Item | None:
        if self.parent_id is None:
            return None
        return await _one(info.context.loaders.items, self.parent_id, Item.from_model)

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

    @strawberry.field(description="Items one step back: material of each is in this one.")
    async def inputs(self, info: Info) -> list[Item]:
        ids = await info.context.loaders.inputs.load(self.id)  # between items the caller may see
        return await _many(info.context.loaders.items, ids, Item.from_model)

    @strawberry.field(description="Items one step forward: material of this one is in each.")
    async def outputs(self, info: Info) -> list[Item]:
        ids = await info.context.loaders.outputs.load(self.id)  # between items the caller may see
        return await _many(info.context.loaders.items, ids, Item.from_model)

    @strawberry.field(description="The event that created it.")
    async def created_by_event(self, info: Info) -> Event | None:
        if self.created_by_event_id is None:
            return None
        found = await info.context.loaders.events.load(self.created_by_event_id)  # as the caller may see it
        return None if found is None else Event.from_model(found)

    @classmethod
    def from_model(cls, m: D.Item) -> Item:
        return cls(
            id=m.id,
            kind=m.kind,
            material_id=_id(m.material_id),
            unit=m.unit,
            lot_code=m.lot_code,
            parent_id=m.parent_id,
            status=m.status,
            manufactured_at=m.manufactured_at,
            expires_at=m.expires_at,
            characteristics=JSON(dict(m.characteristics)),
            conversions=_conversions(m.conversions),
            container_type=m.container_type,
            origin_known=m.origin_known,
            created_by_event_id=m.created_by_event,
            first_event_time=m.first_event_time,
        )


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

    @strawberry.field(description="The item.")
    async def item(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="The location.")
    async def location(self, info: Info) -> Location | None:
        return await _one(info.context.loaders.locations, self.location_id, Location.from_model)

    @strawberry.field(description="The item's material.")
    async def material(self, info: Info) -> Material | None:
        return await _one(info.context.loaders.materials, self.material_id, Material.from_model)

    @classmethod
    def from_model(cls, m: D.Balance) -> Balance:
        return cls(
            item_id=m.item_id,
            location_id=strawberry.ID(m.location_id),
            material_id=_id(m.material_id),
            quantity=m.quantity,
            unit=m.unit,
            virtual=m.virtual,
        )


# -- events ---------------------------------------------------------------------------------


@strawberry.type(description="A double-entry move of an item's quantity between two locations.")
class Move:
    item_id: str = strawberry.field(description="The item moved.")
    from_location_id: strawberry.ID = strawberry.field(description="Where it left.")
    to_location_id: strawberry.ID = strawberry.field(description="Where it arrived.")
    quantity: float = strawberry.field(description="How much, in the item's unit.")

    @strawberry.field(description="The item moved.")
    async def item(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="Where it left.")
    async def from_location(self, info: Info) -> Location | None:
        return await _one(info.context.loaders.locations, self.from_location_id, Location.from_model)

    @strawberry.field(description="Where it arrived.")
    async def to_location(self, info: Info) -> Location | None:
        return await _one(info.context.loaders.locations, self.to_location_id, Location.from_model)


@strawberry.type(description="`source -> target`: material of the source is in the target.")
class Link:
    source_id: str = strawberry.field(description="The item whose material went in.")
    target_id: str = strawberry.field(description="The item it went into.")
    kind: LinkKind = strawberry.field(description="Issued, consumed, split, merged or packed.")
    quantity: float | None = strawberry.field(description="How much of the source, in its unit.")

    @strawberry.field(description="The item whose material went in.")
    async def source(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.source_id, Item.from_model)

    @strawberry.field(description="The item it went into.")
    async def target(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.target_id, Item.from_model)


@strawberry.type(description="An item's status, changed by a reclassification (or its correction).")
class StatusChange:
    item_id: str = strawberry.field(description="The item.")
    from_status: Status = strawberry.field(description="Its status before.")
    to_status: Status = strawberry.field(description="Its status after.")

    @strawberry.field(description="The item.")
    async def item(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.item_id, Item.from_model)


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

    @strawberry.field(description="Every item it touched.")
    async def items(self, info: Info) -> list[Item]:
        return await _many(info.context.loaders.items, self.item_ids, Item.from_model)

    @strawberry.field(description="Where it happened.")
    async def location(self, info: Info) -> Location | None:
        return await _one(info.context.loaders.locations, self.location_id, Location.from_model)

    @strawberry.field(description="The order it belongs to.")
    async def order(self, info: Info) -> Order | None:
        return await _one(info.context.loaders.orders, self.order_id, Order.from_model)

    @strawberry.field(description="The shipment it belongs to.")
    async def shipment(self, info: Info) -> Shipment | None:
        return await _one(info.context.loaders.shipments, self.shipment_id, Shipment.from_model)

    @strawberry.field(description="The partner it concerns.")
    async def partner(self, info: Info) -> Organization | None:
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="For a correction: the event it reverses.")
    async def reverses(self, info: Info) -> Event | None:
        return await _one(info.context.loaders.events, self.reverses_id, Event.from_model)

    @classmethod
    def from_model(cls, m: DE.EventRecord) -> Event:
        return cls(
            id=m.id,
            type=m.type,
            source=m.source,
            event_time=m.event_time,
            recorded_at=m.recorded_at,
            location_id=_id(m.location_id),
            order_id=_id(m.order_id),
            shipment_id=_id(m.shipment_id),
            partner_id=_id(m.partner_id),
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
                )
                for x in m.moves
            ],
            links=[
                Link(source_id=x.source_id, target_id=x.target_id, kind=x.kind, quantity=x.quantity) for x in m.links
            ],
            status_changes=[
                StatusChange(item_id=x.item_id, from_status=x.from_status, to_status=x.to_status)
                for x in m.status_changes
            ],
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
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="The events recorded against it, in the order they were recorded.")
    async def events(self, info: Info, first: First = DEFAULT_FIRST, after: After = None) -> Connection[Event]:
        return await event_connection(info, EventFilter(order_id=self.id), first, after)

    @classmethod
    def from_model(cls, m: D.Order) -> Order:
        return cls(id=strawberry.ID(m.id), type=m.type, partner_id=_id(m.partner_id), reference=m.reference)


@strawberry.type(description="What left, when, for which partner and location, against which order.")
class Shipment:
    id: strawberry.ID = strawberry.field(description="The shipment's identifier.")
    order_id: strawberry.ID | None = strawberry.field(description="The order it delivers.")
    partner_id: strawberry.ID | None = strawberry.field(description="The partner it went to.")
    destination_id: strawberry.ID | None = strawberry.field(description="The location it went to.")
    shipped_at: datetime | None = strawberry.field(description="When it left.")

    @strawberry.field(description="The order it delivers.")
    async def order(self, info: Info) -> Order | None:
        return await _one(info.context.loaders.orders, self.order_id, Order.from_model)

    @strawberry.field(description="The partner it went to.")
    async def partner(self, info: Info) -> Organization | None:
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @strawberry.field(description="The location it went to.")
    async def destination(self, info: Info) -> Location | None:
        return await _one(info.context.loaders.locations, self.destination_id, Location.from_model)

    @strawberry.field(description="Its events, in the order they were recorded.")
    async def events(self, info: Info, first: First = DEFAULT_FIRST, after: After = None) -> Connection[Event]:
        return await event_connection(info, EventFilter(shipment_id=self.id), first, after)

    @classmethod
    def from_model(cls, m: D.Shipment) -> Shipment:
        return cls(
            id=strawberry.ID(m.id),
            order_id=_id(m.order_id),
            partner_id=_id(m.partner_id),
            destination_id=_id(m.destination_id),
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
        return await _one(info.context.loaders.events, self.event_id, Event.from_model)

    @strawberry.field(description="The item concerned.")
    async def item(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.item_id, Item.from_model)

    @classmethod
    def from_model(cls, m: DE.Finding) -> Finding:
        return cls(
            id=m.id,
            kind=m.kind,
            message=m.message,
            event_id=m.event_id,
            item_id=m.item_id,
            location_id=_id(m.location_id),
            quantity=m.quantity,
        )


@strawberry.type(description="An item whose balances over all locations do not sum to zero.")
class Imbalance:
    item_id: str = strawberry.field(description="The item.")
    total: float = strawberry.field(description="What its balances sum to.")


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
            imbalances=[Imbalance(item_id=x.item_id, total=x.total) for x in m.imbalances],
            dangling=list(m.dangling),
            finding_count=len(m.findings),
        )


# -- the trace ------------------------------------------------------------------------------


@strawberry.type(description="`source -> target` as the trace walked it: material of source is in target.")
class TraceEdge:
    source: str = strawberry.field(description="The item whose material went in.")
    target: str = strawberry.field(description="The item it went into.")


@strawberry.type(description="A lineage link between two items of a trace, with its event and quantity.")
class TraceLink:
    source: str = strawberry.field(description="The item whose material went in.")
    target: str = strawberry.field(description="The item it went into (or touched, for CONTACT).")
    kind: LinkKind = strawberry.field(
        description="Consumed, issued, split, merged, packed, or CONTACT through a permanent container."
    )
    quantity: float | None = strawberry.field(description="How much of the source, in its unit.")
    event_id: str | None = strawberry.field(description="The event that made the link.")
    event_time: datetime | None = strawberry.field(description="When it happened.")
    via: str | None = strawberry.field(description="For CONTACT: the container both were in.")

    @classmethod
    def from_model(cls, x: DT.LineageLink) -> TraceLink:
        return cls(
            source=x.source_id,
            target=x.target_id,
            kind=x.kind,
            quantity=x.quantity,
            event_id=x.event_id,
            event_time=x.event_time,
            via=x.via,
        )


@strawberry.type(description="Something that keeps a trace's quantities from adding up.")
class TraceGap:
    item_id: str = strawberry.field(description="The item at fault.")
    kind: str = strawberry.field(
        description="NO_ORIGIN_QUANTITY: no recorded receipt or production; "
        "UNACCOUNTED: quantity with no recorded fate; OVER_ACCOUNTED: more went out than "
        "came in; CYCLE: a link closing a cycle, whose quantity is not carried."
    )
    quantity: float = strawberry.field(description="How much, in the item's unit.")
    message: str = strawberry.field(description="What is wrong, for a person to read.")


@strawberry.type(description="The mass balance of a trace from one root: where its quantity went.")
class MassBalance:
    root_id: str = strawberry.field(description="The root item.")
    root_quantity: float = strawberry.field(description="What was received or produced of it, in its unit.")
    accounted: float | None = strawberry.field(
        description="FORWARD: the share (0 to 1) of the root's quantity whose fate is recorded — on hand, "
        "shipped, scrapped or lost, as itself or in what it became. 1.0 when the ledger is complete."
    )
    on_hand: float = strawberry.field(description="FORWARD: root quantity still on hand, in the root's unit.")
    shipped: float = strawberry.field(description="FORWARD: root quantity shipped.")
    scrapped: float = strawberry.field(description="FORWARD: root quantity scrapped.")
    lost: float = strawberry.field(description="FORWARD: root quantity lost in counts.")
    gaps: list[TraceGap] = strawberry.field(description="What keeps the figures from adding up.")

    @classmethod
    def from_model(cls, root: str, m: DT.MassBalance) -> MassBalance:
        f = m.by_fate
        return cls(
            root_id=root,
            root_quantity=m.root_quantity,
            accounted=m.accounted,
            on_hand=f.get("onHand", 0.0),
            shipped=f.get("shipped", 0.0),
            scrapped=f.get("scrapped", 0.0),
            lost=f.get("lost", 0.0),
            gaps=[TraceGap(item_id=g.item_id, kind=g.kind, quantity=g.quantity, message=g.message) for g in m.gaps],
        )


@strawberry.type(description="A customer or partner location that affected material reached.")
class CustomerReached:
    partner_id: strawberry.ID | None = strawberry.field(description="The partner, if the shipments named one.")
    destination_id: strawberry.ID = strawberry.field(description="Where it went.")
    quantity: float = strawberry.field(description="How much, in `unit`.")
    unit: str = strawberry.field(description="The unit of the items shipped.")
    shipment_ids: list[strawberry.ID] = strawberry.field(description="The shipments that took it.")
    item_ids: list[str] = strawberry.field(description="The items shipped.")

    @strawberry.field(description="The partner organization.")
    async def partner(self, info: Info) -> Organization | None:
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)


class TraceState:
    """What a Trace computes once per operation for its fields: the mass balance, the links."""

    def __init__(self, result: TraceResult):
        self.result = result
        self._balances: dict[str, DT.MassBalance] | None = None
        self._links: list[DT.LineageLink] | None = None
        self._lock = asyncio.Lock()

    async def links(self, info: Info) -> list[DT.LineageLink]:
        async with self._lock:
            if self._links is None:
                self._links = await info.context.session.closure_links(self.result)
            return self._links

    async def balances(self, info: Info) -> dict[str, DT.MassBalance]:
        links = await self.links(info)
        async with self._lock:
            if self._balances is None:
                self._balances = await info.context.session.mass_balance(self.result, links=links)
            return self._balances


@strawberry.type(description="A traceable item a trace reached.")
class TraceItem:
    id: str = strawberry.field(description="The item's identifier, exactly as captured.")
    depth: int = strawberry.field(description="Steps from the root on the shortest way: 1 for a neighbour.")
    state: strawberry.Private[TraceState]

    @strawberry.field(description="The item itself.")
    async def item(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.id, Item.from_model)

    @strawberry.field(description="Lot, sub-lot, serial, batch, container or stock.")
    async def kind(self, info: Info) -> ItemKind | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else found.kind

    @strawberry.field(description="Its material's identifier.")
    async def material_id(self, info: Info) -> strawberry.ID | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else _id(found.material_id)

    @strawberry.field(description="Its lot number, or serial number.")
    async def lot_code(self, info: Info) -> str | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else found.lot_code

    @strawberry.field(description="Its status now.")
    async def status(self, info: Info) -> Status | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else found.status

    @strawberry.field(description="Where it is on hand now: its balances at real locations.")
    async def on_hand(self, info: Info) -> list[Balance]:
        return [Balance.from_model(b) for b in await info.context.loaders.balances.load(self.id) if not b.virtual]

    @strawberry.field(
        description="FORWARD: how much of the root's quantity is in it, in the root's unit, carried "
        "through each consumption in proportion to what was consumed. BACKWARD: how much of it, in "
        "its own unit, went into the root. With several roots, the first unless `rootId` is given."
    )
    async def quantity(self, info: Info, root_id: str | None = None) -> float | None:
        balances = await self.state.balances(info)
        mb = balances.get(root_id or self.state.result.root)
        return None if mb is None else mb.reached.get(self.id)

    @strawberry.field(description="The time of its first event still standing (corrections left out).")
    async def first_event_time(self, info: Info) -> datetime | None:
        span = DT.event_span(await info.context.loaders.events_of_items.load(self.id))
        return None if span is None else span[0]

    @strawberry.field(description="The time of its last event still standing (corrections left out).")
    async def last_event_time(self, info: Info) -> datetime | None:
        span = DT.event_span(await info.context.loaders.events_of_items.load(self.id))
        return None if span is None else span[1]


@strawberry.type(description="A quantity of a traced item that a shipment took to a partner or location.")
class Delivery:
    item_id: str = strawberry.field(description="The item shipped: the root or an item the trace reached.")
    quantity: float = strawberry.field(description="How much of it, in the item's unit.")
    event_id: str = strawberry.field(description="The shipping event.")
    event_time: datetime = strawberry.field(description="When it was shipped.")
    shipment_id: strawberry.ID | None = strawberry.field(description="The shipment, if the event named one.")
    partner_id: strawberry.ID | None = strawberry.field(description="The customer or partner it went to.")
    destination_id: strawberry.ID = strawberry.field(
        description="The location it went to: a partner's, or the virtual customer location."
    )

    @strawberry.field(description="The partner organization.")
    async def partner(self, info: Info) -> Organization | None:
        return await _one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @classmethod
    def from_model(cls, d: DT.Delivery) -> Delivery:
        return cls(
            item_id=d.item_id,
            quantity=d.quantity,
            event_id=d.event_id,
            event_time=d.event_time,
            shipment_id=_id(d.shipment_id),
            partner_id=_id(d.partner_id),
            destination_id=strawberry.ID(d.destination_id),
        )


@strawberry.type(
    description="What a trace reached and the caller may not see: how many items, of which "
    "organization. No identifiers."
)
class HiddenItems:
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization that owns them; null for items without an owner."
    )
    count: int = strawberry.field(description="How many items of it the trace reached.")


@strawberry.type(description="Every item reachable from a root item, forward or backward along lineage.")
class Trace:
    root_id: str = strawberry.field(description="The item the trace started from (the first, with several).")
    root_ids: list[str] = strawberry.field(description="Every item the trace started from.")
    direction: Direction = strawberry.field(description="FORWARD or BACKWARD.")
    items: list[TraceItem] = strawberry.field(
        description="Every traceable item reached from the root, the root itself excluded, nearest first."
    )
    edges: list[TraceEdge] = strawberry.field(description="The lineage links the walk followed.")
    state: strawberry.Private[TraceState]
    hidden: list[HiddenItems] = strawberry.field(
        default_factory=list,
        description="What the trace reached in other organizations' data that the caller "
        "may not see: a count per owning organization, no identifiers. Those items are not in `items`.",
    )

    @strawberry.field(description="How many items the trace reached.")
    def count(self) -> int:
        return len(self.items)

    @strawberry.field(description="The items reached, a page at a time, nearest first.")
    def item_page(self, first: First = DEFAULT_FIRST, after: After = None) -> Connection[TraceItem]:
        return page_of_list("traceitem", self.items, first, after, lambda x: x)

    @strawberry.field(description="The root item; null if the ledger does not know it.")
    async def root(self, info: Info) -> Item | None:
        return await _one(info.context.loaders.items, self.root_id, Item.from_model)

    @strawberry.field(
        description="The links between the items of the trace, with kind, event and quantity: "
        "nodes and edges for drawing."
    )
    async def links(self, info: Info) -> list[TraceLink]:
        return [TraceLink.from_model(x) for x in await self.state.links(info)]

    @strawberry.field(description="The mass balance from each root.")
    async def mass_balance(self, info: Info) -> list[MassBalance]:
        balances = await self.state.balances(info)
        return [MassBalance.from_model(root, balances[root]) for root in self.root_ids]

    @strawberry.field(
        description="Every shipment of the root or of an item reached, still standing, in "
        "time order: on a forward trace, which customers and partners received affected material "
        "and how much."
    )
    async def deliveries(self, info: Info) -> list[Delivery]:
        return [Delivery.from_model(d) for d in await self._deliveries(info)]

    @strawberry.field(description="The customers and partner locations reached, with quantities per unit.")
    async def customers(self, info: Info) -> list[CustomerReached]:
        units = {
            i.id: i.unit
            for i in (await info.context.loaders.items.load_many([self.root_id, *(x.id for x in self.items)]))
            if i is not None
        }
        groups: dict[tuple[str | None, str, str], CustomerReached] = {}
        for d in await self._deliveries(info):
            unit = units.get(d.item_id, "EA")
            key = (d.partner_id, d.destination_id, unit)
            g = groups.setdefault(
                key,
                CustomerReached(
                    partner_id=_id(d.partner_id),
                    destination_id=strawberry.ID(d.destination_id),
                    quantity=0.0,
                    unit=unit,
                    shipment_ids=[],
                    item_ids=[],
                ),
            )
            g.quantity += d.quantity
            if d.shipment_id and d.shipment_id not in g.shipment_ids:
                g.shipment_ids.append(strawberry.ID(d.shipment_id))
            if d.item_id not in g.item_ids:
                g.item_ids.append(d.item_id)
        return list(groups.values())

    async def _deliveries(self, info: Info) -> list[DT.Delivery]:
        ids = [*self.root_ids, *(i.id for i in self.items)]
        events = await info.context.loaders.events_of_items.load_many(ids)
        return DT.deliveries(dict(zip(ids, events, strict=True)))

    @classmethod
    def from_result(cls, r: TraceResult, hidden: dict[str | None, int] | None = None) -> Trace:
        state = TraceState(r)
        return cls(
            root_id=r.root,
            root_ids=list(r.roots),
            direction=r.direction,
            items=[TraceItem(id=i, depth=r.depth[i], state=state) for i in r.items],
            edges=[TraceEdge(source=s, target=t) for s, t in dict.fromkeys(r.edges)],
            state=state,
            hidden=[
                HiddenItems(organization_id=_id(org), count=n)
                for org, n in sorted((hidden or {}).items(), key=lambda x: (x[0] or "", x[1]))
            ],
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
            location_id=_id(e.location_id),
            event=Event.from_model(e),
            findings=[Finding.from_model(f) for f in entry.findings],
        )


# -- Relay connections ----------------------------------------------------------------------


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more follow the last edge.")
    has_previous_page: bool = strawberry.field(description="True when this page started after a cursor.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge: pass it as `after`.")


@strawberry.type(description="A node of a page and the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="An opaque cursor: pass it as `after`.")
    node: T = strawberry.field(description="The node.")


@strawberry.type(description="A page of a list, in the list's order.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's nodes with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")

    @strawberry.field(description="The page's nodes, without cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def encode_cursor(kind: str, key: object) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        prefix, key = "", ""
    if prefix != kind or not key:
        raise ApiError(f"`after` is not a cursor of this list: {cursor[:40]!r}", field="after")
    return key


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise ApiError(f"`first` must be between 1 and {MAX_FIRST}, got {first}", field="first")
    return first


R = TypeVar("R")


async def paginate(
    kind: str,
    first: int,
    after: str | None,
    fetch: Callable[[str | None, int], Awaitable[Sequence[R]]],
    key: Callable[[R], object],
    wrap: Callable[[R], T],
) -> Connection[T]:
    """A page of `first` rows after the cursor; `fetch(after_key, n)` reads up to n rows."""
    n = check_first(first)
    rows = list(await fetch(decode_cursor(kind, after), n + 1))
    has_next = len(rows) > n
    rows = rows[:n]
    if not has_next and rows and len(rows) == n and n + 1 > MAX_PAGE:  # the ledger caps reads at MAX_PAGE
        has_next = bool(await fetch(str(key(rows[-1])), 1))
    edges = [Edge(cursor=encode_cursor(kind, key(r)), node=wrap(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def page_of_list(
    kind: str,
    rows: Sequence[M],
    first: int,
    after: str | None,
    wrap: Callable[[M], T],
) -> Connection[T]:
    """A page of a list held in memory; the cursor is the position."""
    n = check_first(first)
    key = decode_cursor(kind, after)
    if key is not None and not key.isdigit():
        raise ApiError("`after` is not a cursor of this list", field="after")
    start = int(key) + 1 if key is not None else 0
    edges = [Edge(cursor=encode_cursor(kind, start + k), node=wrap(r)) for k, r in enumerate(rows[start : start + n])]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + n < len(rows),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def event_connection(info: Info, filt: EventFilter, first: int, after: str | None) -> Connection[Event]:
    """Events matching a filter in commit order, as the caller may see them; the cursor is the
    event's sequence number."""
    session = info.context.session

    async def fetch(after_key: str | None, n: int) -> list[tuple[int, DE.EventRecord]]:
        if after_key is not None and not after_key.isdigit():
            raise ApiError("`after` is not a cursor of this list", field="after")
        return await session.events(filt, int(after_key) if after_key else None, n)

    return await paginate("event", first, after, fetch, lambda row: row[0], lambda row: Event.from_model(row[1]))


# -- payloads -------------------------------------------------------------------------------


@strawberry.type(description="The result of createOrganization.")
class CreateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The organization created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createMaterial.")
class CreateMaterialPayload:
    material: Material | None = strawberry.field(description="The material created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createLocation.")
class CreateLocationPayload:
    location: Location | None = strawberry.field(description="The location created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of createOrder.")
class CreateOrderPayload:
    order: Order | None = strawberry.field(description="The order created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of recording one event.")
class EventPayload:
    event: Event | None = strawberry.field(
        description="The event recorded; the earlier one when `duplicate` is true; null on errors."
    )
    duplicate: bool = strawberry.field(
        default=False,
        description="True when this event (same id, or same content) was recorded before: nothing new was written.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )

    @classmethod
    def of(cls, entry: DE.LedgerEntry | None = None, errors: list[UserError] | None = None) -> EventPayload:
        if entry is None:
            return cls(event=None, errors=errors or [])
        return cls(event=Event.from_model(entry.event), duplicate=entry.duplicate, errors=[])


@strawberry.type(description="The result of receive.")
class ReceivePayload(EventPayload):
    pass


@strawberry.type(description="The result of issue.")
class IssuePayload(EventPayload):
    pass


@strawberry.type(description="The result of produce.")
class ProducePayload(EventPayload):
    pass


@strawberry.type(description="The result of split.")
class SplitPayload(EventPayload):
    pass


@strawberry.type(description="The result of merge.")
class MergePayload(EventPayload):
    pass


@strawberry.type(description="The result of pack.")
class PackPayload(EventPayload):
    pass


@strawberry.type(description="The result of unpack.")
class UnpackPayload(EventPayload):
    pass


@strawberry.type(description="The result of cleanContainer.")
class CleanContainerPayload(EventPayload):
    pass


@strawberry.type(description="The result of move.")
class MovePayload(EventPayload):
    pass


@strawberry.type(description="The result of ship.")
class ShipPayload(EventPayload):
    pass


@strawberry.type(description="The result of returnItems.")
class ReturnItemsPayload(EventPayload):
    pass


@strawberry.type(description="The result of adjust.")
class AdjustPayload(EventPayload):
    pass


@strawberry.type(description="The result of scrap.")
class ScrapPayload(EventPayload):
    pass


@strawberry.type(description="The result of reclassify.")
class ReclassifyPayload(EventPayload):
    pass


@strawberry.type(description="The result of setCharacteristics.")
class SetCharacteristicsPayload(EventPayload):
    pass


@strawberry.type(description="The result of correct.")
class CorrectPayload(EventPayload):
    pass


@strawberry.type(description="The result of recordEvents: every event recorded, or none.")
class RecordEventsPayload:
    events: list[Event] | None = strawberry.field(
        description="The events recorded, in the order given; null on errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on success.")
