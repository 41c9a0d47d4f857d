"""Reported facts: recorded whatever the balances say, each imbalance kept as a finding.
Idempotency and event ids."""

from __future__ import annotations

import re

import pytest
from ledger_world import (
    CUSTOMER,
    PRODUCTION,
    UNKNOWN_ORIGIN,
    L,
    NewItem,
    assert_balanced,
    at,
    bakery,
    cmd,
)

from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.ledger import event_id_for, keys_for
from tracegraph.domain.models import ItemKind, LocationKind, Status

FACT = Source.FACT


def kinds(entry) -> list[FindingKind]:  # noqa: ANN001
    return [f.kind for f in entry.findings]


def test_an_unknown_lot_consumed_comes_from_the_unknown_origin() -> None:
    w = bakery()
    entry = w.plan(
        cmd(
            "PRODUCE",
            id="f1",
            location_id="MIX",
            inputs=[L("urn:epc:class:lgtin:4012345.011111.44", 5, "KGM")],
            outputs=[L("urn:epc:class:lgtin:4012345.022222.7", 2, "KGM")],
        ),
        FACT,
    )
    lot_in, lot_out = "urn:epc:class:lgtin:4012345.011111.44", "urn:epc:class:lgtin:4012345.022222.7"
    assert kinds(entry) == [FindingKind.UNKNOWN_ORIGIN]
    [finding] = entry.findings
    assert (finding.id, finding.event_id, finding.item_id, finding.location_id, finding.quantity) == (
        "f1#0",
        "f1",
        lot_in,
        "MIX",
        5.0,
    )
    assert {(m.item_id, m.from_location_id, m.to_location_id, m.quantity) for m in entry.event.moves} == {
        (lot_in, UNKNOWN_ORIGIN, "MIX", 5.0),
        (lot_in, "MIX", PRODUCTION, 5.0),
        (lot_out, PRODUCTION, "MIX", 2.0),
    }
    created = {i.id: i for i in entry.new_items}
    assert not created[lot_in].origin_known and created[lot_in].unit == "KG" and created[lot_in].material_id is None
    assert created[lot_out].origin_known  # made here: its origin is this event
    assert_balanced(entry)


def test_a_fact_at_an_unknown_location_creates_it() -> None:
    w = bakery()
    entry = w.plan(cmd("RECEIVE", location_id="urn:epc:id:sgln:0614141.00777.0", outputs=[L("LOT-X", 3, "EA")]), FACT)
    assert [(loc.id, loc.kind) for loc in entry.new_locations] == [
        ("urn:epc:id:sgln:0614141.00777.0", LocationKind.LOCATION)
    ]
    assert entry.findings == []


def test_negative_on_hand_is_a_finding_and_the_move_is_kept() -> None:
    w = bakery()
    entry = w.plan(cmd("SHIP", id="f2", location_id="WH", inputs=[L("FL-1", 1200)]), FACT)
    assert kinds(entry) == [FindingKind.NEGATIVE_ON_HAND]
    assert entry.findings[0].quantity == pytest.approx(200.0)
    assert [(m.from_location_id, m.to_location_id, m.quantity) for m in entry.event.moves] == [("WH", CUSTOMER, 1200.0)]
    assert_balanced(entry)


def test_a_held_lot_shipped_is_a_status_violation() -> None:
    w = bakery()
    w.lot("FL-H", "FLOUR", 100, "WH", status=Status.HOLD)
    entry = w.plan(cmd("SHIP", location_id="WH", inputs=[L("FL-H", 10)]), FACT)
    assert kinds(entry) == [FindingKind.STATUS_VIOLATION]
    entry = w.plan(
        cmd("ISSUE", location_id="MIX", inputs=[L("FL-H", 10, location_id="WH")], outputs=[L("BATCH-F", 10)]), FACT
    )
    assert kinds(entry) == [FindingKind.STATUS_VIOLATION]


