"""Commands that would break an invariant are refused and write nothing; batches are all or
nothing; an event id is recorded once."""

from __future__ import annotations

import pytest
from contract_kit import (
    CUSTOMER,
    PRODUCTION,
    SUPPLIER,
    L,
    assert_consistent,
    assert_refused,
    bakery,
    cmd,
    event_ids,
    lot,
    on_hand,
    receive,
    record,
    snapshot,
)

from tracegraph.domain import errors as E
from tracegraph.domain.events import Source
from tracegraph.domain.models import ItemKind
from tracegraph.store.port import EventFilter, GraphStore


@pytest.fixture
async def stocked(store: GraphStore) -> GraphStore:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    return store


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (cmd("SHIP", location_id="WH", inputs=[L("FL-1", 101)]), E.INSUFFICIENT_STOCK, "inputs[0].quantity"),
        (cmd("SHIP", location_id="DOCK", inputs=[L("FL-1", 1)]), E.INSUFFICIENT_STOCK, "inputs[0].quantity"),
        (cmd("SHIP", location_id="WH", inputs=[L("NOPE", 1)]), E.NOT_FOUND, "inputs[0].itemId"),
        (cmd("MOVE", location_id="WH", to_location_id="NOWHERE", inputs=[L("FL-1", 1)]), E.NOT_FOUND, "toLocationId"),
        (cmd("MOVE", location_id="WH", to_location_id="WH", inputs=[L("FL-1", 1)]), E.INVALID, "toLocationId"),
        (cmd("SHIP", location_id="WH", inputs=[L("FL-1", -1)]), E.INVALID_QUANTITY, "inputs[0].quantity"),
        (cmd("SHIP", location_id="WH", inputs=[L("FL-1", 1, "FURLONG")]), E.UNKNOWN_UNIT, "inputs[0].unit"),
        (cmd("SHIP", location_id="WH", inputs=[]), E.INVALID, "inputs"),
        (
            cmd("RECEIVE", location_id="WH", new_items=[lot("FL-1", "FLOUR")], outputs=[L("FL-1", 1)]),
            E.ALREADY_EXISTS,
            "newItems[0].id",
        ),
        (
            cmd("RECEIVE", location_id="WH", new_items=[lot("X-1", "MYSTERY")], outputs=[L("X-1", 1)]),
            E.NOT_FOUND,
            "newItems[0].materialId",
        ),
        (
            cmd("RECEIVE", location_id="WH", new_items=[lot("X-1", "FLOUR")], outputs=[L("X-1")]),
            E.INVALID_QUANTITY,
            "outputs[0].quantity",
        ),
        (
            cmd("RECEIVE", location_id="WH", new_items=[lot("X-1", "FRAME")], outputs=[L("X-1", 1)]),
            E.INVALID,
            "newItems[0].kind",
        ),
        (
            cmd(
                "PRODUCE",
                location_id="WH",
                inputs=[L("FL-1", 500)],
                new_items=[lot("D-1", "DOUGH")],
                outputs=[L("D-1", 500)],
            ),
            E.INSUFFICIENT_STOCK,
            "inputs[0].quantity",
        ),
        (cmd("RECLASSIFY", inputs=[L("FL-1")]), E.INVALID, "status"),
        (cmd("ADJUST", location_id="WH", inputs=[L("FL-1")]), E.INVALID_QUANTITY, "inputs[0].quantity"),
    ],
)
async def test_refused_command_writes_nothing(stocked: GraphStore, command, code: str, field: str) -> None:  # noqa: ANN001
    await assert_refused(stocked, command, code=code, field=field)
    await assert_consistent(stocked)


async def test_every_problem_is_reported(stocked: GraphStore) -> None:
    error = await assert_refused(
        stocked, cmd("SHIP", location_id="WH", inputs=[L("FL-1", 500), L("NOPE", 1)]), code=E.INSUFFICIENT_STOCK
    )
    assert {p.code for p in error.problems} == {E.INSUFFICIENT_STOCK, E.NOT_FOUND}


async def test_a_batch_is_all_or_nothing(stocked: GraphStore) -> None:
    # The first two events are fine on their own; the third is refused, so none is written.
    error = await assert_refused(
        stocked,
        cmd("RECEIVE", id="r2", location_id="WH", new_items=[lot("FL-2", "FLOUR")], outputs=[L("FL-2", 10)]),
        cmd("MOVE", id="m1", location_id="WH", to_location_id="DOCK", inputs=[L("FL-1", 10)]),
        cmd("SHIP", id="s1", location_id="DOCK", inputs=[L("FL-1", 11)]),
        code=E.INSUFFICIENT_STOCK,
        field="events[2].inputs[0].quantity",
    )
    assert len(error.problems) == 1
    assert await stocked.get("Item", ["FL-2"]) == {}
    assert await stocked.events_by_id(["r2", "m1", "s1"]) == {}
    assert await on_hand(stocked, "FL-1") == {"WH": 100.0, SUPPLIER: -100.0}


