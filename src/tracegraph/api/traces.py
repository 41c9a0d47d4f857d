"""GraphQL types of a trace: the items it reached with their depth and quantity, its edges and
lineage links, the mass balance from each root, the deliveries and customers reached, and what it
reached that the caller may not see."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from ..domain import trace as DT
from ..domain.events import LinkKind
from ..domain.models import ItemKind, Status
from ..domain.query import Direction
from ..services.trace import TraceResult
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .classifications import shown_status
from .context import Info
from .ledger import Balance, Item
from .master import Organization
from .pagination import DEFAULT_FIRST, After, Connection, First, page_of_list
from .refs import load_one, optional_id


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
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)


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
        return await load_one(info.context.loaders.items, self.id, Item.from_model)

    @strawberry.field(description="Lot, sub-lot, serial, batch, container or stock.")
    async def kind(self, info: Info) -> ItemKind | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else found.kind

    @strawberry.field(description="Its material's identifier.")
    async def material_id(self, info: Info) -> strawberry.ID | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else optional_id(found.material_id)

    @strawberry.field(description="Its lot number, or serial number.")
    async def lot_code(self, info: Info) -> str | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else found.lot_code

    @strawberry.field(description="Its status now, as a built-in (see `Item.status`).")
    async def status(self, info: Info) -> Status | None:
        found = await info.context.loaders.items.load(self.id)
        return None if found is None else await shown_status(info, found.status)

    @strawberry.field(description="The code of its classification now.")
    async def classification_id(self, info: Info) -> str | None:
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
        return await load_one(info.context.loaders.organizations, self.partner_id, Organization.from_model)

    @classmethod
    def from_model(cls, d: DT.Delivery) -> Delivery:
        return cls(
            item_id=d.item_id,
            quantity=d.quantity,
            event_id=d.event_id,
            event_time=d.event_time,
            shipment_id=optional_id(d.shipment_id),
            partner_id=optional_id(d.partner_id),
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
        return await load_one(info.context.loaders.items, self.root_id, Item.from_model)

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
                    partner_id=optional_id(d.partner_id),
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
                HiddenItems(organization_id=optional_id(org), count=n)
                for org, n in sorted((hidden or {}).items(), key=lambda x: (x[0] or "", x[1]))
            ],
        )
