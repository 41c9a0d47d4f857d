"""Materials tracked in two units on every store: balances kept in both, the second derived by
each lot's own conversion or, for a catch-weight material, weighed on every receipt and output;
both conserved (moves, counts, reversals), summed in stock totals, refused where a command
leaves the weight out."""

from __future__ import annotations

from contract_kit import (
    Backend,
    assert_consistent,
    assert_refused,
    at,
    bakery,
    cmd,
    lot,
    record,
)
from test_bulk_load import fresh  # noqa: E402  (an empty store of the same kind)

from tracegraph.domain import errors as E
from tracegraph.domain.events import EventCommand, Line, Source
from tracegraph.domain.models import Material
from tracegraph.domain.query import BalanceFilter
from tracegraph.domain.stock import pairs_for
from tracegraph.services.ledger import Ledger
from tracegraph.services.stock import LocationTree
from tracegraph.store.port import GraphStore


def W(item_id: str, quantity: float, second: float | None = None, location_id: str | None = None) -> Line:  # noqa: N802
    return Line(item_id=item_id, quantity=quantity, second_quantity=second, location_id=location_id)


async def two_unit_plant(store: GraphStore) -> None:
    await bakery(store)
    # Cheese in KG, also counted in CASEs of 12 KG (a lot may pack its own: 10 KG).
    await store.create(
        "Material", Material(id="CHEESE", name="Cheese", base_unit="KG", second_unit="CASE", conversions={"CASE": 12})
    )
    # Ham sold by the CASE, each case weighed (catch weight): nominally 10 KG a case.
    await store.create(
        "Material",
        Material(id="HAM", name="Ham", base_unit="CASE", second_unit="KG", catch_weight=True, conversions={"KG": 0.1}),
    )


def receipt(item_id: str, material: str, line: Line, event_id: str | None = None, **fields: object) -> EventCommand:
    return cmd(
        "RECEIVE",
        id=event_id or f"rcv-{item_id}",
        event_time=at(0),
        location_id="WH",
        new_items=[lot(item_id, material, **fields)],
        outputs=[line],
    )


async def second(store: GraphStore, item_id: str) -> dict[str, tuple[float, float]]:
    """(quantity, second quantity) of an item per location, virtual ones included."""
    found = await store.balances(BalanceFilter(item_ids=[item_id], include_virtual=True))
    return {b.location_id: (round(b.quantity, 9), round(b.second_quantity, 9)) for b in found}


async def test_the_second_unit_is_derived_by_each_lots_own_conversion(store: GraphStore) -> None:
    await two_unit_plant(store)
    await record(store, receipt("C-1", "CHEESE", W("C-1", 100), conversions={"CASE": 10}))
    await record(store, receipt("C-2", "CHEESE", W("C-2", 60)))
    await record(
        store, cmd("MOVE", id="mv-1", event_time=at(1), to_location_id="LINE", inputs=[W("C-1", 30, location_id="WH")])
    )
    assert (await second(store, "C-1"))["WH"] == (70, 7)
    assert (await second(store, "C-1"))["LINE"] == (30, 3)
    assert (await second(store, "C-2"))["WH"] == (60, 5)
    # Flour is tracked in one unit: nothing in a second.
    await record(store, receipt("FL-9", "FLOUR", W("FL-9", 10)))
    assert (await second(store, "FL-9"))["WH"] == (10, 0)
    tree = LocationTree(await store.page("Location", None, 100))  # type: ignore[arg-type]
    sums = await store.stock_sums(pairs_for(tree, ["PLANT"], True), ["CHEESE"], False)
    assert round(sum(s.quantity for s in sums), 9) == 160
    assert round(sum(s.quantity2 for s in sums), 9) == 15
    await assert_consistent(store)


async def test_a_catch_weight_keeps_both_quantities_and_conserves_them(store: GraphStore) -> None:
    await two_unit_plant(store)
    await record(store, receipt("H-1", "HAM", W("H-1", 10, 98.4)))
    assert (await second(store, "H-1"))["WH"] == (10, 98.4)
    # Three cases shipped, weighed: 29.1 KG.
    await record(store, cmd("SHIP", id="ship-1", event_time=at(1), inputs=[W("H-1", 3, 29.1, location_id="WH")]))
    assert (await second(store, "H-1"))["WH"] == (7, 69.3)
    # A move without a weight takes the same share of what is on hand: all of it here.
    await record(
        store, cmd("MOVE", id="mv-2", event_time=at(2), to_location_id="LINE", inputs=[W("H-1", 7, location_id="WH")])
    )
    assert (await second(store, "H-1"))["LINE"] == (7, 69.3)
    # Part of it, without a weight: in proportion.
    await record(
        store, cmd("MOVE", id="mv-3", event_time=at(3), to_location_id="DOCK", inputs=[W("H-1", 2, location_id="LINE")])
    )
    assert (await second(store, "H-1"))["DOCK"] == (2, round(69.3 * 2 / 7, 9))
    # A count finds the seven cases lighter: the second unit's difference is booked alone.
    await record(store, cmd("ADJUST", id="count-1", event_time=at(4), inputs=[W("H-1", 5, 49.0, location_id="LINE")]))
    assert (await second(store, "H-1"))["LINE"] == (5, 49.0)
    # Reversing the shipment brings both quantities back.
    await record(store, cmd("CORRECTION", id="undo-ship", event_time=at(5), reverses="ship-1"))
    assert (await second(store, "H-1"))["WH"] == (3, 29.1)
    await assert_consistent(store)


