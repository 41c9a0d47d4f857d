"""Commands the ledger refuses: every problem named, with its field and code, nothing planned."""

from __future__ import annotations

import pytest
from ledger_world import L, NewItem, World, at, bakery, cmd

from tracegraph.domain import errors as E
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand
from tracegraph.domain.models import ItemKind, Status


def refused(w: World, command: EventCommand) -> list[tuple[str | None, str]]:
    with pytest.raises(DomainError) as info:
        w.plan(command)
    return [(p.field, p.code) for p in info.value.problems]


@pytest.mark.parametrize("quantity", [0, -1, -0.5])
def test_quantity_must_be_positive(quantity: float) -> None:
    w = bakery()
    assert refused(w, cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", quantity)])) == [
        ("inputs[0].quantity", E.INVALID_QUANTITY)
    ]
    assert refused(
        w,
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="FL-2", material_id="FLOUR")],
            outputs=[L("FL-2", quantity)],
        ),
    ) == [("outputs[0].quantity", E.INVALID_QUANTITY)]


def test_a_count_may_be_zero_but_not_negative_nor_missing() -> None:
    w = bakery()
    assert refused(w, cmd("ADJUST", location_id="WH", inputs=[L("FL-1", -1)])) == [
        ("inputs[0].quantity", E.INVALID_QUANTITY)
    ]
    assert refused(w, cmd("ADJUST", location_id="WH", inputs=[L("FL-1")])) == [
        ("inputs[0].quantity", E.INVALID_QUANTITY)
    ]


def test_unknown_unit() -> None:
    w = bakery()
    assert refused(w, cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 1, "CASE")])) == [
        ("inputs[0].unit", E.UNKNOWN_UNIT)
    ]
    assert refused(w, cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 1, "L")])) == [
        ("inputs[0].unit", E.UNKNOWN_UNIT)
    ]


def test_unknown_item_location_and_material() -> None:
    w = bakery()
    assert refused(w, cmd("SHIP", location_id="WH", inputs=[L("NOPE", 1)])) == [("inputs[0].itemId", E.NOT_FOUND)]
    assert refused(w, cmd("MOVE", from_location_id="WH", to_location_id="MARS", inputs=[L("FL-1", 1)])) == [
        ("toLocationId", E.NOT_FOUND)
    ]
    assert refused(
        w, cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="X-1", material_id="SALT")], outputs=[L("X-1", 1)])
    ) == [("newItems[0].materialId", E.NOT_FOUND), ("outputs[0].itemId", E.NOT_FOUND)]
    assert refused(w, cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="X-1")], outputs=[L("X-1", 1)]))[0] == (
        "newItems[0].materialId",
        E.INVALID,
    )
    assert refused(w, cmd("RECLASSIFY", status=Status.HOLD, inputs=[L("NOPE")])) == [("inputs[0].itemId", E.NOT_FOUND)]


def test_an_item_that_exists_cannot_be_created_again() -> None:
    w = bakery()
    assert refused(
        w, cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="FL-1", material_id="FLOUR")], outputs=[L("FL-1", 1)])
    ) == [("newItems[0].id", E.ALREADY_EXISTS)]


def test_insufficient_stock() -> None:
    w = bakery()
    problems = refused(w, cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 41, "BAG")]))
    assert problems == [("inputs[0].quantity", E.INSUFFICIENT_STOCK)]
    assert refused(w, cmd("SHIP", location_id="MIX", inputs=[L("FL-1")])) == [
        ("inputs[0].quantity", E.INSUFFICIENT_STOCK)
    ]


def test_two_lines_of_one_item_cannot_take_more_than_is_on_hand() -> None:
    w = bakery()
    problems = refused(
        w,
        cmd(
            "ISSUE",
            location_id="MIX",
            new_items=[NewItem(id="DB-1", material_id="DOUGH")],
            inputs=[L("FL-1", 600, location_id="WH"), L("FL-1", 600, location_id="WH")],
            outputs=[L("DB-1")],
        ),
    )
    assert problems == [("inputs[1].quantity", E.INSUFFICIENT_STOCK)]


