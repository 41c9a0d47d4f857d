"""The completeness report: every item and event read a page at a time, assessed in
domain/completeness.py. Its cost grows with the ledger (a full read); it is a report, not
a hot path."""

from __future__ import annotations

from datetime import datetime

from ..domain.completeness import Assessor, Completeness
from ..domain.models import Item
from ..domain.query import EventFilter
from .ledger import MAX_PAGE, Ledger


async def completeness(
    ledger: Ledger, since: datetime | None = None, until: datetime | None = None, material_id: str | None = None
) -> Completeness:
    """Items first seen in [since, until) (all when left out), optionally of one material."""
    assessor = Assessor()
    after: str | None = None
    while True:
        page: list[Item] = await ledger.page("Item", after, MAX_PAGE)
        assessor.add_items(
            i for i in page if _within(i, since, until) and (material_id is None or i.material_id == material_id)
        )
        if len(page) < MAX_PAGE:
            break
        after = page[-1].id
    seq: int | None = None
    while True:
        rows = await ledger.events(EventFilter(), seq, MAX_PAGE)
        assessor.add_events(e for _, e in rows if any(i in assessor.items for i in e.item_ids))
        if len(rows) < MAX_PAGE:
            break
        seq = rows[-1][0]
    return assessor.result()


def _within(item: Item, since: datetime | None, until: datetime | None) -> bool:
    t = item.first_event_time
    if t is None:
        return since is None and until is None
    return (since is None or t >= since) and (until is None or t < until)