def test_consumption_before_the_first_event_is_a_finding() -> None:
    w = bakery()
    w.lot("FL-2", "FLOUR", 100, "WH", first=at(120))
    entry = w.plan(
        cmd("PRODUCE", event_time=at(60), location_id="WH", inputs=[L("FL-2", 10)], outputs=[L("DOUGH-F", 10)]), FACT
    )
    assert kinds(entry) == [FindingKind.CONSUMED_BEFORE_RECEIPT]
    # The earlier event is now the item's first.
    assert {i.id: i.first_event_time for i in entry.updated_items}["FL-2"] == at(60)


def test_a_unit_that_does_not_convert_is_kept_as_given() -> None:
    w = bakery()
    entry = w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 3, "CASE")]), FACT)
    assert kinds(entry) == [FindingKind.UNIT_MISMATCH]
    assert entry.event.moves[0].quantity == 3.0


def test_a_duplicate_serial_in_a_fact_is_a_finding() -> None:
    w = bakery()
    w.item("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="7")
    entry = w.plan(
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="FR-2", kind=ItemKind.SERIAL, material_id="FRAME", lot_code="7")],
            outputs=[L("FR-2")],
        ),
        FACT,
    )
    assert kinds(entry) == [FindingKind.DUPLICATE_SERIAL]
    assert [i.id for i in entry.new_items] == ["FR-2"]


def test_several_findings_in_one_fact_are_numbered() -> None:
    w = bakery()
    w.lot("FL-H", "FLOUR", 10, "WH", status=Status.HOLD)
    entry = w.plan(cmd("SHIP", id="f9", location_id="WH", inputs=[L("FL-H", 20), L("GHOST", 1)]), FACT)
    assert kinds(entry) == [FindingKind.NEGATIVE_ON_HAND, FindingKind.STATUS_VIOLATION, FindingKind.UNKNOWN_ORIGIN]
    assert [f.id for f in entry.findings] == ["f9#0", "f9#1", "f9#2"]
    assert_balanced(entry)


def test_a_fact_is_still_checked_for_form() -> None:
    w = bakery()
    with pytest.raises(DomainError):
        w.plan(cmd("MOVE", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", -3)]), FACT)
    with pytest.raises(DomainError):
        w.plan(cmd("SHIP", location_id="WH"), FACT)


# -- idempotency ------------------------------------------------------------------------------


def test_an_event_recorded_before_is_a_duplicate() -> None:
    w = bakery()
    first = w.apply(cmd("MOVE", id="ev-1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 10)]))
    again = w.plan(cmd("MOVE", id="ev-1", from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 99)]))
    assert again.duplicate and again.event == first.event
    # The entry carries the original event; a store writes nothing for a duplicate.
    assert again.new_items == [] and again.updated_items == [] and again.findings == []


def test_a_retry_without_an_id_is_found_by_its_digest() -> None:
    w = bakery()
    c = cmd("MOVE", event_time=at(5), from_location_id="WH", to_location_id="MIX", inputs=[L("FL-1", 10)])
    first = w.apply(c)
    assert event_id_for(c) in keys_for(c).event_ids
    again = w.plan(c, FACT)
    assert again.duplicate and again.event.id == first.event.id
    assert w.balance("FL-1", "MIX") == 10.0


def test_event_id_for_is_stable() -> None:
    a = cmd("SHIP", location_id="WH", inputs=[L("FL-1", 10)], event_time=at(0), recorded_by="Ann")
    b = cmd("SHIP", location_id="WH", inputs=[L("FL-1", 10)], event_time=at(0), recorded_by="Bob")
    c = cmd("SHIP", location_id="WH", inputs=[L("FL-1", 11)], event_time=at(0))
    assert event_id_for(a) == event_id_for(a.model_copy()) == event_id_for(b)  # who recorded it is not content
    assert event_id_for(a) != event_id_for(c)
    assert re.fullmatch(r"urn:uuid:tg-[0-9a-f]{32}", event_id_for(a))
    assert event_id_for(cmd("SHIP", id="urn:uuid:given")) == "urn:uuid:given"
    # Known value: a change to the digest would make old retries record twice.
    assert event_id_for(cmd("MOVE", id=None, to_location_id="B", inputs=[L("X", 1)])) == event_id_for(
        cmd("MOVE", to_location_id="B", inputs=[L("X", 1.0)])
    )
