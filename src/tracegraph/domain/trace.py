"""What a trace reports about the items it reached, read from their events.

Pure functions over recorded events: the service walks lineage, loads the events of what it
reached, and asks these what left (deliveries) and when each item was first and last seen.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from .events import EventRecord, EventType, LinkKind
from .models import CUSTOMER, INVENTORY_LOSS, PRODUCTION, SCRAP, SUPPLIER, TRANSIT, UNKNOWN_ORIGIN

EPSILON = 1e-9


class Delivery(BaseModel):
    """A quantity of an item that a shipment took to a partner or location."""

    item_id: str
    quantity: float  # in the item's unit
    event_id: str
    event_time: datetime
    shipment_id: str | None = None
    partner_id: str | None = None
    destination_id: str  # the location it went to (a partner's, or the virtual customer)


def standing(events: Iterable[EventRecord]) -> list[EventRecord]:
    """The events that still count: without corrections and the events they reversed."""
    events = list(events)
    reversed_ids = {e.reverses for e in events if e.reverses}
    return [e for e in events if e.type is not EventType.CORRECTION and e.id not in reversed_ids]


def deliveries(events_by_item: Mapping[str, Iterable[EventRecord]]) -> list[Delivery]:
    """Every shipment of the given items still standing, in event time order.

    An event that touched several of the items appears once per item it shipped; an event
    listed under several items is counted once.
    """
    seen: dict[str, EventRecord] = {}
    for events in events_by_item.values():
        for e in events:
            seen.setdefault(e.id, e)
    items = set(events_by_item)
    out = [
        Delivery(
            item_id=m.item_id,
            quantity=m.quantity,
            event_id=e.id,
            event_time=e.event_time,
            shipment_id=e.shipment_id,
            partner_id=e.partner_id,
            destination_id=m.to_location_id,
        )
        for e in standing(seen.values())
        if e.type is EventType.SHIP
        for m in e.moves
        if m.item_id in items and m.quantity > 0
    ]
    return sorted(out, key=lambda d: (d.event_time, d.event_id, d.item_id))


def event_span(events: Iterable[EventRecord]) -> tuple[datetime, datetime] | None:
    """The first and last event time among an item's standing events; None if it has none."""
    times = [e.event_time for e in standing(events)]
    return (min(times), max(times)) if times else None


# -- lineage as a trace sees it ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineageLink:
    """A stored `source -> target` link with what a trace filters and weighs it by. A plain
    dataclass: a recall builds tens of thousands of them, where a model costs 15 µs each."""

    source_id: str
    target_id: str
    kind: LinkKind
    quantity: float | None = None  # of the source, in its unit
    event_id: str | None = None
    event_time: datetime | None = None
    recorded_at: datetime | None = None  # None: recorded before times were kept on links
    voided: bool = False
    voided_at: datetime | None = None  # when the correction that voided it was recorded
    via: str | None = None  # the container of a CONTACT link


@dataclass(frozen=True)
class TraceWindow:
    """Which links a trace follows: by event time (`since` inclusive, `until` exclusive) and
    as the ledger stood at a recorded time (`as_of`: links recorded by then, not yet voided)."""

    since: datetime | None = None
    until: datetime | None = None
    as_of: datetime | None = None

    @property
    def unbounded(self) -> bool:
        return self.since is None and self.until is None and self.as_of is None

    def admits(self, link: LineageLink) -> bool:
        if self.as_of is None:
            if link.voided:
                return False
        else:
            if link.recorded_at is not None and link.recorded_at > self.as_of:
                return False
            if link.voided and (link.voided_at is None or link.voided_at <= self.as_of):
                return False
        t = link.event_time
        if t is not None and self.since is not None and t < self.since:
            return False
        if t is not None and self.until is not None and t >= self.until:
            return False
        return True

    def admits_event(self, e: EventRecord) -> bool:
        if self.as_of is not None and e.recorded_at > self.as_of:
            return False
        if self.since is not None and e.event_time < self.since:
            return False
        return self.until is None or e.event_time < self.until


# -- contact through permanent containers ----------------------------------------------------


@dataclass(frozen=True)
class Occupancy:
    """An item in a permanent container from `start` until `end` (None: still in it)."""

    item_id: str
    start: datetime
    end: datetime | None


def occupancies(container_id: str, events: Iterable[EventRecord]) -> tuple[list[Occupancy], list[datetime]]:
    """Who occupied a container when, and when it was cleaned, from its standing events."""
    in_order = sorted(standing(events), key=lambda e: e.event_time)
    open_: dict[str, datetime] = {}
    spans: list[Occupancy] = []
    cleanings: list[datetime] = []
    for e in in_order:
        if e.command.container_id != container_id:
            continue
        if e.type is EventType.CLEAN:
            cleanings.append(e.event_time)
        elif e.type is EventType.PACK:
            for link in e.links:
                if link.target_id == container_id:
                    open_.setdefault(link.source_id, e.event_time)
        elif e.type is EventType.UNPACK:
            for line in e.command.inputs:
                start = open_.pop(line.item_id, None)
                if start is not None:
                    spans.append(Occupancy(line.item_id, start, e.event_time))
    spans += [Occupancy(i, t, None) for i, t in open_.items()]
    return spans, cleanings


