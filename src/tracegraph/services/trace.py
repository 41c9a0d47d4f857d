"""Traces: the walk over lineage, its options, and what it carries (mass balance, fates).

The walk is breadth-first with a visited set, one store round trip per level: linear in
what it reaches whatever the diamonds, and cycles end it rather than loop it. The plain
trace reads only (source, target) pairs; a time window, an `asOf` time or container contact
read whole links, and the mass balance reads the links and events of what was reached once
the walk is over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..domain.events import EventRecord, LinkKind
from ..domain.models import Balance, ContainerType, Item, ItemKind
from ..domain.query import BalanceFilter, Direction
from ..domain.trace import Fate, LineageLink, MassBalance, TraceWindow, contacts, fate, mass_balance
from ..store.port import TraceReads, Walk

TOLERANCE = 1e-9


@dataclass(frozen=True)
class TraceOptions:
    max_depth: int | None = None
    window: TraceWindow = field(default_factory=TraceWindow)
    kinds: frozenset[ItemKind] | None = None  # what to return; the walk goes through every kind
    through_containers: bool = False  # contact through permanent containers between cleanings


@dataclass
class TraceResult:
    root: str
    direction: Direction
    items: list[str] = field(default_factory=list)  # reached, roots excluded, nearest first
    depth: dict[str, int] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    links: list[LineageLink] | None = None  # whole links, when the walk read them
    roots: list[str] = field(default_factory=list)
    options: TraceOptions = field(default_factory=TraceOptions)

    @property
    def nodes(self) -> list[str]:
        roots = set(self.roots)
        return [*self.roots, *(i for i in self.depth if i not in roots)]


class Tracer:
    def __init__(self, store: TraceReads):
        self.store = store

    async def trace(
        self,
        roots: Sequence[str],
        direction: Direction,
        options: TraceOptions | None = None,
    ) -> TraceResult:
        options = options or TraceOptions()
        roots = list(dict.fromkeys(roots))
        result = TraceResult(root=roots[0] if roots else "", direction=direction, roots=roots, options=options)
        detailed = not options.window.unbounded or options.through_containers
        if not detailed:
            walk = await self.store.walk(roots, direction, options.max_depth)
            reached, result.depth, result.edges = walk.reached, walk.depth, walk.edges
        else:
            reached = await self._detailed(roots, direction, options, result)
        result.edges = list(dict.fromkeys(result.edges))
        if options.kinds is not None:
            items = await self.store.get("Item", reached)
            reached = [i for i in reached if i in items and items[i].kind in options.kinds]  # type: ignore[attr-defined]
        result.items = reached
        return result

    async def _detailed(
        self, roots: list[str], direction: Direction, options: TraceOptions, result: TraceResult
    ) -> list[str]:
        """The walk over whole links: filtered by the window, with contact through containers."""
        links: list[LineageLink] = []
        result.links = links
        containers: dict[str, Item | None] = {}
        container_events: dict[str, list[EventRecord]] = {}
        walk, seen, frontier, depth = Walk(), set(roots), list(roots), 0
        while frontier and (options.max_depth is None or depth < options.max_depth):
            depth += 1
            found = [x for x in await self.store.links(frontier, direction) if options.window.admits(x)]
            if options.through_containers:
                found += await self._contacts(frontier, direction, options.window, containers, container_events)
            links += found
            frontier = walk.add_level(((x.source_id, x.target_id) for x in found), direction, depth, seen)
        result.depth, result.edges = walk.depth, walk.edges
        return walk.reached

    async def _contacts(
        self,
        frontier: list[str],
        direction: Direction,
        window: TraceWindow,
        containers: dict[str, Item | None],
        container_events: dict[str, list[EventRecord]],
    ) -> list[LineageLink]:
        """Contact links of the frontier through the permanent containers each was packed into."""
        packed = [
            x
            for x in await self.store.links(frontier, Direction.FORWARD)
            if x.kind is LinkKind.PACKED and window.admits(x)
        ]
        unknown = sorted({x.target_id for x in packed} - set(containers))
        if unknown:
            found = await self.store.get("Item", unknown)
            for cid in unknown:
                containers[cid] = found.get(cid)  # type: ignore[assignment]
        permanent = sorted(
            {
                x.target_id
                for x in packed
                if (c := containers.get(x.target_id)) is not None and c.container_type is ContainerType.PERMANENT
            }
        )
        missing = [c for c in permanent if c not in container_events]
        if missing:
            for cid, events in (await self.store.events_of_items(missing)).items():
                container_events[cid] = [e for e in events if window.admits_event(e)]
        out: list[LineageLink] = []
        for x in packed:
            if x.target_id in permanent:
                out += contacts(x.target_id, container_events[x.target_id], x.source_id, direction.value)
        return out

    # -- quantities -------------------------------------------------------------------------

    async def closure_links(self, result: TraceResult) -> list[LineageLink]:
        """The links between the nodes of a trace that it may follow (its window admits)."""
        nodes = set(result.nodes)
        stored = [
            x
            for x in await self.store.links(sorted(nodes), Direction.FORWARD)
            if x.target_id in nodes and result.options.window.admits(x)
        ]
        extra = [x for x in (result.links or []) if x.kind is LinkKind.CONTACT]
        return stored + extra

    async def fates(self, ids: Sequence[str]) -> dict[str, Fate]:
        events = await self.store.events_of_items(list(ids))
        return fates_of(ids, events, await self.store.balances(BalanceFilter(item_ids=list(ids))))

    async def mass_balance(
        self, result: TraceResult, fates: dict[str, Fate] | None = None, links: list[LineageLink] | None = None
    ) -> dict[str, MassBalance]:
        """The mass balance of each root of a trace (see domain/trace.py); the fates and the
        links between its items are read unless given."""
        nodes = result.nodes
        links = links if links is not None else await self.closure_links(result)
        fates = fates if fates is not None else await self.fates(nodes)
        return {
            root: mass_balance(root, result.direction.value, nodes, links, fates, result.depth) for root in result.roots
        }


def fates_of(ids: Sequence[str], events: dict[str, list[EventRecord]], balances: Sequence[Balance]) -> dict[str, Fate]:
    """Each item's fate from its events and its balances (virtual ones included)."""
    on_hand: dict[str, float] = {}
    virtual: dict[str, set[str]] = {}
    for b in balances:
        if b.virtual:
            virtual.setdefault(b.item_id, set()).add(b.location_id)
        else:
            on_hand[b.item_id] = on_hand.get(b.item_id, 0.0) + b.quantity
    return {i: fate(i, events.get(i, []), on_hand.get(i, 0.0), virtual.get(i, set())) for i in ids}