async def test_later_events_of_a_batch_see_the_earlier_ones(stocked: GraphStore) -> None:
    entries = await record(
        stocked,
        cmd("RECEIVE", id="r2", location_id="WH", new_items=[lot("FL-2", "FLOUR")], outputs=[L("FL-2", 10)]),
        cmd(
            "ISSUE",
            id="i1",
            location_id="WH",
            inputs=[L("FL-2", 4), L("FL-1", 6)],
            new_items=[lot("B-1", "FLOUR", kind=ItemKind.BATCH)],
            outputs=[L("B-1")],
        ),
        cmd("MOVE", id="m1", location_id="WH", to_location_id="DOCK", inputs=[L("B-1", 10)]),
        cmd("SHIP", id="s1", location_id="DOCK", inputs=[L("B-1", 7)]),
        cmd("SHIP", id="s2", location_id="DOCK", inputs=[L("B-1")]),  # what is left: 3
    )
    assert [e.event.id for e in entries] == ["r2", "i1", "m1", "s1", "s2"]
    assert await on_hand(stocked, "FL-2") == {"WH": 6.0, PRODUCTION: 4.0, SUPPLIER: -10.0}
    assert await on_hand(stocked, "FL-1") == {"WH": 94.0, PRODUCTION: 6.0, SUPPLIER: -100.0}
    assert await on_hand(stocked, "B-1") == {CUSTOMER: 10.0, PRODUCTION: -10.0}
    assert await event_ids(stocked) == ["rcv-FL-1", "r2", "i1", "m1", "s1", "s2"]
    await assert_consistent(stocked)


async def test_a_batch_cannot_spend_the_same_stock_twice(stocked: GraphStore) -> None:
    await assert_refused(
        stocked,
        cmd("SHIP", id="s1", location_id="WH", inputs=[L("FL-1", 60)]),
        cmd("SHIP", id="s2", location_id="WH", inputs=[L("FL-1", 60)]),
        code=E.INSUFFICIENT_STOCK,
        field="events[1].inputs[0].quantity",
    )


async def test_two_lines_of_one_item_cannot_spend_it_twice(stocked: GraphStore) -> None:
    await assert_refused(
        stocked,
        cmd(
            "PRODUCE",
            location_id="WH",
            inputs=[L("FL-1", 60), L("FL-1", 60)],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 120)],
        ),
        code=E.INSUFFICIENT_STOCK,
    )


async def test_an_event_id_is_recorded_once(stocked: GraphStore) -> None:
    ship = cmd("SHIP", id="ship-1", location_id="WH", inputs=[L("FL-1", 10)])
    [first] = await record(stocked, ship)
    before = await snapshot(stocked)
    [again] = await record(stocked, ship)
    assert again.duplicate and again.event == first.event
    # Another command under a recorded id is the recorded event, not a new one.
    [other] = await record(stocked, cmd("SHIP", id="ship-1", location_id="WH", inputs=[L("FL-1", 50)]))
    assert other.duplicate and other.event == first.event
    assert await snapshot(stocked) == before
    assert await on_hand(stocked, "FL-1") == {"WH": 90.0, CUSTOMER: 10.0, SUPPLIER: -100.0}


async def test_a_retry_without_id_is_recorded_once(stocked: GraphStore) -> None:
    ship = cmd("SHIP", location_id="WH", inputs=[L("FL-1", 10)])
    [first] = await record(stocked, ship)
    [again] = await record(stocked, ship)
    assert again.duplicate and again.event.id == first.event.id
    assert await on_hand(stocked, "FL-1") == {"WH": 90.0, CUSTOMER: 10.0, SUPPLIER: -100.0}


async def test_a_duplicate_within_one_batch_is_recorded_once(stocked: GraphStore) -> None:
    ship = cmd("SHIP", id="ship-1", location_id="WH", inputs=[L("FL-1", 10)])
    first, second = await record(stocked, ship, ship)
    assert not first.duplicate and second.duplicate
    assert await on_hand(stocked, "FL-1") == {"WH": 90.0, CUSTOMER: 10.0, SUPPLIER: -100.0}
    assert await event_ids(stocked) == ["rcv-FL-1", "ship-1"]


async def test_a_refused_batch_leaves_its_ids_free(stocked: GraphStore) -> None:
    await assert_refused(
        stocked, cmd("SHIP", id="ship-1", location_id="WH", inputs=[L("FL-1", 1000)]), code=E.INSUFFICIENT_STOCK
    )
    [entry] = await record(stocked, cmd("SHIP", id="ship-1", location_id="WH", inputs=[L("FL-1", 10)]))
    assert not entry.duplicate
    assert await on_hand(stocked, "FL-1") == {"WH": 90.0, CUSTOMER: 10.0, SUPPLIER: -100.0}


async def test_sequence_numbers_increase_across_refusals(stocked: GraphStore) -> None:
    await record(stocked, cmd("SHIP", id="a", location_id="WH", inputs=[L("FL-1", 1)]))
    await assert_refused(
        stocked, cmd("SHIP", id="b", location_id="WH", inputs=[L("FL-1", 1000)]), code=E.INSUFFICIENT_STOCK
    )
    await record(
        stocked,
        cmd("SHIP", id="c", location_id="WH", inputs=[L("FL-1", 1)]),
        cmd("SHIP", id="d", location_id="WH", inputs=[L("FL-1", 1)]),
    )
    page = await stocked.events(EventFilter(), None, 10)
    seqs = [s for s, _ in page]
    assert [e.id for _, e in page] == ["rcv-FL-1", "a", "c", "d"]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


async def test_empty_batch(stocked: GraphStore) -> None:
    assert await stocked.record([], Source.COMMAND) == []