def contacts(
    container_id: str,
    events: Iterable[EventRecord],
    item_id: str,
    direction: str,
) -> list[LineageLink]:
    """Items that touched `item_id` through a permanent container.

    Material of an occupant A stays in the container from when A went in until the next
    cleaning after that (residue), so A reaches an occupant B whose stay overlaps that span:
    `A.start < B.end` and `B.start < cleaning after A.start`. FORWARD gives the B's of
    `item_id` as A, BACKWARD the A's of it as B; links point from A to B either way.
    """
    spans, cleanings = occupancies(container_id, events)

    def residue_end(start: datetime) -> datetime | None:
        return next((c for c in sorted(cleanings) if c >= start), None)

    def touches(a: Occupancy, b: Occupancy) -> bool:
        end = residue_end(a.start)
        return (b.end is None or a.start < b.end) and (end is None or b.start < end)

    out: dict[tuple[str, str], LineageLink] = {}
    mine = [s for s in spans if s.item_id == item_id]
    for own in mine:
        for other in spans:
            if other.item_id == item_id:
                continue
            a, b = (own, other) if direction == "FORWARD" else (other, own)
            if touches(a, b):
                key = (a.item_id, b.item_id)
                if key not in out:
                    out[key] = LineageLink(
                        source_id=a.item_id,
                        target_id=b.item_id,
                        kind=LinkKind.CONTACT,
                        event_time=max(a.start, b.start),
                        via=container_id,
                    )
    return list(out.values())


# -- mass balance ----------------------------------------------------------------------------

_CONSUMING_LINKS = {LinkKind.CONSUMED, LinkKind.ISSUED, LinkKind.SPLIT, LinkKind.MERGED, LinkKind.INSTALLED}
_ORIGINS = {SUPPLIER, PRODUCTION, UNKNOWN_ORIGIN}
_WELL_KNOWN = {SUPPLIER, PRODUCTION, UNKNOWN_ORIGIN, SCRAP, INVENTORY_LOSS}


@dataclass
class Fate:
    """Where an item's quantity went, in its unit, from its standing events and balances."""

    created: float = 0.0  # received, produced, or first seen with an unknown origin
    consumed: float = 0.0  # into production (issued, consumed, split, merged)
    shipped: float = 0.0  # to customers and transit, less returns
    scrapped: float = 0.0
    lost: float = 0.0  # count losses less count gains
    on_hand: float = 0.0  # at real locations now, partners' included

    @property
    def accounted(self) -> float:
        return self.consumed + self.shipped + self.scrapped + self.lost + self.on_hand

    @property
    def terminal(self) -> float:
        """What stays with this item rather than passing into another."""
        return self.shipped + self.scrapped + self.lost + self.on_hand


def fate(item_id: str, events: Iterable[EventRecord], on_hand: float, virtual: Collection[str] = frozenset()) -> Fate:
    """`on_hand` is the item's quantity at real locations now; `virtual` names the virtual
    locations it has a balance at (a partner's customer location): a shipment there has left,
    one to a real location is still on hand there."""
    f = Fate(on_hand=on_hand)
    gone = {CUSTOMER, TRANSIT, *(set(virtual) - _WELL_KNOWN)}
    for e in standing(events):
        for m in e.moves:
            if m.item_id != item_id:
                continue
            src, dst, q = m.from_location_id, m.to_location_id, m.quantity
            if src in _ORIGINS and dst != PRODUCTION:
                f.created += q
            if dst == PRODUCTION and src != PRODUCTION:
                f.consumed += q
            if e.type is EventType.SHIP and dst in gone:
                f.shipped += q
            if e.type is EventType.RETURN and src in gone:
                f.shipped -= q
            if dst == SCRAP:
                f.scrapped += q
            if dst == INVENTORY_LOSS:
                f.lost += q
            if src == INVENTORY_LOSS:
                f.lost -= q
    return f


@dataclass
class Gap:
    """Something that keeps a trace's quantities from adding up."""

    item_id: str
    kind: str  # NO_ORIGIN_QUANTITY, UNACCOUNTED, OVER_ACCOUNTED, CYCLE
    quantity: float  # in the item's unit
    message: str


@dataclass
class MassBalance:
    """Quantities carried along a trace.

    FORWARD: `reached[x]` is how much of the root's quantity (in the root's unit) is in x,
    carried through each consumption in proportion to what was consumed. BACKWARD: how much
    of x (in x's unit) went into the root. `accounted` is the share of the root's quantity
    (FORWARD) whose fate is recorded: on hand, shipped, scrapped or lost, here or in what it
    became; 1.0 when the ledger is complete.
    """

    root_quantity: float = 0.0
    reached: dict[str, float] = field(default_factory=dict)
    accounted: float | None = None
    by_fate: dict[str, float] = field(default_factory=dict)  # FORWARD: root quantity per fate
    gaps: list[Gap] = field(default_factory=list)


