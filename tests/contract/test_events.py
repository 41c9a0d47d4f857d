"""Every event type writes the balances, lineage links, items and events computed by hand."""

from __future__ import annotations

from contract_kit import (
    CUSTOMER,
    FLOUR_SHELF_LIFE,
    INVENTORY_LOSS,
    PRODUCTION,
    SCRAP,
    SUPPLIER,
    L,
    assert_consistent,
    assert_refused,
    at,
    backward,
    bakery,
    balances,
    cmd,
    event_ids,
    forward,
    lot,
    on_hand,
    receive,
    record,
)

from tracegraph.domain import errors as E
from tracegraph.domain.events import EventType, LinkKind, NewItem
from tracegraph.domain.models import ContainerType, Item, ItemKind, Shipment, Status
from tracegraph.store.port import GraphStore


async def item(store: GraphStore, item_id: str) -> Item:
    got = await store.get("Item", [item_id])
    assert item_id in got, f"no item {item_id}"
    return got[item_id]  # type: ignore[return-value]


async def test_receive(store: GraphStore) -> None:
    await bakery(store)
    entry = await receive(store, "FL-1", "FLOUR", 4, unit="BAG", lot_code="F1", hours=1)
    assert not entry.duplicate
    assert [(m.item_id, m.from_location_id, m.to_location_id, m.quantity) for m in entry.event.moves] == [
        ("FL-1", SUPPLIER, "WH", 100.0)
    ]
    assert await on_hand(store, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}
    fl = await item(store, "FL-1")
    assert (fl.kind, fl.material_id, fl.unit, fl.lot_code, fl.status) == (
        ItemKind.LOT,
        "FLOUR",
        "KG",
        "F1",
        Status.RELEASED,
    )
    assert fl.expires_at == at(1 + FLOUR_SHELF_LIFE * 24)  # shelf life from the receipt
    assert fl.first_event_time == at(1)
    assert fl.created_by_event == "rcv-FL-1" and fl.origin_known
    assert await event_ids(store) == ["rcv-FL-1"]
    recorded = (await store.events_by_id(["rcv-FL-1"]))["rcv-FL-1"]
    assert recorded == entry.event
    assert recorded.type is EventType.RECEIVE and recorded.item_ids == ["FL-1"]
    assert (await store.events_of_items(["FL-1"]))["FL-1"] == [entry.event]
    report = await store.integrity()
    assert report.ok and report.items == 1 and report.events == 1 and report.findings == []


async def test_issue_into_a_batch(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    [entry] = await record(
        store,
        cmd(
            "ISSUE",
            id="iss-1",
            location_id="WH",
            inputs=[L("FL-1", 30)],
            new_items=[lot("B-1", "FLOUR", kind=ItemKind.BATCH)],
            outputs=[L("B-1")],
        ),
    )
    assert [(k.source_id, k.target_id, k.kind, k.quantity) for k in entry.event.links] == [
        ("FL-1", "B-1", LinkKind.ISSUED, 30.0)
    ]
    assert await on_hand(store, "FL-1") == {"WH": 70.0, PRODUCTION: 30.0, SUPPLIER: -100.0}
    assert await on_hand(store, "B-1") == {"WH": 30.0, PRODUCTION: -30.0}
    assert (await item(store, "B-1")).kind is ItemKind.BATCH
    assert await forward(store, "FL-1") == {"B-1"}
    assert await backward(store, "B-1") == {"FL-1"}
    await assert_consistent(store)


async def test_produce_in_two_steps(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await receive(store, "SU-1", "SUGAR", 20)
    await record(
        store,
        cmd(
            "PRODUCE",
            id="mix",
            location_id="WH",
            to_location_id="LINE",
            inputs=[L("FL-1", 50), L("SU-1", 10)],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 60)],
        ),
    )
    assert await on_hand(store, "FL-1") == {"WH": 50.0, PRODUCTION: 50.0, SUPPLIER: -100.0}
    assert await on_hand(store, "SU-1") == {"WH": 10.0, PRODUCTION: 10.0, SUPPLIER: -20.0}
    assert await on_hand(store, "D-1") == {"LINE": 60.0, PRODUCTION: -60.0}
    await record(
        store,
        cmd(
            "PRODUCE",
            id="bake",
            location_id="LINE",
            inputs=[L("D-1", 60)],
            new_items=[lot("BR-1", "BREAD")],
            outputs=[L("BR-1", 5, "TRAY")],
        ),
    )
    assert await on_hand(store, "D-1") == {}  # 60 - 60 on the line, -60 + 60 in production
    assert await balances(store, item_ids=["D-1"], include_zero=True) == {
        ("D-1", "LINE"): 0.0,
        ("D-1", PRODUCTION): 0.0,
    }
    assert await on_hand(store, "BR-1") == {"LINE": 60.0, PRODUCTION: -60.0}
    assert await backward(store, "D-1") == {"FL-1", "SU-1"}
    assert await forward(store, "D-1") == {"BR-1"}
    assert await backward(store, "BR-1") == {"D-1"}
    assert [e for e in await event_ids(store)] == ["rcv-FL-1", "rcv-SU-1", "mix", "bake"]
    await assert_consistent(store)


