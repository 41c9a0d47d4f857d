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
    await record(
        store,
        cmd(
            "SPLIT",
            id="split",
            location_id="WH",
            inputs=[L("A", n)],
            new_items=[lot(f"U-{k:04d}", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A") for k in range(n)],
            outputs=[L(f"U-{k:04d}", 1) for k in range(n)],
        ),
    )


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


async def two_companies(store: GraphStore) -> list[str]:
    """ACME receives lot A (400 kg) and splits it into U-0..U-9 (40 kg each); the shop splits
    U-1 into 40 units of its own, with long identifiers (a notice of several kilobytes).
    Returns the shop's unit ids."""
    await bakery(store)
    await record(
        store,
        cmd(
            "RECEIVE",
            id="rcv-A",
            location_id="WH",
            organization_id="ACME",
            new_items=[lot("A", "FLOUR")],
            outputs=[L("A", 400)],
        ),
    )
    await record(
        store,
        cmd(
            "SPLIT",
            id="split-acme",
            location_id="WH",
            inputs=[L("A", 400)],
            organization_id="ACME",
            new_items=[lot(f"U-{k}", "FLOUR", kind=ItemKind.SUBLOT) for k in range(10)],
            outputs=[L(f"U-{k}", 40) for k in range(10)],
        ),
    )
    shop = [f"V-{'s' * 120}-{k:02d}" for k in range(40)]
    await record(
        store,
        cmd(
            "SPLIT",
            id="split-shop",
            location_id="WH",
            inputs=[L("U-1", 40)],
            organization_id="SHOP",
            new_items=[lot(v, "FLOUR", kind=ItemKind.SUBLOT) for v in shop],
            outputs=[L(v, 1) for v in shop],
        ),
    )
    return shop


async def test_a_recall_notifies_each_other_owner_of_its_own_items(store: GraphStore) -> None:
    from tracegraph.domain.auth import Principal, Role
    from tracegraph.domain.recall import notice_id
    from tracegraph.services.recall import RecallNotices
    from tracegraph.services.visibility import Visibility

    shop_units = await two_companies(store)
    acme = Principal(organization_id="ACME", role=Role.QUALITY)
    shop = Principal(organization_id="SHOP", role=Role.QUALITY)
    recall = await Recalls(Ledger(store), acme).open(["A"], Direction.FORWARD, "metal fragments", recall_id="RC-X")
    assert recall.organization_id == "ACME"
    notice = (await store.recall_notices([notice_id("RC-X", "SHOP")]))[notice_id("RC-X", "SHOP")]
    assert sorted(notice.item_ids) == sorted(shop_units), "the shop is told exactly its own items"
    assert (notice.opened_by_organization_id, notice.opened_by_organization) == ("ACME", "Acme Foods")
    assert (notice.reason, notice.direction, notice.recall_id) == ("metal fragments", "FORWARD", "RC-X")
    assert await store.recall_notices([notice_id("RC-X", "ACME")]) == {}, "the opener is not notified"
    assert [n.id for n in await store.recall_notice_page("SHOP", None, 10)] == [notice.id]
    assert await store.recall_notice_page("ACME", None, 10) == []
    # the mock recall notifies no one; a second real one is paged newest first
    await Recalls(Ledger(store), acme).open(["A"], Direction.FORWARD, "drill", mock=True, recall_id="RC-M")
    await Recalls(Ledger(store), acme).open(["U-1"], Direction.FORWARD, "again", recall_id="RC-Y")
    page = await store.recall_notice_page(None, None, 10)
    assert [n.recall_id for n in page] == ["RC-Y", "RC-X"]
    assert [n.recall_id for n in await store.recall_notice_page("SHOP", page[0], 10)] == ["RC-X"]
    # the shop sees the recall it was told of, not the mock; it acknowledges once
    assert await Visibility(store, shop).recall(recall)
    mock = (await store.recalls(["RC-M"]))["RC-M"]
    assert not await Visibility(store, shop).recall(mock)
    done = await RecallNotices(store, shop).acknowledge(notice.id)
    assert done.acknowledged_at is not None
    again = (await store.recall_notices([notice.id]))[notice.id]
    assert again == done and again.item_ids == notice.item_ids
    assert (await RecallNotices(store, shop).acknowledge(notice.id)).acknowledged_at == done.acknowledged_at
