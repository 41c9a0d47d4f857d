"""Events pages and filters, balance filters, neighbours, events of items."""

from __future__ import annotations

import pytest
from contract_kit import (
    CUSTOMER,
    PRODUCTION,
    SUPPLIER,
    L,
    all_events,
    at,
    bakery,
    balances,
    cmd,
    event_ids,
    lot,
    receive,
    record,
)

from tracegraph.domain.events import EventType, Source
from tracegraph.store.port import BalanceFilter, Direction, EventFilter, GraphStore
from tracegraph.store.rows import balance_id


@pytest.fixture
async def day(store: GraphStore) -> GraphStore:
    """A day at the bakery: one event an hour, some by command, one reported."""
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100, event_id="e0", hours=0)
    await receive(store, "SU-1", "SUGAR", 50, event_id="e1", hours=1, location="DOCK")
    await record(
        store,
        cmd(
            "PRODUCE",
            id="e2",
            event_time=at(2),
            location_id="WH",
            to_location_id="LINE",
            inputs=[L("FL-1", 40), L("SU-1", 10, location_id="DOCK")],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 50)],
            order_id="PO-1",
        ),
    )
    await record(
        store, cmd("MOVE", id="e3", event_time=at(3), location_id="LINE", to_location_id="DOCK", inputs=[L("D-1", 50)])
    )
    await record(
        store,
        cmd(
            "SHIP",
            id="e4",
            event_time=at(4),
            location_id="DOCK",
            inputs=[L("D-1", 20)],
            shipment_id="SH-1",
            order_id="SO-1",
            partner_id="SHOP",
        ),
    )
    await record(
        store, cmd("SHIP", id="e5", event_time=at(5), location_id="WH", inputs=[L("FL-1", 5)]), source=Source.FACT
    )
    return store


async def test_events_page_in_commit_order(day: GraphStore) -> None:
    page = await day.events(EventFilter(), None, 100)
    assert [e.id for _, e in page] == ["e0", "e1", "e2", "e3", "e4", "e5"]
    seqs = [s for s, _ in page]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6
    first = await day.events(EventFilter(), None, 2)
    assert [e.id for _, e in first] == ["e0", "e1"]
    rest = await day.events(EventFilter(), first[-1][0], 3)
    assert [e.id for _, e in rest] == ["e2", "e3", "e4"]
    assert await day.events(EventFilter(), seqs[-1], 10) == []


async def test_event_filters(day: GraphStore) -> None:
    assert await event_ids(day, types=[EventType.SHIP]) == ["e4", "e5"]
    assert await event_ids(day, types=[EventType.RECEIVE, EventType.MOVE]) == ["e0", "e1", "e3"]
    assert await event_ids(day, item_id="D-1") == ["e2", "e3", "e4"]
    assert await event_ids(day, item_id="FL-1") == ["e0", "e2", "e5"]
    assert await event_ids(day, item_id="FL-1", types=[EventType.SHIP]) == ["e5"]
    assert await event_ids(day, location_id="DOCK") == ["e1", "e4"]
    assert await event_ids(day, since=at(1), until=at(3)) == ["e1", "e2"]
    assert await event_ids(day, since=at(4)) == ["e4", "e5"]
    assert await event_ids(day, until=at(0)) == []
    assert await event_ids(day, item_id="D-1", since=at(3)) == ["e3", "e4"]
    assert await event_ids(day, source=Source.FACT) == ["e5"]
    assert await event_ids(day, order_id="PO-1") == ["e2"]
    assert await event_ids(day, shipment_id="SH-1") == ["e4"]
    assert await event_ids(day, item_id="NOPE") == []
    page = await day.events(EventFilter(item_id="D-1"), None, 1)
    assert [e.id for _, e in await day.events(EventFilter(item_id="D-1"), page[0][0], 1)] == ["e3"]


async def test_events_by_id_and_of_items(day: GraphStore) -> None:
    got = await day.events_by_id(["e2", "e4", "nope"])
    assert set(got) == {"e2", "e4"}
    assert got["e2"].type is EventType.PRODUCE and got["e2"].order_id == "PO-1"
    assert got["e4"].shipment_id == "SH-1" and got["e4"].event_time == at(4)
    of = await day.events_of_items(["FL-1", "D-1", "NOPE"])
    assert {k: [e.id for e in v] for k, v in of.items()} == {
        "FL-1": ["e0", "e2", "e5"],
        "D-1": ["e2", "e3", "e4"],
        "NOPE": [],
    }
    recorded = {e.id: e for _, e in await all_events(day)}
    assert of["D-1"][0] == recorded["e2"]