async def test_split_and_merge(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "L-1", "FLOUR", 100)
    [split] = await record(
        store,
        cmd(
            "SPLIT",
            id="split",
            location_id="WH",
            inputs=[L("L-1", 100)],
            new_items=[
                lot("S-1", "FLOUR", kind=ItemKind.SUBLOT, parent_id="L-1"),
                lot("S-2", "FLOUR", kind=ItemKind.SUBLOT, parent_id="L-1"),
            ],
            outputs=[L("S-1", 40), L("S-2", 60)],
        ),
    )
    assert {(k.source_id, k.target_id, k.kind) for k in split.event.links} == {
        ("L-1", "S-1", LinkKind.SPLIT),
        ("L-1", "S-2", LinkKind.SPLIT),
    }
    assert await on_hand(store, "L-1") == {PRODUCTION: 100.0, SUPPLIER: -100.0}
    assert await on_hand(store, "S-1") == {"WH": 40.0, PRODUCTION: -40.0}
    assert await on_hand(store, "S-2") == {"WH": 60.0, PRODUCTION: -60.0}
    assert (await item(store, "S-1")).parent_id == "L-1"
    await record(
        store,
        cmd(
            "MERGE",
            id="merge",
            location_id="WH",
            inputs=[L("S-1"), L("S-2")],
            new_items=[lot("M-1", "FLOUR")],
            outputs=[L("M-1")],
        ),
    )
    assert await on_hand(store, "M-1") == {"WH": 100.0, PRODUCTION: -100.0}
    assert await on_hand(store, "S-1") == {}
    assert await forward(store, "L-1") == {"S-1", "S-2"}
    assert await backward(store, "M-1") == {"S-1", "S-2"}
    await assert_consistent(store)


