"""Exports of a trace or a recall: the FSMA 204 sortable spreadsheet as CSV or XLSX, and JSON.

The rows come from domain/fsma.py; this module loads what they need and encodes them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ..domain.audit import AuditEntry, id_at
from ..domain.fsma import COLUMNS, cte_rows
from ..store.port import AuditLog
from .ledger import Ledger
from .visibility import Visibility

Format = Literal["csv", "xlsx", "json"]
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


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

    @staticmethod
    def encode(fmt: Format, rows: list[dict[str, str | float]], meta: dict[str, Any]) -> bytes:
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            return out.getvalue().encode("utf-8")
        if fmt == "xlsx":
            return _xlsx(rows, meta)
        return json.dumps({**meta, "columns": COLUMNS, "rows": rows}, default=str, indent=1).encode("utf-8")


def _xlsx(rows: list[dict[str, str | float]], meta: dict[str, Any]) -> bytes:
    wb = Workbook(write_only=False)
    sheet = wb.active
    sheet.title = "FSMA 204"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    sheet.freeze_panes = "A2"
    for n, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(60, max(12, len(column) + 2))
    about = wb.create_sheet("About")
    for key, value in {**meta, "exported at": datetime.now(UTC).isoformat()}.items():
        about.append([key, value if isinstance(value, str | int | float) else json.dumps(value, default=str)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


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
