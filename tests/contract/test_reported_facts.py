"""Reported facts are recorded whatever the balances say; each imbalance is kept as a finding."""

from __future__ import annotations

from contract_kit import (
    CUSTOMER,
    PRODUCTION,
    SUPPLIER,
    UNKNOWN_ORIGIN,
    L,
    all_findings,
    assert_consistent,
    at,
    bakery,
    cmd,
    lot,
    on_hand,
    receive,
    record,
)

from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import ItemKind, Status
from tracegraph.store.port import Direction, GraphStore


async def fact(store: GraphStore, *cmds):  # noqa: ANN001, ANN201
    return await record(store, *cmds, source=Source.FACT)


async def test_unknown_items_come_from_an_unknown_origin(store: GraphStore) -> None:
    await bakery(store)
    [entry] = await fact(
        store,
        cmd(
            "PRODUCE",
            id="urn:uuid:f1",
            location_id="WH",
            inputs=[L("urn:epc:class:lgtin:400.1.X9", 5, "KG")],
            outputs=[L("urn:epc:id:sgtin:400.2.1", 2, "EA")],
        ),
    )
    x9, y1 = "urn:epc:class:lgtin:400.1.X9", "urn:epc:id:sgtin:400.2.1"
    assert [(f.kind, f.item_id, f.location_id, f.quantity) for f in entry.findings] == [
        (FindingKind.UNKNOWN_ORIGIN, x9, "WH", 5.0)
    ]
    assert await on_hand(store, x9) == {UNKNOWN_ORIGIN: -5.0, PRODUCTION: 5.0}
    assert await on_hand(store, y1) == {"WH": 2.0, PRODUCTION: -2.0}
    items = await store.get("Item", [x9, y1])
    assert not items[x9].origin_known and items[y1].origin_known  # type: ignore[attr-defined]
    assert items[x9].unit == "KG" and items[y1].unit == "EA"  # type: ignore[attr-defined]
    assert {(s, t) for s, t in await store.neighbours([x9], Direction.FORWARD)} == {(x9, y1)}
    assert [f.id for f in await all_findings(store)] == ["urn:uuid:f1#0"]
    await assert_consistent(store)


async def test_negative_on_hand(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10)
    [entry] = await fact(store, cmd("SHIP", id="f-ship", location_id="WH", inputs=[L("FL-1", 15)]))
    assert [(f.kind, f.item_id, f.location_id, f.quantity) for f in entry.findings] == [
        (FindingKind.NEGATIVE_ON_HAND, "FL-1", "WH", 5.0)
    ]
    assert await on_hand(store, "FL-1") == {"WH": -5.0, CUSTOMER: 15.0, SUPPLIER: -10.0}
    await assert_consistent(store)


async def test_status_violation(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10)
    await record(store, cmd("RECLASSIFY", id="hold", inputs=[L("FL-1")], status=Status.HOLD))
    [entry] = await fact(store, cmd("SHIP", id="f-ship", location_id="WH", inputs=[L("FL-1", 4)]))
    assert [(f.kind, f.item_id) for f in entry.findings] == [(FindingKind.STATUS_VIOLATION, "FL-1")]
    assert await on_hand(store, "FL-1") == {"WH": 6.0, CUSTOMER: 4.0, SUPPLIER: -10.0}
    await assert_consistent(store)


async def test_consumed_before_receipt(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10, hours=10)
    [entry] = await fact(
        store,
        cmd(
            "ISSUE",
            id="f-issue",
            event_time=at(5),
            location_id="WH",
            inputs=[L("FL-1", 4)],
            outputs=[L("B-9", 4, "KG")],
        ),
    )
    assert [(f.kind, f.item_id, f.location_id) for f in entry.findings] == [
        (FindingKind.CONSUMED_BEFORE_RECEIPT, "FL-1", "WH")
    ]
    fl = (await store.get("Item", ["FL-1"]))["FL-1"]
    assert fl.first_event_time == at(5)  # type: ignore[attr-defined]
    assert await on_hand(store, "B-9") == {"WH": 4.0, PRODUCTION: -4.0}
    await assert_consistent(store)


async def test_duplicate_serial_in_a_fact(store: GraphStore) -> None:
    await bakery(store)
    await record(
        store,
        cmd(
            "RECEIVE",
            id="rcv",
            location_id="WH",
            new_items=[lot("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-1")],
            outputs=[L("FR-1")],
        ),
    )
    [entry] = await fact(
        store,
        cmd(
            "RECEIVE",
            id="f-rcv",
            location_id="DOCK",
            new_items=[lot("FR-2", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-1")],
            outputs=[L("FR-2")],
        ),
    )
    assert [(f.kind, f.item_id) for f in entry.findings] == [(FindingKind.DUPLICATE_SERIAL, "FR-2")]
    assert await on_hand(store, "FR-2") == {"DOCK": 1.0, SUPPLIER: -1.0}
    await assert_consistent(store)


async def test_facts_of_one_batch_share_new_items(store: GraphStore) -> None:
    await bakery(store)
    entries = await fact(
        store,
        cmd("RECEIVE", id="f1", location_id="P-SITE", outputs=[L("X-1", 10, "KG")]),
        cmd("MOVE", id="f2", location_id="P-SITE", to_location_id="WH", inputs=[L("X-1", 10)]),
        cmd("SHIP", id="f3", location_id="WH", inputs=[L("X-1", 12)]),
    )
    assert [e.event.id for e in entries] == ["f1", "f2", "f3"]
    assert [f.kind for e in entries for f in e.findings] == [FindingKind.NEGATIVE_ON_HAND]
    assert await on_hand(store, "X-1") == {"WH": -2.0, CUSTOMER: 12.0, SUPPLIER: -10.0}
    # A location first named in a fact is created.
    assert "P-SITE" in await store.get("Location", ["P-SITE"])
    await assert_consistent(store)


async def test_findings_page_and_integrity_lists_them(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10)
    for n in range(5):
        await fact(store, cmd("SHIP", id=f"f{n}", location_id="WH", inputs=[L("FL-1", 3)]))
    # f3 takes 3 where 1 is on hand, f4 takes 3 where -2 is: short by 2, then by 5.
    findings = await all_findings(store)
    assert [(f.id, f.kind, f.quantity) for f in findings] == [
        ("f3#0", FindingKind.NEGATIVE_ON_HAND, 2.0),
        ("f4#0", FindingKind.NEGATIVE_ON_HAND, 5.0),
    ]
    assert [f.id for f in await store.findings(None, 1)] == ["f3#0"]
    assert [f.id for f in await store.findings("f3#0", 10)] == ["f4#0"]
    report = await store.integrity()
    assert report.ok and report.findings == findings
