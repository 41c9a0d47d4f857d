"""Partner visibility, applied in one place: every door asks a `Visibility` of its caller which
items and events it may show (the rule: domain/visibility.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ..domain import errors as E
from ..domain.auth import Principal, Right, Share, ShareScope
from ..domain.errors import DomainError, Problem
from ..domain.events import EventRecord
from ..domain.models import Item
from ..domain.query import Direction
from ..domain.recall import Recall, notice_id
from ..domain.visibility import ItemFacts, event_visible, item_visible, redact
from ..store.port import VisibilityReads
from .trace import Tracer, TraceResult


class Visibility:
    """What one caller may see, with answers cached for its lifetime (one operation)."""

    def __init__(self, store: VisibilityReads, principal: Principal | None):
        self.store = store
        self.principal = principal
        self._items: dict[str, bool] = {}
        self._owners: dict[str, str | None] = {}
        self._shared: set[str] | None = None

    async def shared(self) -> set[str]:
        """The items shared with the caller's organization, up- and downstream closures included;
        a closure covers only the sharing organization's own items (it cannot share another's)."""
        if self._shared is None:
            out: set[str] = set()
            tracer = Tracer(self.store)
            for share in await self.store.shares_with(self.org):
                out.add(share.item_id)
                if share.scope is not ShareScope.ITEM:
                    direction = Direction.BACKWARD if share.scope is ShareScope.UPSTREAM else Direction.FORWARD
                    reached = (await tracer.trace([share.item_id], direction)).items
                    owners = await self.owners(reached)
                    out.update(i for i in reached if owners.get(i) == share.shared_by)
            self._shared = out
        return self._shared

    @property
    def unrestricted(self) -> bool:
        """The server's admin key (or no caller: internal use) sees everything."""
        return self.principal is None or self.principal.is_admin

    @property
    def org(self) -> str:
        assert self.principal is not None and self.principal.organization_id is not None
        return self.principal.organization_id

    async def owners(self, ids: Iterable[str]) -> dict[str, str | None]:
        missing = sorted({i for i in ids if i not in self._owners})
        if missing:
            found = await self.store.get("Item", missing)
            for i in missing:
                item = found.get(i)
                self._owners[i] = getattr(item, "organization_id", None) if item is not None else None
        return self._owners

    async def items(self, ids: Iterable[str]) -> set[str]:
        """The items of `ids` the caller may see."""
        ids = list(dict.fromkeys(ids))
        if self.unrestricted:
            return set(ids)
        missing = [i for i in ids if i not in self._items]
        if missing:
            owners = await self.owners(missing)
            shared = await self.shared()
            undecided = [i for i in missing if owners.get(i) != self.org]
            for i in missing:
                if owners.get(i) == self.org:
                    self._items[i] = True
            if undecided:
                events = await self.store.events_of_items(undecided)
                forward = await self.store.neighbours(undecided, Direction.FORWARD)
                backward = await self.store.neighbours(undecided, Direction.BACKWARD)
                adjacent: dict[str, set[str]] = {i: set() for i in undecided}
                for a, b in [*forward, *backward]:
                    if a in adjacent:
                        adjacent[a].add(b)
                    if b in adjacent:
                        adjacent[b].add(a)
                near_owners = await self.owners({n for ns in adjacent.values() for n in ns})
                for i in undecided:
                    facts = ItemFacts(
                        owner=owners.get(i),
                        events=events.get(i, []),
                        neighbour_owners={near_owners.get(n) for n in adjacent[i]},
                        shared=i in shared,
                    )
                    self._items[i] = item_visible(self.org, facts)
        return {i for i in ids if self._items.get(i)}

    async def item(self, item_id: str) -> bool:
        return item_id in await self.items([item_id])

    async def events(self, records: Sequence[EventRecord]) -> list[EventRecord]:
        """The events the caller may see, each redacted to the items it may see."""
        if self.unrestricted or not records:
            return list(records)
        owners = await self.owners({i for e in records for i in e.item_ids})
        shown = [e for e in records if event_visible(self.org, e, owners)]
        visible = await self.items({i for e in shown for i in e.item_ids})
        out = [redact(e, visible) for e in shown]
        reversed_ids = sorted({e.reverses for e in out if e.reverses})
        if reversed_ids:  # a correction names the event it reverses only when that one is visible too
            found = await self.store.events_by_id(reversed_ids)
            owners = await self.owners({i for e in found.values() for i in e.item_ids})
            seen = {i for i, e in found.items() if event_visible(self.org, e, owners)}
            out = [
                e if e.reverses is None or e.reverses in seen else e.model_copy(update={"reverses": None}) for e in out
            ]
        return out

    async def item_models(self, items: dict[str, Item]) -> dict[str, Item]:
        """The items the caller may see, each naming its parent and the event that created it only
        when those are visible too."""
        if self.unrestricted or not items:
            return items
        shown = await self.items(items)
        kept = {i: x for i, x in items.items() if i in shown}
        parents = await self.items({x.parent_id for x in kept.values() if x.parent_id})
        created = sorted({x.created_by_event for x in kept.values() if x.created_by_event})
        made = (
            {e.id for e in await self.events(list((await self.store.events_by_id(created)).values()))}
            if created
            else set()
        )
        out = {}
        for i, x in kept.items():
            hide: dict[str, None] = {}
            if x.parent_id and x.parent_id not in parents:
                hide["parent_id"] = None
            if x.created_by_event and x.created_by_event not in made:
                hide["created_by_event"] = None
            out[i] = x.model_copy(update=hide) if hide else x
        return out

    async def hidden_by_owner(self, ids: Iterable[str]) -> dict[str | None, int]:
        """Of `ids`, how many the caller may not see, per owning organization (None: no owner)."""
        ids = list(dict.fromkeys(ids))
        if self.unrestricted:
            return {}
        visible = await self.items(ids)
        owners = await self.owners(ids)
        return dict(Counter(owners.get(i) for i in ids if i not in visible))

    async def recall(self, recall: Recall) -> bool:
        """Whether the caller may see a recall at all: its organization opened it or was
        notified of it (what it may see of its contents: services/recall.py, RecallView)."""
        if self.unrestricted or recall.organization_id == self.org:
            return True
        return bool(await self.store.recall_notices([notice_id(recall.id, self.org)]))

    def key(self) -> object:
        """What decides what this caller sees: callers with equal keys see the same."""
        return None if self.unrestricted else self.org

    async def trace(self, result: TraceResult) -> tuple[TraceResult, dict[str | None, int]]:
        """A trace as the caller may see it: the items it may see, the links between them, and
        a count per owning organization of what it reached and may not see. A root the caller
        may not see is a trace of nothing (its existence is not told either)."""
        if self.unrestricted:
            return result, {}
        roots = list(result.roots or [result.root])
        if set(roots) - await self.items(roots):
            return replace(
                result,
                items=[],
                depth={r: 0 for r in roots if r in result.depth},
                edges=[],
                links=[] if result.links is not None else None,
            ), {}
        visible = await self.items(result.items) | set(roots)
        hidden = await self.hidden_by_owner([i for i in result.items if i not in visible])
        return replace(
            result,
            items=[i for i in result.items if i in visible],
            depth={i: d for i, d in result.depth.items() if i in visible},
            edges=[(a, b) for a, b in result.edges if a in visible and b in visible],
            links=None
            if result.links is None
            else [x for x in result.links if x.source_id in visible and x.target_id in visible],
        ), hidden


async def share_item(
    store: VisibilityReads, principal: Principal, item_id: str, organization_id: str, scope: ShareScope
) -> Share:
    """Share an item the caller's organization owns with another organization."""
    principal.require(Right.SHARE, field="itemId")
    item = (await store.get("Item", [item_id])).get(item_id)
    owner = getattr(item, "organization_id", None) if item is not None else None
    if item is None or (not principal.is_admin and owner != principal.organization_id):
        # Another organization's item is reported as unknown: its existence is not told.
        raise DomainError(Problem("itemId", f"unknown item {item_id[:80]}", E.NOT_FOUND))
    if not await store.get("Organization", [organization_id]):
        raise DomainError(Problem("withOrganizationId", f"unknown organization {organization_id[:80]}", E.NOT_FOUND))
    share = Share(
        item_id=item_id,
        organization_id=organization_id,
        scope=scope,
        shared_by=owner,
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    await store.save_share(share)
    return share
