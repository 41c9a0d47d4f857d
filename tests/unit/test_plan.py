"""`plan()` for every event type, on a hand-built state: moves, links, status changes, balances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ledger_world import (
    CUSTOMER,
    INVENTORY_LOSS,
    PRODUCTION,
    SCRAP,
    SUPPLIER,
    L,
    NewItem,
    assert_balanced,
    at,
    bakery,
    cmd,
)

from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventType, LinkKind, Source, StatusChange
from tracegraph.domain.ledger import LedgerState, keys_for
from tracegraph.domain.models import ContainerType, ItemKind, Status, VirtualKind


def moves(entry) -> set[tuple[str, str, str, float]]:  # noqa: ANN001
    return {(m.item_id, m.from_location_id, m.to_location_id, round(m.quantity, 9)) for m in entry.event.moves}


def links(entry) -> set[tuple[str, str, LinkKind, float | None]]:  # noqa: ANN001
    return {(x.source_id, x.target_id, x.kind, x.quantity) for x in entry.event.links}


# -- receive and return -----------------------------------------------------------------------


def test_receive_converts_bags_and_sets_expiry_from_shelf_life() -> None:
    w = bakery()
    made = at(-3 * 24 * 60)
    entry = w.plan(
        cmd(
            "RECEIVE",
            id="r1",
            event_time=at(0),
            location_id="WH",
            order_id="PO-1",
            partner_id="SUP",
            new_items=[NewItem(id="FL-2", material_id="FLOUR", lot_code="X", manufactured_at=made, status=Status.QC)],
            outputs=[L("FL-2", 4, "BAG")],
        )
    )
    assert moves(entry) == {("FL-2", SUPPLIER, "WH", 100.0)}
    assert_balanced(entry)
    [item] = entry.new_items
    assert (item.unit, item.status, item.lot_code) == ("KG", Status.QC, "X")
    assert item.expires_at == made + timedelta(days=180)
    assert item.first_event_time == at(0) and item.created_by_event == "r1"
    assert entry.event.item_ids == ["FL-2"] and entry.event.order_id == "PO-1"
    assert entry.event.links == [] and entry.shipment is None and not entry.duplicate


def test_receive_uses_the_lot_override_before_the_material_conversion() -> None:
    w = bakery()
    entry = w.plan(
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="FL-2", material_id="FLOUR", conversions={"BAG": 20})],
            outputs=[L("FL-2", 4, "BAG")],
        )
    )
    assert moves(entry) == {("FL-2", SUPPLIER, "WH", 80.0)}


def test_receive_from_a_partner_location_and_without_shelf_life() -> None:
    w = bakery()
    w.location("SUP-MILL", virtual=VirtualKind.SUPPLIER)
    entry = w.plan(
        cmd(
            "RECEIVE",
            location_id="WH",
            from_location_id="SUP-MILL",
            new_items=[NewItem(id="BU-2", material_id="BUTTER")],
            outputs=[L("BU-2", 500, "G")],
        )
    )
    assert moves(entry) == {("BU-2", "SUP-MILL", "WH", 0.5)}
    assert entry.new_items[0].expires_at is None


def test_return_comes_back_from_the_customer() -> None:
    w = bakery()
    w.lot("BR-1", "BREAD", 10, CUSTOMER)
    entry = w.plan(cmd("RETURN", location_id="PACK", inputs=[], outputs=[L("BR-1", 1, "TRAY")]))
    assert moves(entry) == {("BR-1", CUSTOMER, "PACK", 12.0)}
    assert_balanced(entry)


# -- transformations --------------------------------------------------------------------------


def test_issue_into_a_batch_defaults_to_the_sum_of_its_inputs() -> None:
    w = bakery()
    entry = w.plan(
        cmd(
            "ISSUE",
            location_id="MIX",
            new_items=[NewItem(id="DB-1", kind=ItemKind.BATCH, material_id="DOUGH")],
            inputs=[L("FL-1", 2, "BAG", "WH"), L("BU-1", 20, location_id="WH")],
            outputs=[L("DB-1")],
        )
    )
    assert moves(entry) == {
        ("FL-1", "WH", PRODUCTION, 50.0),
        ("BU-1", "WH", PRODUCTION, 20.0),
        ("DB-1", PRODUCTION, "MIX", 70.0),
    }
    assert links(entry) == {("FL-1", "DB-1", LinkKind.ISSUED, 50.0), ("BU-1", "DB-1", LinkKind.ISSUED, 20.0)}
    assert entry.new_items[0].kind is ItemKind.BATCH
    assert_balanced(entry)


def test_produce_consumes_inputs_and_creates_several_outputs() -> None:
    w = bakery()
    w.lot("DB-1", "DOUGH", 70, "MIX", kind=ItemKind.BATCH)
    entry = w.plan(
        cmd(
            "PRODUCE",
            location_id="MIX",
            new_items=[NewItem(id="BR-1", material_id="BREAD"), NewItem(id="BR-2", material_id="BREAD")],
            inputs=[L("DB-1")],
            outputs=[L("BR-1", 10, "TRAY", "PACK"), L("BR-2", 30, location_id="PACK")],
        )
    )
    assert moves(entry) == {
        ("DB-1", "MIX", PRODUCTION, 70.0),
        ("BR-1", PRODUCTION, "PACK", 120.0),
        ("BR-2", PRODUCTION, "PACK", 30.0),
    }
    # The dough is shared as the bread was made: 120 and 30 pieces.
    assert links(entry) == {("DB-1", "BR-1", LinkKind.CONSUMED, 56.0), ("DB-1", "BR-2", LinkKind.CONSUMED, 14.0)}
    assert_balanced(entry)


def test_assembly_makes_one_serial_from_a_frame_and_two_wheels() -> None:
    w = bakery()
    w.material("WHEEL", base_unit="EA")
    w.item("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="1")
    w.stock("FR-1", "WH", 1)
    w.lot("WH-A", "WHEEL", 10, "WH")
    entry = w.plan(
        cmd(
            "PRODUCE",
            location_id="WH",
            new_items=[NewItem(id="BK-1", kind=ItemKind.SERIAL, material_id="BIKE", lot_code="0001")],
            inputs=[L("FR-1"), L("WH-A", 2)],
            outputs=[L("BK-1", location_id="PACK")],
        )
    )
    # The output is a serial: one unit, not the three units its inputs add up to.
    assert moves(entry) == {
        ("FR-1", "WH", PRODUCTION, 1.0),
        ("WH-A", "WH", PRODUCTION, 2.0),
        ("BK-1", PRODUCTION, "PACK", 1.0),
    }
    assert links(entry) == {("FR-1", "BK-1", LinkKind.CONSUMED, 1.0), ("WH-A", "BK-1", LinkKind.CONSUMED, 2.0)}
    assert_balanced(entry)


def test_produce_without_inputs_is_allowed() -> None:
    w = bakery()
    entry = w.plan(
        cmd("PRODUCE", location_id="PACK", new_items=[NewItem(id="BR-9", material_id="BREAD")], outputs=[L("BR-9", 5)])
    )
    assert moves(entry) == {("BR-9", PRODUCTION, "PACK", 5.0)} and entry.event.links == []


def test_split_into_sub_lots() -> None:
    w = bakery()
    w.lot("BR-1", "BREAD", 24, "PACK")
    entry = w.plan(
        cmd(
            "SPLIT",
            location_id="PACK",
            new_items=[
                NewItem(id=f"BR-1-T{n}", kind=ItemKind.SUBLOT, material_id="BREAD", parent_id="BR-1") for n in (1, 2)
            ],
            inputs=[L("BR-1")],
            outputs=[L("BR-1-T1", 1, "TRAY"), L("BR-1-T2", 12)],
        )
    )
    assert moves(entry) == {
        ("BR-1", "PACK", PRODUCTION, 24.0),
        ("BR-1-T1", PRODUCTION, "PACK", 12.0),
        ("BR-1-T2", PRODUCTION, "PACK", 12.0),
    }
    assert links(entry) == {("BR-1", "BR-1-T1", LinkKind.SPLIT, 12.0), ("BR-1", "BR-1-T2", LinkKind.SPLIT, 12.0)}
    assert {i.parent_id for i in entry.new_items} == {"BR-1"}
    assert_balanced(entry)


def test_merge_blends_into_a_new_batch() -> None:
    w = bakery()
    w.lot("DB-1", "DOUGH", 40, "MIX", kind=ItemKind.BATCH)
    w.lot("DB-2", "DOUGH", 38, "MIX", kind=ItemKind.BATCH)
    entry = w.plan(
        cmd(
            "MERGE",
            location_id="MIX",
            new_items=[NewItem(id="DB-3", kind=ItemKind.BATCH, material_id="DOUGH")],
            inputs=[L("DB-1"), L("DB-2")],
            outputs=[L("DB-3")],
        )
    )
    assert moves(entry) == {
        ("DB-1", "MIX", PRODUCTION, 40.0),
        ("DB-2", "MIX", PRODUCTION, 38.0),
        ("DB-3", PRODUCTION, "MIX", 78.0),
    }
    assert links(entry) == {("DB-1", "DB-3", LinkKind.MERGED, 40.0), ("DB-2", "DB-3", LinkKind.MERGED, 38.0)}
    assert_balanced(entry)


def test_merge_into_one_of_its_inputs_makes_no_self_link() -> None:
    w = bakery()
    w.lot("DB-1", "DOUGH", 40, "MIX", kind=ItemKind.BATCH)
    w.lot("DB-2", "DOUGH", 38, "MIX", kind=ItemKind.BATCH)
    entry = w.apply(cmd("MERGE", location_id="MIX", inputs=[L("DB-1"), L("DB-2")], outputs=[L("DB-1")]))
    assert links(entry) == {("DB-2", "DB-1", LinkKind.MERGED, 38.0)}
    assert w.balance("DB-1", "MIX") == pytest.approx(78.0) and w.balance("DB-2", "MIX") == 0.0
    assert_balanced(entry)


# -- containers -------------------------------------------------------------------------------


def test_pack_links_items_to_a_new_container_without_moving_stock() -> None:
    w = bakery()
    w.lot("BR-1", "BREAD", 24, "PACK")
    pallet = "urn:epc:id:sscc:0614141.1234567890"
    entry = w.plan(
        cmd(
            "PACK",
            location_id="PACK",
            container_id=pallet,
            new_items=[NewItem(id=pallet, kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
            inputs=[L("BR-1", 12)],
        )
    )
    assert entry.event.moves == []
    assert links(entry) == {("BR-1", pallet, LinkKind.PACKED, 12.0)}
    assert entry.new_items[0].container_type is ContainerType.LOGISTIC
    assert set(entry.event.item_ids) == {"BR-1", pallet}


def test_clean_touches_a_container_and_refuses_anything_else() -> None:
    w = bakery()
    w.item("TANK-1", None, kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT)
    entry = w.plan(cmd("CLEAN", id="c1", container_id="TANK-1"))
    assert entry.event.moves == [] and entry.event.links == []
    assert entry.event.item_ids == ["TANK-1"]
    with pytest.raises(DomainError) as refused:
        w.plan(cmd("CLEAN", container_id="FL-1"))
    assert refused.value.problems[0].field == "containerId"
    with pytest.raises(DomainError) as unknown:
        w.plan(cmd("CLEAN", container_id="NOPE"))
    assert unknown.value.problems[0].code == "NOT_FOUND"


def test_unpack_checks_items_and_writes_no_moves() -> None:
    w = bakery()
    w.item("BIN-1", None, kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT)
    entry = w.plan(cmd("UNPACK", location_id="WH", container_id="BIN-1", inputs=[L("FL-1")]))
    assert entry.event.moves == [] and entry.event.links == []
    assert set(entry.event.item_ids) == {"FL-1", "BIN-1"}


def test_observe_changes_nothing() -> None:
    w = bakery()
    entry = w.plan(cmd("OBSERVE", location_id="WH", inputs=[L("FL-1")]))
    assert entry.event.moves == [] and entry.event.links == [] and entry.event.item_ids == ["FL-1"]


# -- moves out --------------------------------------------------------------------------------


def test_move_between_locations() -> None:
    w = bakery()
    entry = w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 3, "BAG")]))
    assert moves(entry) == {("FL-1", "WH", "MIX", 75.0)}
    assert_balanced(entry)


def test_move_finds_the_only_location_an_item_is_in() -> None:
    w = bakery()
    entry = w.apply(cmd("MOVE", to_location_id="MIX", inputs=[L("FL-1", 100)]))
    assert moves(entry) == {("FL-1", "WH", "MIX", 100.0)}
    # Now in two places: the source must be named.
    with pytest.raises(DomainError) as info:
        w.plan(cmd("MOVE", to_location_id="PACK", inputs=[L("FL-1", 1)]))
    assert info.value.problems[0].field == "inputs[0].locationId"


def test_move_without_quantity_moves_everything_on_hand() -> None:
    w = bakery()
    entry = w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1")]))
    assert moves(entry) == {("FL-1", "WH", "MIX", 1000.0)}


def test_ship_to_the_customer_records_a_shipment() -> None:
    w = bakery()
    w.lot("BR-1", "BREAD", 24, "PACK")
    entry = w.plan(
        cmd(
            "SHIP",
            event_time=at(60),
            location_id="PACK",
            shipment_id="SH-1",
            order_id="SO-1",
            partner_id="CUST-1",
            inputs=[L("BR-1", 1, "TRAY")],
        )
    )
    assert moves(entry) == {("BR-1", "PACK", CUSTOMER, 12.0)}
    assert entry.shipment is not None
    assert (
        entry.shipment.id,
        entry.shipment.destination_id,
        entry.shipment.order_id,
        entry.shipment.partner_id,
        entry.shipment.shipped_at,
    ) == ("SH-1", CUSTOMER, "SO-1", "CUST-1", at(60))
    assert_balanced(entry)


def test_ship_to_a_partner_customer_location() -> None:
    w = bakery()
    w.location("STORE-12", virtual=VirtualKind.CUSTOMER, partner_id="FRESHWAY")
    w.lot("BR-1", "BREAD", 24, "PACK")
    entry = w.plan(cmd("SHIP", location_id="PACK", to_location_id="STORE-12", shipment_id="SH-2", inputs=[L("BR-1")]))
    assert moves(entry) == {("BR-1", "PACK", "STORE-12", 24.0)}
    assert entry.shipment is not None and entry.shipment.destination_id == "STORE-12"


def test_scrap_goes_to_the_scrap_location() -> None:
    w = bakery()
    entry = w.plan(cmd("SCRAP", location_id="WH", reason="torn bag", inputs=[L("FL-1", 1, "BAG")]))
    assert moves(entry) == {("FL-1", "WH", SCRAP, 25.0)}
    assert entry.event.reason == "torn bag"
    assert_balanced(entry)


# -- counts, status and characteristics -------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        (990.0, {("FL-1", "WH", INVENTORY_LOSS, 10.0)}),
        (1002.5, {("FL-1", INVENTORY_LOSS, "WH", 2.5)}),
        (1000.0, set()),
        (0.0, {("FL-1", "WH", INVENTORY_LOSS, 1000.0)}),
    ],
)
def test_adjust_books_the_difference_to_inventory_loss(counted: float, expected: set) -> None:
    w = bakery()
    entry = w.plan(cmd("ADJUST", location_id="WH", inputs=[L("FL-1", counted)]))
    assert moves(entry) == expected
    assert_balanced(entry)


def test_adjust_counts_in_any_unit_and_at_a_new_location() -> None:
    w = bakery()
    entry = w.plan(cmd("ADJUST", location_id="WH", inputs=[L("FL-1", 39, "BAG"), L("FL-1", 2, "BAG", "MIX")]))
    assert moves(entry) == {("FL-1", "WH", INVENTORY_LOSS, 25.0), ("FL-1", INVENTORY_LOSS, "MIX", 50.0)}


def test_reclassify_records_the_status_change() -> None:
    w = bakery()
    w.lot("FL-2", "FLOUR", 100, "WH", status=Status.QC)
    entry = w.plan(cmd("RECLASSIFY", status=Status.RELEASED, inputs=[L("FL-1"), L("FL-2")]))
    # FL-1 is already released: only FL-2 changes.
    assert entry.event.status_changes == [
        StatusChange(item_id="FL-2", from_status=Status.QC, to_status=Status.RELEASED)
    ]
    assert [(i.id, i.status) for i in entry.updated_items] == [("FL-2", Status.RELEASED)]
    assert entry.event.moves == []


def test_characteristics_are_merged_into_the_item() -> None:
    w = bakery()
    w.item("FL-2", "FLOUR", characteristics={"moisture_pct": 15.0, "origin": "FR"})
    entry = w.plan(
        cmd("CHARACTERISTICS", characteristics={"moisture_pct": 14.1, "gluten_ok": True}, inputs=[L("FL-2")])
    )
    [item] = entry.updated_items
    assert item.characteristics == {"moisture_pct": 14.1, "origin": "FR", "gluten_ok": True}


# -- corrections ------------------------------------------------------------------------------


def test_correction_runs_the_moves_backwards() -> None:
    w = bakery()
    moved = w.apply(cmd("MOVE", id="m1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 100)]))
    entry = w.apply(cmd("CORRECTION", id="c1", reverses="m1", reason="wrong shelf"))
    assert moves(entry) == {("FL-1", "MIX", "WH", 100.0)}
    assert entry.event.reverses == "m1"
    assert w.balance("FL-1", "WH") == 1000.0 and w.balance("FL-1", "MIX") == 0.0
    assert "m1" in w.state.reversed_ids and moved.event.id == "m1"


def test_correction_undoes_a_status_change() -> None:
    w = bakery()
    w.apply(cmd("RECLASSIFY", id="h1", status=Status.HOLD, inputs=[L("FL-1")]))
    entry = w.apply(cmd("CORRECTION", reverses="h1"))
    assert entry.event.status_changes == [
        StatusChange(item_id="FL-1", from_status=Status.HOLD, to_status=Status.RELEASED)
    ]
    assert w.state.items["FL-1"].status == Status.RELEASED


def test_correction_of_a_production_returns_inputs_and_removes_outputs() -> None:
    w = bakery()
    w.apply(
        cmd(
            "ISSUE",
            id="i1",
            location_id="MIX",
            new_items=[NewItem(id="DB-1", material_id="DOUGH")],
            inputs=[L("FL-1", 50, location_id="WH")],
            outputs=[L("DB-1")],
        )
    )
    entry = w.apply(cmd("CORRECTION", reverses="i1"))
    assert moves(entry) == {("FL-1", PRODUCTION, "WH", 50.0), ("DB-1", "MIX", PRODUCTION, 50.0)}
    assert w.balance("FL-1", "WH") == 1000.0 and w.balance("DB-1", "MIX") == 0.0
    assert_balanced(entry)


# -- assemble and disassemble -----------------------------------------------------------------


def test_assemble_installs_components_into_an_assembly_that_does_not_move() -> None:
    w = bakery()
    w.item("BIKE-1", "BIKE", kind=ItemKind.SERIAL)
    w.stock("BIKE-1", "PACK", 1.0)
    w.item("F-1", "FRAME", kind=ItemKind.SERIAL)
    w.stock("F-1", "WH", 1.0)
    entry = w.apply(
        cmd("ASSEMBLE", id="a1", event_time=at(5), inputs=[L("F-1", location_id="WH")], outputs=[L("BIKE-1")])
    )
    assert moves(entry) == {("F-1", "WH", PRODUCTION, 1.0)}
    assert links(entry) == {("F-1", "BIKE-1", LinkKind.INSTALLED, 1.0)}
    assert [(c.item_id, c.event_id) for c in w.state.items["BIKE-1"].components] == [("F-1", "a1")]
    assert w.balance("BIKE-1", "PACK") == 1.0
    assert_balanced(entry)


def test_disassemble_takes_a_component_back_into_stock() -> None:
    w = bakery()
    w.item("BIKE-1", "BIKE", kind=ItemKind.SERIAL)
    w.stock("BIKE-1", "PACK", 1.0)
    w.item("F-1", "FRAME", kind=ItemKind.SERIAL)
    w.stock("F-1", "WH", 1.0)
    w.apply(cmd("ASSEMBLE", id="a1", event_time=at(5), inputs=[L("F-1", location_id="WH")], outputs=[L("BIKE-1")]))
    entry = w.apply(
        cmd("DISASSEMBLE", id="d1", event_time=at(6), inputs=[L("BIKE-1")], outputs=[L("F-1", location_id="MIX")])
    )
    assert moves(entry) == {("F-1", PRODUCTION, "MIX", 1.0)} and links(entry) == set()
    assert w.state.items["BIKE-1"].components == []
    assert [(c.item_id, c.installed) for c in entry.event.component_changes] == [("F-1", False)]
    assert_balanced(entry)


# -- every type: balanced, and the keys a store must load --------------------------------------


def test_every_event_type_is_covered() -> None:
    planned = {n[len("test_") :] for n in globals() if n.startswith("test_")}
    for t in EventType:
        assert any(t.value.lower() in name for name in planned), f"no test plans a {t.value} event"


def test_keys_for_names_items_locations_serials_and_events() -> None:
    c = cmd(
        "PRODUCE",
        id="p1",
        location_id="MIX",
        container_id="BOX",
        new_items=[NewItem(id="BK-1", kind=ItemKind.SERIAL, material_id="BIKE", lot_code="0001", parent_id="LOT-9")],
        inputs=[L("FR-1", location_id="WH")],
        outputs=[L("BK-1", location_id="PACK")],
    )
    keys = keys_for(c)
    assert keys.item_ids == {"FR-1", "BK-1", "LOT-9", "BOX"}
    assert {"MIX", "WH", "PACK", SUPPLIER, PRODUCTION} <= keys.location_ids
    assert keys.material_ids == {"BIKE"}
    assert keys.serials == {("BIKE", "0001")}
    assert keys.event_ids == {"p1"}


def test_keys_for_a_correction_include_what_the_reversed_event_touched() -> None:
    w = bakery()
    moved = w.apply(cmd("MOVE", id="m1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 1)]))
    keys = keys_for(cmd("CORRECTION", reverses="m1"), moved.event)
    assert "m1" in keys.event_ids and "FL-1" in keys.item_ids and {"WH", "MIX"} <= keys.location_ids


def test_planning_does_not_touch_the_state() -> None:
    w = bakery()
    before = (dict(w.state.balances), dict(w.state.items))
    w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 100)]))
    assert (w.state.balances, w.state.items) == before
    assert isinstance(w.state, LedgerState)


# -- several requests planned together (a group commit) ----------------------------------------


def test_plan_requests_isolates_a_refused_request() -> None:
    from tracegraph.domain.ledger import plan_requests

    w = bakery()
    take = lambda n, q: [cmd("MOVE", id=f"m{n}", to_location_id="MIX", inputs=[L("FL-1", q, location_id="WH")])]  # noqa: E731
    outcomes = plan_requests(
        [(take(1, 600), Source.COMMAND), (take(2, 600), Source.COMMAND), (take(3, 400), Source.COMMAND)], w.state
    )
    assert isinstance(outcomes[0], list) and isinstance(outcomes[2], list)
    assert isinstance(outcomes[1], DomainError), "600 more than the 400 left: refused"
    assert outcomes[1].problems[0].code == "INSUFFICIENT_STOCK"
    assert w.balance("FL-1", "WH") == 0.0 and w.balance("FL-1", "MIX") == 1000.0
    assert set(w.state.events) == {"m1", "m3"}, "the refused request left nothing in the state"