def _order(nodes: list[str], links: list[LineageLink], rank: Mapping[str, int]) -> tuple[list[str], set[int]]:
    """Nodes in an order where every link goes forward, and the links dropped to get it (the
    ones closing a cycle, taken at the node nearest the roots)."""
    index = {n: i for i, n in enumerate(nodes)}
    incoming: dict[str, set[int]] = {n: set() for n in nodes}
    outgoing: dict[str, list[int]] = {n: [] for n in nodes}
    for k, link in enumerate(links):
        if link.source_id in index and link.target_id in index and link.source_id != link.target_id:
            incoming[link.target_id].add(k)
            outgoing[link.source_id].append(k)
    dropped: set[int] = set()
    ready = sorted((n for n in nodes if not incoming[n]), key=lambda n: (rank.get(n, 0), index[n]))
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(nodes):
        if not ready:
            stuck = min((n for n in nodes if n not in placed), key=lambda n: (rank.get(n, 0), index[n]))
            dropped |= incoming[stuck]
            incoming[stuck] = set()
            ready = [stuck]
        n = ready.pop(0)
        if n in placed:
            continue
        placed.add(n)
        done.append(n)
        for k in outgoing[n]:
            t = links[k].target_id
            incoming[t].discard(k)
            if not incoming[t] and t not in placed:
                ready.append(t)
    return done, dropped


def mass_balance(
    root: str,
    direction: str,
    nodes: list[str],
    links: list[LineageLink],
    fates: Mapping[str, Fate],
    rank: Mapping[str, int] | None = None,
) -> MassBalance:
    """Carry quantities over a trace's links. `nodes` holds the root and every item reached,
    `links` the links the trace followed (CONTACT and PACKED links carry no quantity: a
    contact is a risk, not a transfer, and a packed item is still itself)."""
    rank = rank or {}
    flow = [l for l in links if l.kind in _CONSUMING_LINKS and l.quantity is not None]
    order, dropped = _order(nodes, flow, {**rank, root: -1})
    kept = [l for k, l in enumerate(flow) if k not in dropped]
    mb = MassBalance()
    for k in sorted(dropped):
        link = flow[k]
        mb.gaps.append(
            Gap(
                link.target_id,
                "CYCLE",
                link.quantity or 0.0,
                f"link {link.source_id} -> {link.target_id} closes a cycle: its quantity is not carried",
            )
        )
    total = {n: fates[n].created if n in fates else 0.0 for n in nodes}
    if direction == "FORWARD":
        mb.root_quantity = total.get(root, 0.0)
        reached = {n: 0.0 for n in nodes}
        reached[root] = mb.root_quantity
        out_links: dict[str, list[LineageLink]] = {n: [] for n in nodes}
        for link in kept:
            out_links[link.source_id].append(link)
        by_fate = {"onHand": 0.0, "shipped": 0.0, "scrapped": 0.0, "lost": 0.0}
        for n in order:
            share_in = reached[n]
            t = total[n]
            f = fates.get(n, Fate())
            if share_in <= EPSILON:
                continue
            if t <= EPSILON:
                mb.gaps.append(
                    Gap(
                        n,
                        "NO_ORIGIN_QUANTITY",
                        0.0,
                        f"{n} has no recorded quantity received or produced: what reached it "
                        "cannot be followed further",
                    )
                )
                continue
            ratio = share_in / t
            for name, value in (
                ("onHand", f.on_hand),
                ("shipped", f.shipped),
                ("scrapped", f.scrapped),
                ("lost", f.lost),
            ):
                by_fate[name] += ratio * value
            linked = 0.0
            for link in out_links[n]:
                linked += link.quantity or 0.0
                reached[link.target_id] += ratio * (link.quantity or 0.0)
            rest = t - (f.terminal + linked)
            if rest > EPSILON * max(1.0, t):
                mb.gaps.append(Gap(n, "UNACCOUNTED", rest, f"{rest:g} of {n} has no recorded fate"))
            elif rest < -EPSILON * max(1.0, t):
                mb.gaps.append(
                    Gap(n, "OVER_ACCOUNTED", -rest, f"{-rest:g} more of {n} went out than was received or produced")
                )
        mb.reached = reached
        mb.by_fate = by_fate
        if mb.root_quantity > EPSILON:
            mb.accounted = min(1.0, sum(by_fate.values()) / mb.root_quantity)
        elif root in fates:
            mb.gaps.append(
                Gap(root, "NO_ORIGIN_QUANTITY", 0.0, f"{root} has no recorded quantity received or produced")
            )
    else:
        # share[n]: the fraction of n's quantity that ended up in the root.
        share = {n: 0.0 for n in nodes}
        share[root] = 1.0
        out_links = {n: [] for n in nodes}
        for link in kept:
            out_links[link.source_id].append(link)
        contributed = {n: 0.0 for n in nodes}
        for n in reversed(order):
            if n == root:
                continue
            t = total[n]
            amount = sum((link.quantity or 0.0) * share[link.target_id] for link in out_links[n])
            contributed[n] = amount
            share[n] = amount / t if t > EPSILON else 0.0
        mb.root_quantity = total.get(root, 0.0)
        contributed[root] = mb.root_quantity
        mb.reached = contributed
    return mb