async def test_pack_and_unpack(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "BR-1", "BREAD", 24)
    [pack] = await record(
        store,
        cmd(
            "PACK",
            id="pack",
            location_id="WH",
            inputs=[L("BR-1", 24)],
            container_id="PAL-1",
            new_items=[NewItem(id="PAL-1", kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
        ),
    )
    assert [(k.source_id, k.target_id, k.kind, k.quantity) for k in pack.event.links] == [
        ("BR-1", "PAL-1", LinkKind.PACKED, 24.0)
    ]
    pal = await item(store, "PAL-1")
    assert pal.kind is ItemKind.CONTAINER and pal.container_type is ContainerType.LOGISTIC
    assert await on_hand(store, "BR-1") == {"WH": 24.0, SUPPLIER: -24.0}  # packing moves nothing
    assert await on_hand(store, "PAL-1") == {}
    assert await forward(store, "BR-1") == {"PAL-1"}
    await record(store, cmd("UNPACK", id="unpack", location_id="WH", container_id="PAL-1", inputs=[L("BR-1")]))
    assert [e.id for e in (await store.events_of_items(["PAL-1"]))["PAL-1"]] == ["pack", "unpack"]
    assert await on_hand(store, "BR-1") == {"WH": 24.0, SUPPLIER: -24.0}
    await assert_consistent(store)


async def test_move_ship_and_return(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "BR-1", "BREAD", 100)
    await record(store, cmd("MOVE", id="move", from_location_id="WH", to_location_id="DOCK", inputs=[L("BR-1", 40)]))
    assert await on_hand(store, "BR-1") == {"WH": 60.0, "DOCK": 40.0, SUPPLIER: -100.0}
    [ship] = await record(
        store,
        cmd(
            "SHIP",
            id="ship",
            location_id="DOCK",
            inputs=[L("BR-1", 30)],
            shipment_id="SH-1",
            order_id="SO-1",
            partner_id="SHOP",
            event_time=at(2),
        ),
    )
    assert ship.shipment == Shipment(
        id="SH-1", order_id="SO-1", partner_id="SHOP", destination_id=CUSTOMER, shipped_at=at(2)
    )
    assert await on_hand(store, "BR-1") == {"WH": 60.0, "DOCK": 10.0, CUSTOMER: 30.0, SUPPLIER: -100.0}
    assert await store.get("Shipment", ["SH-1"]) == {"SH-1": ship.shipment}
    assert [s.id for s in await store.page("Shipment", None, 10)] == ["SH-1"]
    await record(store, cmd("RETURN", id="return", location_id="WH", outputs=[L("BR-1", 5)]))
    assert await on_hand(store, "BR-1") == {"WH": 65.0, "DOCK": 10.0, CUSTOMER: 25.0, SUPPLIER: -100.0}
    await assert_consistent(store)


async def test_second_shipment_of_one_id_updates_its_time(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "BR-1", "BREAD", 100)
    await record(
        store,
        cmd("SHIP", id="s1", location_id="WH", inputs=[L("BR-1", 1)], shipment_id="SH-1", event_time=at(1)),
        cmd("SHIP", id="s2", location_id="WH", inputs=[L("BR-1", 1)], shipment_id="SH-1", event_time=at(2)),
    )
    await record(
        store, cmd("SHIP", id="s3", location_id="WH", inputs=[L("BR-1", 1)], shipment_id="SH-1", event_time=at(3))
    )
    shipments = await store.page("Shipment", None, 10)
    assert [(s.id, s.shipped_at) for s in shipments] == [("SH-1", at(3))]  # type: ignore[attr-defined]
    assert await on_hand(store, "BR-1") == {"WH": 97.0, CUSTOMER: 3.0, SUPPLIER: -100.0}


async def test_adjust_and_scrap(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await record(store, cmd("ADJUST", id="count-1", location_id="WH", inputs=[L("FL-1", 97)]))
    assert await on_hand(store, "FL-1") == {"WH": 97.0, INVENTORY_LOSS: 3.0, SUPPLIER: -100.0}
    await record(store, cmd("ADJUST", id="count-2", inputs=[L("FL-1", 99, location_id="WH")]))
    assert await on_hand(store, "FL-1") == {"WH": 99.0, INVENTORY_LOSS: 1.0, SUPPLIER: -100.0}
    await record(store, cmd("SCRAP", id="scrap", location_id="WH", inputs=[L("FL-1", 9)]))
    assert await on_hand(store, "FL-1") == {"WH": 90.0, INVENTORY_LOSS: 1.0, SCRAP: 9.0, SUPPLIER: -100.0}
    # A count of nothing found empties the location.
    await record(store, cmd("ADJUST", id="count-3", location_id="WH", inputs=[L("FL-1", 0)]))
    assert await on_hand(store, "FL-1") == {INVENTORY_LOSS: 91.0, SCRAP: 9.0, SUPPLIER: -100.0}
    await assert_consistent(store)


async def test_reclassify_gates_issue_and_shipping(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    [hold] = await record(store, cmd("RECLASSIFY", id="hold", inputs=[L("FL-1")], status=Status.HOLD))
    assert [(c.item_id, c.from_status, c.to_status) for c in hold.event.status_changes] == [
        ("FL-1", Status.RELEASED, Status.HOLD)
    ]
    assert (await item(store, "FL-1")).status == Status.HOLD
    await assert_refused(store, cmd("SHIP", location_id="WH", inputs=[L("FL-1", 1)]), code=E.STATUS_FORBIDS)
    await assert_refused(
        store,
        cmd(
            "ISSUE",
            location_id="WH",
            inputs=[L("FL-1", 1)],
            new_items=[lot("B-1", "FLOUR", kind=ItemKind.BATCH)],
            outputs=[L("B-1")],
        ),
        code=E.STATUS_FORBIDS,
    )
    await record(store, cmd("MOVE", id="move", location_id="WH", to_location_id="DOCK", inputs=[L("FL-1", 10)]))
    await record(store, cmd("RECLASSIFY", id="release", inputs=[L("FL-1")], status=Status.RELEASED))
    await record(store, cmd("SHIP", id="ship", location_id="DOCK", inputs=[L("FL-1", 10)]))
    assert await on_hand(store, "FL-1") == {"WH": 90.0, CUSTOMER: 10.0, SUPPLIER: -100.0}
    page = await store.page("Item", None, 10, None)
    assert [i.id for i in page] == ["FL-1"]
    await assert_consistent(store)


async def test_item_pages_filter(store: GraphStore) -> None:
    from tracegraph.store.port import ItemFilter

    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await receive(store, "FL-2", "FLOUR", 100, lot_code="MS-7")
    await receive(store, "SU-1", "SUGAR", 100, lot_code="MS-7")
    await record(store, cmd("RECLASSIFY", id="qc", inputs=[L("FL-2")], status=Status.QC))
    ids = lambda page: [i.id for i in page]  # noqa: E731
    assert ids(await store.page("Item", None, 10)) == ["FL-1", "FL-2", "SU-1"]
    assert ids(await store.page("Item", "FL-1", 1)) == ["FL-2"]
    assert ids(await store.page("Item", None, 10, ItemFilter(material_id="FLOUR"))) == ["FL-1", "FL-2"]
    assert ids(await store.page("Item", None, 10, ItemFilter(status="QC"))) == ["FL-2"]
    assert ids(await store.page("Item", None, 10, ItemFilter(kind="LOT", material_id="SUGAR"))) == ["SU-1"]
    assert ids(await store.page("Item", None, 10, ItemFilter(kind="SERIAL"))) == []
    assert ids(await store.page("Item", None, 10, ItemFilter(lot_code="MS-7"))) == ["FL-2", "SU-1"]
    assert ids(await store.page("Item", None, 10, ItemFilter(material_id="FLOUR", lot_code="MS-7"))) == ["FL-2"]


async def test_characteristics_merge(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100, characteristics={"grade": "A"})
    await record(
        store, cmd("CHARACTERISTICS", id="c1", inputs=[L("FL-1")], characteristics={"moisture": 12.5, "organic": True})
    )
    await record(store, cmd("CHARACTERISTICS", id="c2", inputs=[L("FL-1")], characteristics={"moisture": 13.0}))
    assert (await item(store, "FL-1")).characteristics == {"grade": "A", "moisture": 13.0, "organic": True}
    assert await on_hand(store, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}
    await assert_consistent(store)


async def test_serials(store: GraphStore) -> None:
    await bakery(store)
    await record(
        store,
        cmd(
            "RECEIVE",
            id="rcv",
            location_id="WH",
            new_items=[
                lot("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-1"),
                lot("FR-2", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-2"),
            ],
            outputs=[L("FR-1"), L("FR-2")],
        ),
    )
    assert await on_hand(store, "FR-1") == {"WH": 1.0, SUPPLIER: -1.0}
    await assert_refused(
        store,
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[lot("FR-3", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-2")],
            outputs=[L("FR-3")],
        ),
        code=E.DUPLICATE_SERIAL,
    )
    await assert_refused(
        store,
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[
                lot("FR-3", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-3"),
                lot("FR-4", "FRAME", kind=ItemKind.SERIAL, lot_code="SN-3"),
            ],
            outputs=[L("FR-3"), L("FR-4")],
        ),
        code=E.DUPLICATE_SERIAL,
    )
    # The same number under another material is another serial.
    await assert_consistent(store)


async def test_correction_reverses_moves_and_voids_links(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await record(store, cmd("MOVE", id="move", location_id="WH", to_location_id="DOCK", inputs=[L("FL-1", 40)]))
    [fix] = await record(store, cmd("CORRECTION", id="fix-move", reverses="move", reason="wrong dock"))
    assert fix.event.reverses == "move"
    assert [(m.from_location_id, m.to_location_id, m.quantity) for m in fix.event.moves] == [("DOCK", "WH", 40.0)]
    assert await on_hand(store, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}
    await record(
        store,
        cmd(
            "PRODUCE",
            id="mix",
            location_id="WH",
            inputs=[L("FL-1", 50)],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 50)],
        ),
    )
    assert await forward(store, "FL-1") == {"D-1"}
    await record(store, cmd("CORRECTION", id="fix-mix", reverses="mix"))
    assert await forward(store, "FL-1") == set()
    assert await backward(store, "D-1") == set()
    assert await on_hand(store, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}
    assert await on_hand(store, "D-1") == {}
    assert await event_ids(store) == ["rcv-FL-1", "move", "fix-move", "mix", "fix-mix"]
    await assert_refused(store, cmd("CORRECTION", reverses="mix"), code=E.CONFLICT, field="reverses")
    await assert_refused(store, cmd("CORRECTION", reverses="fix-mix"), code=E.INVALID, field="reverses")
    await assert_refused(store, cmd("CORRECTION", reverses="nope"), code=E.NOT_FOUND, field="reverses")
    await assert_consistent(store)


async def test_correction_restores_a_status(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await record(store, cmd("RECLASSIFY", id="fail", inputs=[L("FL-1")], status=Status.FAIL))
    await record(store, cmd("CORRECTION", id="unfail", reverses="fail"))
    assert (await item(store, "FL-1")).status == Status.RELEASED
    await assert_consistent(store)


async def test_correction_in_the_same_batch(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await record(
        store,
        cmd(
            "PRODUCE",
            id="mix",
            location_id="WH",
            inputs=[L("FL-1", 50)],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 50)],
        ),
        cmd("CORRECTION", id="fix", reverses="mix"),
    )
    assert await forward(store, "FL-1") == set()
    assert await on_hand(store, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}
    await assert_refused(store, cmd("CORRECTION", reverses="mix"), code=E.CONFLICT)
    await assert_consistent(store)