async def test_a_catch_weight_arrival_without_its_weight_is_refused(store: GraphStore) -> None:
    await two_unit_plant(store)
    error = await assert_refused(
        store, receipt("H-2", "HAM", W("H-2", 10)), code=E.INVALID_QUANTITY, field="outputs[0].secondQuantity"
    )
    assert "catch weight" in str(error) and "KG" in str(error)
    await record(store, receipt("H-2", "HAM", W("H-2", 10, 101.0)))
    # Weighing more than is on hand is refused like taking more than is on hand.
    await assert_refused(
        store,
        cmd("SHIP", id="ship-2", event_time=at(1), inputs=[W("H-2", 1, 150.0, location_id="WH")]),
        code=E.INSUFFICIENT_STOCK,
        field="inputs[0].secondQuantity",
    )
    # A second quantity on a material tracked in one unit, or derived, is refused.
    await assert_refused(
        store, receipt("FL-8", "FLOUR", W("FL-8", 10, 3.0)), code=E.INVALID_QUANTITY, field="outputs[0].secondQuantity"
    )
    await assert_refused(
        store, receipt("C-8", "CHEESE", W("C-8", 12, 1.0)), code=E.INVALID_QUANTITY, field="outputs[0].secondQuantity"
    )


async def test_a_fact_without_a_weight_takes_the_nominal_conversion(store: GraphStore) -> None:
    await two_unit_plant(store)
    await record(store, receipt("H-3", "HAM", W("H-3", 4), event_id="fact-H-3"), source=Source.FACT)
    assert (await second(store, "H-3"))["WH"] == (4, 40.0)
    await assert_consistent(store)


async def test_a_production_weighs_its_catch_weight_output(store: GraphStore) -> None:
    await two_unit_plant(store)
    await record(store, receipt("H-4", "HAM", W("H-4", 10, 100.0)))
    make = cmd(
        "PRODUCE",
        id="slice-1",
        event_time=at(1),
        location_id="LINE",
        inputs=[W("H-4", 4, location_id="WH")],
        new_items=[lot("H-5", "HAM")],
        outputs=[W("H-5", 8)],
    )
    await assert_refused(store, make, code=E.INVALID_QUANTITY, field="outputs[0].secondQuantity")
    weighed = make.model_copy(update={"outputs": [W("H-5", 8, 38.5)]})
    await record(store, weighed)
    assert (await second(store, "H-4"))["WH"] == (6, 60.0)
    assert (await second(store, "H-5"))["LINE"] == (8, 38.5)
    await assert_consistent(store)


def ham_events() -> list[EventCommand]:
    return [
        receipt("H-6", "HAM", W("H-6", 10, 99.0)),
        receipt("C-6", "CHEESE", W("C-6", 36), conversions={"CASE": 9}),
        cmd("SHIP", id="ship-6", event_time=at(1), inputs=[W("H-6", 4, 41.0, location_id="WH")]),
        cmd("MOVE", id="mv-6", event_time=at(2), to_location_id="LINE", inputs=[W("H-6", 3, location_id="WH")]),
        cmd("MOVE", id="mv-7", event_time=at(2), to_location_id="LINE", inputs=[W("C-6", 18, location_id="WH")]),
    ]


async def test_a_bulk_import_keeps_both_units_as_recording_does(store: GraphStore, backend: Backend) -> None:
    await two_unit_plant(store)
    await Ledger(store).import_events(ham_events())
    imported = await store.balances(BalanceFilter(include_virtual=True, include_zero=True))
    assert {(b.item_id, b.location_id): round(b.second_quantity, 9) for b in imported if b.item_id == "H-6"} == {
        ("H-6", "virtual:supplier"): -99.0,
        ("H-6", "virtual:customer"): 41.0,
        ("H-6", "WH"): 29.0,
        ("H-6", "LINE"): 29.0,
    }
    assert {(b.location_id, b.second_quantity) for b in imported if b.item_id == "C-6" and not b.virtual} == {
        ("WH", 2.0),
        ("LINE", 2.0),
    }
    await assert_consistent(store)
    # The same events recorded one by one write the same balances.
    store = await fresh(backend, store, "one-by-one")
    await two_unit_plant(store)
    for c in ham_events():
        await record(store, c)
    assert await store.balances(BalanceFilter(include_virtual=True, include_zero=True)) == imported
