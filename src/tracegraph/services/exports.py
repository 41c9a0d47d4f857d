"""Exports of a trace or a recall: the FSMA 204 sortable spreadsheet as CSV or XLSX, and JSON.

The rows come from domain/fsma.py; this module loads what they need and encodes them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from ..domain import errors as E
from ..domain.audit import AuditEntry, id_at
from ..domain.errors import DomainError, Problem
from ..domain.events import EventRecord
from ..domain.fsma import FsmaScope, Place, cte_of, cte_rows, place, template_rows
from ..domain.query import EventFilter
from ..store.port import AuditLog
from .ledger import Ledger
from .visibility import Visibility

MAX_TEMPLATE_EVENTS = 200_000  # events read for an export of a time range rather than of items


class Exports:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    async def rows(
        self,
        item_ids: Sequence[str],
        visibility: Visibility | None = None,
    ) -> list[dict[str, str | float]]:
        """The CTE rows of every event that touched the items (of those `visibility` shows,
        each redacted to the items it shows)."""
        ids = list(dict.fromkeys(item_ids))
        by_item = await self.ledger.events_of_items(ids)
        events = {e.id: e for evs in by_item.values() for e in evs}
        if visibility is not None:
            events = {e.id: e for e in await visibility.events(list(events.values()))}
        items = await self.ledger.items(ids)
        materials = await self.ledger.materials(sorted({i.material_id for i in items.values() if i.material_id}))
        created = await self.ledger.events_by_id(
            sorted({i.created_by_event for i in items.values() if i.created_by_event})
        )
        if visibility is not None:
            created = {e.id: e for e in await visibility.events(list(created.values()))}
        origins = {
            i.id: (created[i.created_by_event].location_id if i.created_by_event in created else None)
            for i in items.values()
        }
        place_ids = {e.location_id for e in events.values() if e.location_id}
        place_ids |= {x for e in events.values() for m in e.moves for x in (m.from_location_id, m.to_location_id)}
        place_ids |= {x for x in origins.values() if x}
        locations = await self.ledger.locations(sorted(place_ids))
        orders = await self.ledger.orders(sorted({e.order_id for e in events.values() if e.order_id}))
        return cte_rows(events.values(), ids, items, materials, locations, orders, origins)

    async def template(
        self,
        scope: FsmaScope,
        visibility: Visibility | None = None,
        shown: Callable[[object], bool] = lambda _: True,
    ) -> dict[str, list[dict[str, str | float]]]:
        """The rows of each tab of FDA's template (domain/fsma.py `template_rows`) for what the
        scope names: the events of its items, or every event in its time range (at most
        MAX_TEMPLATE_EVENTS), of those `visibility` shows, each redacted to the items it shows.
        Master data `shown` rejects (another organization's) is named by its id only."""
        if scope.item_ids is not None:
            by_item = await self.ledger.events_of_items(sorted(scope.item_ids))
            found = {e.id: e for evs in by_item.values() for e in evs}
        else:
            found = await self._events_between(scope)
        events = list(found.values())
        if visibility is not None:
            events = await visibility.events(events)
        item_ids = sorted({m.item_id for e in events for m in e.moves})
        items = await self.ledger.items(item_ids)
        materials = await self.ledger.materials(sorted({i.material_id for i in items.values() if i.material_id}))
        created = await self.ledger.events_by_id(
            sorted({i.created_by_event for i in items.values() if i.created_by_event})
        )
        if visibility is not None:
            created = {e.id: e for e in await visibility.events(list(created.values()))}
        origins = {
            i.id: (created[i.created_by_event].location_id if i.created_by_event in created else None)
            for i in items.values()
        }
        place_ids = {e.location_id for e in events if e.location_id}
        place_ids |= {x for e in events for m in e.moves for x in (m.from_location_id, m.to_location_id)}
        place_ids |= {x for x in origins.values() if x}
        locations = await self.ledger.locations(sorted(place_ids))
        org_ids = {e.partner_id for e in events if e.partner_id}
        org_ids |= {i.organization_id for i in items.values() if i.organization_id}
        organizations = await self.ledger.organizations(sorted(org_ids))
        places: dict[str, Place] = {x.id: place(x.name if shown(x) else x.id) for x in locations.values()}
        places |= {x.id: place(x.name if shown(x) else x.id) for x in organizations.values()}
        owners = {
            i.id: (places[i.organization_id]["Name"] if i.organization_id in places else i.organization_id or "")
            for i in items.values()
        }
        orders = await self.ledger.orders(sorted({e.order_id for e in events if e.order_id}))
        return template_rows(events, scope, items, materials, orders, origins, places, owners)

    async def _events_between(self, scope: FsmaScope) -> dict[str, EventRecord]:
        """Every event in the scope's time range that records a CTE, and the corrections (so
        that corrected events drop out)."""
        filt = EventFilter(since=scope.since, until=scope.until)
        out: dict[str, EventRecord] = {}
        after: int | None = None
        seen = 0
        while True:
            page = await self.ledger.events(filt, after, 1000)
            for seq, e in page:
                after = seq
                seen += 1
                if cte_of(e) is not None or e.reverses:
                    out[e.id] = e
            if seen > MAX_TEMPLATE_EVENTS:
                raise DomainError(
                    Problem(
                        "since",
                        f"more than {MAX_TEMPLATE_EVENTS} events in the range: narrow it with since and until, "
                        "or export a trace or a recall",
                        E.INVALID,
                    )
                )
            if len(page) < 1000:
                return out


async def audit_entries(
    store: AuditLog,
    organization_id: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 500,
) -> AsyncIterator[AuditEntry]:
    """The audit log in time order, a page at a time (never all of it in memory): of one
    organization or of all (None), made at or after `since` and before `until`."""
    after = id_at(since) if since is not None else None
    while True:
        rows = await store.audit_page(organization_id, after, page)
        for e in rows:
            if until is not None and e.at >= until:
                return
            yield e
        if len(rows) < page:
            return
        after = rows[-1].id