@pytest.mark.parametrize("status", [Status.HOLD, Status.FAIL])
def test_held_or_failed_stock_may_be_neither_issued_nor_shipped(status: Status) -> None:
    w = bakery()
    w.lot("FL-H", "FLOUR", 100, "WH", status=status)
    issue = cmd(
        "ISSUE",
        location_id="MIX",
        new_items=[NewItem(id="DB-1", material_id="DOUGH")],
        inputs=[L("FL-H", 10, location_id="WH")],
        outputs=[L("DB-1")],
    )
    assert refused(w, issue) == [("inputs[0].itemId", E.STATUS_FORBIDS)]
    assert refused(w, cmd("SHIP", location_id="WH", inputs=[L("FL-H", 10)])) == [("inputs[0].itemId", E.STATUS_FORBIDS)]
    for t in ("PRODUCE", "MERGE"):
        c = cmd(
            t,
            location_id="MIX",
            new_items=[NewItem(id="DB-1", material_id="DOUGH")],
            inputs=[L("FL-H", 10, location_id="WH")],
            outputs=[L("DB-1")],
        )
        assert refused(w, c) == [("inputs[0].itemId", E.STATUS_FORBIDS)]
    # A held lot may still be moved, split, counted and scrapped.
    w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-H", 10)]))
    w.plan(cmd("SCRAP", location_id="WH", inputs=[L("FL-H", 10)]))


def test_qc_stock_may_be_issued_but_not_shipped() -> None:
    w = bakery()
    w.lot("FL-Q", "FLOUR", 100, "WH", status=Status.QC)
    w.plan(
        cmd(
            "ISSUE",
            location_id="MIX",
            new_items=[NewItem(id="DB-1", material_id="DOUGH")],
            inputs=[L("FL-Q", 10, location_id="WH")],
            outputs=[L("DB-1")],
        )
    )
    assert refused(w, cmd("SHIP", location_id="WH", inputs=[L("FL-Q", 10)])) == [("inputs[0].itemId", E.STATUS_FORBIDS)]


def _serial(id: str, number: str) -> NewItem:  # noqa: A002
    return NewItem(id=id, kind=ItemKind.SERIAL, material_id="FRAME", lot_code=number)


def test_duplicate_serial_number() -> None:
    w = bakery()
    w.item("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="240101")
    assert refused(w, cmd("RECEIVE", location_id="WH", new_items=[_serial("FR-2", "240101")], outputs=[L("FR-2")])) == [
        ("newItems[0].lotCode", E.DUPLICATE_SERIAL),
        ("outputs[0].itemId", E.NOT_FOUND),
    ]
    # Twice in one command.
    assert ("newItems[1].lotCode", E.DUPLICATE_SERIAL) in refused(
        w,
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[_serial("FR-3", "9"), _serial("FR-4", "9")],
            outputs=[L("FR-3"), L("FR-4")],
        ),
    )
    # The same number under another material is another serial.
    w.plan(
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="BK-1", kind=ItemKind.SERIAL, material_id="BIKE", lot_code="240101")],
            outputs=[L("BK-1")],
        )
    )


@pytest.mark.parametrize(("quantity", "unit"), [(2, None), (2, "EA"), (0.5, "EA"), (2, "PCE")])
def test_a_serial_is_one_unit(quantity: float, unit: str | None) -> None:
    w = bakery()
    assert refused(
        w, cmd("RECEIVE", location_id="WH", new_items=[_serial("FR-1", "1")], outputs=[L("FR-1", quantity, unit)])
    ) == [("outputs[0].quantity", E.INVALID_QUANTITY)]


def test_tracking_decides_the_kind_of_item() -> None:
    w = bakery()
    assert refused(
        w, cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="FR-1", material_id="FRAME")], outputs=[L("FR-1")])
    )[0] == ("newItems[0].kind", E.INVALID)
    assert refused(
        w,
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="FL-9", kind=ItemKind.SERIAL, material_id="FLOUR")],
            outputs=[L("FL-9")],
        ),
    )[0] == ("newItems[0].kind", E.INVALID)


