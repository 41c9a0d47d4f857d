"""The audit export's reading and encoding: pages read one after the other (never the whole log at
once), the time window, and CSV cells a spreadsheet would run as formulas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracegraph.domain.audit import COLUMNS, AuditEntry, csv_cells, id_at, record
from tracegraph.services.exports import audit_entries

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def entry(n: int, org: str | None = "org-a", action: str = "query:trace") -> AuditEntry:
    at = T0 + timedelta(seconds=n)
    return AuditEntry(
        id=f"{id_at(at)}-{n:08x}", at=at, key_id="key-1", organization_id=org, action=action, detail='{"id":"LOT"}'
    )


class Store:
    """An audit log in memory that counts the pages it is asked for and their size."""

    def __init__(self, entries: list[AuditEntry]):
        self.entries = sorted(entries, key=lambda e: e.id)
        self.pages: list[int] = []

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        rows = [
            e
            for e in self.entries
            if (after is None or e.id > after) and (organization_id is None or e.organization_id == organization_id)
        ][:first]
        self.pages.append(first)
        return rows


async def test_the_log_is_read_a_page_at_a_time_in_time_order() -> None:
    store = Store([entry(n, "org-a" if n % 2 else "org-b") for n in range(25)])
    got = [e async for e in audit_entries(store, None, page=10)]
    assert [e.id for e in got] == [e.id for e in store.entries]
    assert store.pages == [10, 10, 10]  # three reads of ten, never one of everything
    theirs = [e.organization_id async for e in audit_entries(store, "org-a", page=10)]
    assert theirs == ["org-a"] * 12


async def test_since_is_inclusive_and_until_exclusive() -> None:
    store = Store([entry(n) for n in range(10)])
    got = [
        e
        async for e in audit_entries(
            store, None, since=T0 + timedelta(seconds=3), until=T0 + timedelta(seconds=6), page=4
        )
    ]
    assert [e.at for e in got] == [T0 + timedelta(seconds=n) for n in (3, 4, 5)]
    assert store.pages == [4]  # it stops reading at `until`


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    e = entry(1, action='=HYPERLINK("http://evil")')
    cells = dict(zip(COLUMNS, csv_cells(e), strict=False))
    assert cells["action"] == '\'=HYPERLINK("http://evil")' and cells["detail"] == '{"id":"LOT"}'
    assert cells["organizationId"] == "org-a" and record(e)["at"] == e.at.isoformat()
    assert dict(zip(COLUMNS, csv_cells(entry(2, org=None)), strict=False))["organizationId"] == ""
