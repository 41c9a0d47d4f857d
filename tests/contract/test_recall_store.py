"""Recall cases kept by every store: saved whole (however long), read back, paged newest first;
holding is one transaction of reclassifications and idempotent."""

from __future__ import annotations

from contract_kit import L, bakery, cmd, lot, receive, record
from tracegraph.domain.models import ItemKind, Status
from tracegraph.domain.recall import RecallStatus
from tracegraph.services.ledger import Ledger
from tracegraph.services.recall import Recalls
from tracegraph.store.port import Direction, GraphStore


async def many_units(store: GraphStore, n: int) -> None:
    """Lot A (n kg) split into n units U-0000..: a recall with a long snapshot."""
    await bakery(store)
    await receive(store, "A", "FLOUR", n)
    await record(store, cmd("SPLIT", id="split", location_id="WH", inputs=[L("A", n)],
                            new_items=[lot(f"U-{k:04d}", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A")
                                       for k in range(n)],
                            outputs=[L(f"U-{k:04d}", 1) for k in range(n)]))


async def test_a_recall_is_kept_whole_and_paged_newest_first(store: GraphStore) -> None:
    await many_units(store, 120)
    recalls = Recalls(Ledger(store))
    first = await recalls.open(["A"], Direction.FORWARD, "metal fragments " + "x" * 3000, recall_id="RC-A")
    assert len(first.affected) == 121 and first.accounted == 1.0
    again = (await store.recalls(["RC-A"]))["RC-A"]
    assert again == first, "the stored recall reads back field for field"
    second = await recalls.open(["U-0001"], Direction.BACKWARD, "complaint", mock=True, recall_id="RC-B")
    page = await store.recall_page(None, 10)
    assert [r.id for r in page] == ["RC-B", "RC-A"]
    assert [r.id for r in await store.recall_page(second, 10)] == ["RC-A"]
    assert [r.id for r in await store.recall_page(None, 10, status="CLOSED")] == ["RC-B"]
    assert await store.recalls(["NOPE"]) == {}


async def test_hold_is_one_transaction_and_idempotent(store: GraphStore) -> None:
    await many_units(store, 30)
    ledger = Ledger(store)
    recalls = Recalls(ledger)
    await recalls.open(["A"], Direction.FORWARD, "allergen", recall_id="RC-H")
    done = await recalls.hold("RC-H", by="qa")
    assert sorted(done.held) == [f"U-{k:04d}" for k in range(30)]
    assert done.recall.status is RecallStatus.CONTAINED
    items = await ledger.items([f"U-{k:04d}" for k in range(30)])
    assert {i.status for i in items.values()} == {Status.HOLD}
    again = await recalls.hold("RC-H")
    assert again.held == [] and again.recall.hold_event_ids == done.recall.hold_event_ids
    closed = await recalls.set_status("RC-H", RecallStatus.CLOSED, note="destroyed")
    assert closed.status is RecallStatus.CLOSED and closed.notes[-1].text == "destroyed"
    assert (await store.recalls(["RC-H"]))["RC-H"].status is RecallStatus.CLOSED