def test_shape_of_each_event_type() -> None:
    w = bakery()
    w.lot("DB-1", "DOUGH", 10, "MIX")
    w.lot("DB-2", "DOUGH", 10, "MIX")
    assert refused(w, cmd("RECEIVE", location_id="WH")) == [("outputs", E.INVALID)]
    assert refused(w, cmd("SHIP", location_id="WH")) == [("inputs", E.INVALID)]
    assert refused(w, cmd("ISSUE", location_id="MIX", inputs=[L("DB-1")])) == [("outputs", E.INVALID)]
    assert refused(w, cmd("SPLIT", location_id="MIX", inputs=[L("DB-1"), L("DB-2")], outputs=[L("DB-1")])) == [
        ("inputs", E.INVALID)
    ]
    assert refused(w, cmd("PACK", location_id="MIX", inputs=[L("DB-1")])) == [("containerId", E.INVALID)]
    assert refused(w, cmd("PACK", location_id="MIX", container_id="NO-BOX", inputs=[L("DB-1")])) == [
        ("containerId", E.NOT_FOUND)
    ]
    assert refused(w, cmd("RECLASSIFY", inputs=[L("DB-1")])) == [("status", E.INVALID)]
    assert refused(w, cmd("CHARACTERISTICS", inputs=[L("DB-1")])) == [("characteristics", E.INVALID)]
    assert refused(w, cmd("MOVE", from_location_id="MIX", to_location_id="MIX", inputs=[L("DB-1")])) == [
        ("toLocationId", E.INVALID)
    ]
    assert refused(w, cmd("MOVE", inputs=[L("DB-1")])) == [("toLocationId", E.INVALID)]
    assert refused(w, cmd("RECEIVE", new_items=[NewItem(id="FL-9", material_id="FLOUR")], outputs=[L("FL-9", 1)])) == [
        ("outputs[0].locationId", E.INVALID)
    ]


def test_every_problem_is_reported_at_once() -> None:
    w = bakery()
    problems = refused(
        w,
        cmd(
            "MOVE",
            from_location_id="WH",
            to_location_id="MIX",
            inputs=[L("FL-1", -1), L("NOPE", 1), L("BU-1", 1, "FURLONG")],
        ),
    )
    assert problems == [
        ("inputs[0].quantity", E.INVALID_QUANTITY),
        ("inputs[1].itemId", E.NOT_FOUND),
        ("inputs[2].unit", E.UNKNOWN_UNIT),
    ]


def test_a_command_may_not_use_stock_before_it_arrived() -> None:
    w = bakery()
    w.lot("FL-2", "FLOUR", 100, "WH", first=at(60))
    assert refused(
        w, cmd("MOVE", event_time=at(30), from_location_id="WH", to_location_id="MIX", inputs=[L("FL-2", 1)])
    ) == [("inputs[0]", E.INVALID)]


def test_correction_of_an_unknown_or_already_reversed_event() -> None:
    w = bakery()
    assert refused(w, cmd("CORRECTION", reverses="nope")) == [("reverses", E.NOT_FOUND)]
    assert refused(w, cmd("CORRECTION")) == [("reverses", E.INVALID)]
    w.apply(cmd("MOVE", id="m1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 10)]))
    w.apply(cmd("CORRECTION", id="c1", reverses="m1"))
    assert refused(w, cmd("CORRECTION", id="c2", reverses="m1")) == [("reverses", E.CONFLICT)]
    assert refused(w, cmd("CORRECTION", id="c3", reverses="c1")) == [("reverses", E.INVALID)]


def test_correction_refused_when_the_stock_has_moved_on() -> None:
    w = bakery()
    w.apply(cmd("MOVE", id="m1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 10)]))
    w.apply(cmd("SCRAP", id="s1", location_id="MIX", inputs=[L("FL-1", 4)]))
    assert refused(w, cmd("CORRECTION", reverses="m1")) == [("reverses", E.INSUFFICIENT_STOCK)]


def test_a_refusal_leaves_the_state_untouched() -> None:
    w = bakery()
    before = (dict(w.state.balances), dict(w.state.items), dict(w.state.serials))
    refused(
        w,
        cmd(
            "ISSUE",
            location_id="MIX",
            new_items=[NewItem(id="DB-1", material_id="DOUGH")],
            inputs=[L("FL-1", 10, location_id="WH"), L("NOPE", 1)],
            outputs=[L("DB-1")],
        ),
    )
    assert (w.state.balances, w.state.items, w.state.serials) == before