async def test_balance_filters(day: GraphStore) -> None:
    everything = await balances(day)
    assert everything == {
        ("D-1", "DOCK"): 30.0,
        ("D-1", CUSTOMER): 20.0,
        ("D-1", PRODUCTION): -50.0,
        ("FL-1", "WH"): 55.0,
        ("FL-1", CUSTOMER): 5.0,
        ("FL-1", PRODUCTION): 40.0,
        ("FL-1", SUPPLIER): -100.0,
        ("SU-1", "DOCK"): 40.0,
        ("SU-1", PRODUCTION): 10.0,
        ("SU-1", SUPPLIER): -50.0,
    }
    assert list(everything) == sorted(everything)  # ordered by (item, location)
    with_zero = await balances(day, include_zero=True)
    assert with_zero == {**everything, ("D-1", "LINE"): 0.0}
    assert await balances(day, include_virtual=False) == {
        ("D-1", "DOCK"): 30.0,
        ("FL-1", "WH"): 55.0,
        ("SU-1", "DOCK"): 40.0,
    }
    assert await balances(day, location_ids=["DOCK"]) == {("D-1", "DOCK"): 30.0, ("SU-1", "DOCK"): 40.0}
    assert await balances(day, location_ids=["DOCK", "WH"], material_ids=["FLOUR", "SUGAR"]) == {
        ("FL-1", "WH"): 55.0,
        ("SU-1", "DOCK"): 40.0,
    }
    assert await balances(day, material_ids=["DOUGH"], include_virtual=False) == {("D-1", "DOCK"): 30.0}
    assert await balances(day, item_ids=["SU-1"], include_virtual=False) == {("SU-1", "DOCK"): 40.0}
    assert await balances(day, item_ids=["SU-1", "D-1"], location_ids=["DOCK"]) == {
        ("D-1", "DOCK"): 30.0,
        ("SU-1", "DOCK"): 40.0,
    }
    assert await balances(day, location_ids=[]) == {}
    b = (await day.balances(BalanceFilter(item_ids=["FL-1"], include_virtual=False)))[0]
    assert (b.material_id, b.unit, b.virtual) == ("FLOUR", "KG", False)
    v = (await day.balances(BalanceFilter(item_ids=["FL-1"], location_ids=[SUPPLIER])))[0]
    assert v.virtual


async def test_balance_pages(day: GraphStore) -> None:
    keys = list(await balances(day))
    first = await day.balances(BalanceFilter(), None, 3)
    assert [(b.item_id, b.location_id) for b in first] == keys[:3]
    after = balance_id(first[-1].item_id, first[-1].location_id)
    rest = await day.balances(BalanceFilter(), after, 100)
    assert [(b.item_id, b.location_id) for b in rest] == keys[3:]


async def test_neighbours(day: GraphStore) -> None:
    await record(
        day,
        cmd(
            "PRODUCE",
            id="e6",
            event_time=at(6),
            location_id="DOCK",
            inputs=[L("D-1", 30)],
            new_items=[lot("BR-1", "BREAD")],
            outputs=[L("BR-1", 60)],
        ),
    )
    fwd = await day.neighbours(["FL-1", "SU-1", "D-1"], Direction.FORWARD)
    assert sorted(fwd) == [("D-1", "BR-1"), ("FL-1", "D-1"), ("SU-1", "D-1")]
    back = await day.neighbours(["BR-1", "D-1"], Direction.BACKWARD)
    assert sorted(back) == [("D-1", "BR-1"), ("FL-1", "D-1"), ("SU-1", "D-1")]
    assert await day.neighbours(["FL-1"], Direction.BACKWARD) == []
    assert await day.neighbours(["NOPE"], Direction.FORWARD) == []
    assert await day.neighbours([], Direction.FORWARD) == []
    # Two events linking the same pair give one neighbour.
    await receive(day, "FL-2", "FLOUR", 10, event_id="e7")
    await record(
        day,
        cmd("PRODUCE", id="e8", location_id="WH", inputs=[L("FL-2", 5)], outputs=[L("BR-1", 1)]),
        cmd("PRODUCE", id="e9", location_id="WH", inputs=[L("FL-2", 5)], outputs=[L("BR-1", 1)]),
    )
    assert await day.neighbours(["FL-2"], Direction.FORWARD) == [("FL-2", "BR-1")]
    # A correction voids the links of the event it reverses, not the others.
    await record(day, cmd("CORRECTION", id="e10", reverses="e8"))
    assert await day.neighbours(["FL-2"], Direction.FORWARD) == [("FL-2", "BR-1")]
    await record(day, cmd("CORRECTION", id="e11", reverses="e9"))
    assert await day.neighbours(["FL-2"], Direction.FORWARD) == []
    assert sorted(await day.neighbours(["BR-1"], Direction.BACKWARD)) == [("D-1", "BR-1")]


async def test_shipments_and_items_by_id(day: GraphStore) -> None:
    shipments = await day.get("Shipment", ["SH-1", "SH-2"])
    assert list(shipments) == ["SH-1"]
    sh = shipments["SH-1"]
    assert (sh.order_id, sh.partner_id, sh.destination_id, sh.shipped_at) == (  # type: ignore[attr-defined]
        "SO-1",
        "SHOP",
        CUSTOMER,
        at(4),
    )
    items = await day.get("Item", ["D-1", "FL-1", "ghost"])
    assert set(items) == {"D-1", "FL-1"}
    assert items["D-1"].created_by_event == "e2"  # type: ignore[attr-defined]


async def test_event_seqs_are_the_commit_order_of_events(day: GraphStore) -> None:
    page = await day.events(EventFilter(), None, 100)
    seqs = await day.event_seqs(["e3", "e0", "no-such-event"])
    assert seqs == {e.id: seq for seq, e in page if e.id in ("e0", "e3")}
    assert seqs["e0"] < seqs["e3"]
    assert [e.id for _, e in await day.events(EventFilter(), seqs["e3"], 100)][0] == "e4"
