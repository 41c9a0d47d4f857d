"""Exports of a trace or a recall: the FSMA 204 sortable spreadsheet as CSV or XLSX, and JSON.

The rows come from domain/fsma.py; this module loads what they need and encodes them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from ..domain.audit import AuditEntry, id_at
from ..domain.fsma import cte_rows
from ..store.port import AuditLog
from .ledger import Ledger
from .visibility import Visibility


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
