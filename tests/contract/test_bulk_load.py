"""The bulk path (Ledger.import_events over GraphStore.bulk_load) writes what recording the
same commands one by one writes: items, balances, links, events, findings, shipments, and
so the same trace answers; and it refuses, writing nothing, what it may not load."""

from __future__ import annotations

from typing import Any

import pytest
from contract_kit import (
    SCRAP,
    Backend,
    L,
    assert_consistent,
    at,  # noqa: E402
    bakery,
    cmd,
    lot,
    snapshot,
)

from tracegraph.domain import errors as E
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand, Source
from tracegraph.domain.models import ContainerType, ItemKind, Status
from tracegraph.services.ledger import Ledger
from tracegraph.store.port import Direction, GraphStore


def commands() -> list[EventCommand]:
    """Receipts, a split merged again (a diamond), production from two inputs, serials, a
    permanent container, a shipment, a status change, characteristics, a count, a scrap and
    a correction."""
    return [
        cmd(
            "RECEIVE",
            id="r1",
            event_time=at(0),
            location_id="WH",
            order_id="PO-1",
            new_items=[lot("A", "FLOUR", lot_code="A-1")],
            outputs=[L("A", 4, "BAG")],
        ),
        cmd(
            "RECEIVE",
            id="r2",
            event_time=at(0.5),
            location_id="WH",
            new_items=[lot("S", "SUGAR"), lot("S2", "SUGAR")],
            outputs=[L("S", 20), L("S2", 5)],
        ),
        cmd(
            "SPLIT",
            id="split",
            event_time=at(1),
            location_id="WH",
            inputs=[L("A", 100)],
            new_items=[
                lot("B", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
                lot("C", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
            ],
            outputs=[L("B", 60), L("C", 40)],
        ),
        cmd(
            "MERGE",
            id="merge",
            event_time=at(2),
            location_id="WH",
            inputs=[L("B", 30), L("C")],
            new_items=[lot("D", "FLOUR")],
            outputs=[L("D")],
        ),
        cmd(
            "PRODUCE",
            id="bake",
            event_time=at(3),
            location_id="WH",
            inputs=[L("D", 50), L("S", 5)],
            new_items=[lot("E", "DOUGH"), lot("E2", "DOUGH")],
            outputs=[L("E", 40), L("E2", 15)],
        ),
        cmd(
            "PRODUCE",
            id="frames",
            event_time=at(3.5),
            location_id="WH",
            inputs=[L("S2", 1)],
            new_items=[
                lot("FR-1", "FRAME", kind=ItemKind.SERIAL, lot_code="SN1"),
                lot("FR-2", "FRAME", kind=ItemKind.SERIAL, lot_code="SN2"),
            ],
            outputs=[L("FR-1"), L("FR-2")],
        ),
        cmd(
            "PRODUCE",
            id="oops",
            event_time=at(3.6),
            location_id="WH",
            inputs=[L("S2", 1)],
            new_items=[lot("X", "SUGAR")],
            outputs=[L("X", 1)],
        ),
        cmd("CORRECTION", id="undo-oops", event_time=at(3.7), reverses="oops"),
        cmd(
            "PACK",
            id="pack",
            event_time=at(4),
            location_id="WH",
            inputs=[L("E", 40), L("FR-1")],
            new_items=[lot("TOTE-1", "DOUGH", kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT)],
            container_id="TOTE-1",
        ),
        cmd("MOVE", id="move", event_time=at(5), inputs=[L("E", 40, location_id="WH")], to_location_id="DOCK"),
        cmd(
            "SHIP",
            id="ship",
            event_time=at(6),
            inputs=[L("E", 25, location_id="DOCK")],
            shipment_id="SH-1",
            order_id="SO-1",
            partner_id="SHOP",
        ),
        cmd("RECLASSIFY", id="hold", event_time=at(7), inputs=[L("E2")], status=Status.HOLD),
        cmd(
            "CHARACTERISTICS",
            id="moist",
            event_time=at(7.5),
            inputs=[L("E2")],
            characteristics={"moisture": 12.5, "note": "line 2\nre-test"},
        ),
        cmd("ADJUST", id="count", event_time=at(8), location_id="WH", inputs=[L("B", 29)]),
        cmd("SCRAP", id="scrap", event_time=at(9), inputs=[L("S", 1, location_id="WH")]),
    ]


def facts() -> list[EventCommand]:
    """Reported facts on top: a partner's lot never seen (unknown origin), one of ours used."""
    return [
        cmd(
            "PRODUCE",
            id="f1",
            event_time=at(10),
            location_id="LINE",
            inputs=[L("P-LOT", 3, "KG"), L("S", 2, location_id="WH")],
            outputs=[L("Q-LOT", 5, "KG")],
        ),
        cmd("SHIP", id="f2", event_time=at(11), inputs=[L("Q-LOT", 5, location_id="LINE")], shipment_id="SH-2"),
    ]


def normalized(snap: Any) -> Any:
    """A snapshot without the recording clock."""
    snap.events = [(seq, e.model_copy(update={"recorded_at": at(0)})) for seq, e in snap.events]
    return snap


async def traces(store: GraphStore, item_ids: list[str]) -> dict[tuple[str, str], list[str]]:
    ledger = Ledger(store)
    return {(i, d.value): sorted((await ledger.trace(i, d)).items) for i in item_ids for d in Direction}


async def fresh(backend: Backend, store: GraphStore, name: str) -> GraphStore:
    """An empty store of the same kind."""
    if backend.kind == "memory":  # a new one starts empty
        await backend.close(store)
        return await backend.open()
    if backend.kind == "ladybug":
        await backend.close(store)
        assert backend.path is not None
        backend.path = backend.path.parent / name
        return await backend.open()
    await backend.raw(store, "MATCH (n) DETACH DELETE n")
    return await backend.reopen(store)


async def test_bulk_load_writes_what_recording_one_by_one_writes(store: GraphStore, backend: Backend) -> None:
    await bakery(store)
    ledger = Ledger(store)
    for c in commands():
        await ledger.record(c)
    for c in facts():
        await ledger.record(c, Source.FACT)
    one_by_one = normalized(await snapshot(store))
    item_ids = sorted(i.id for i in one_by_one.items)
    traced = await traces(store, item_ids)
    assert traced[("A", "FORWARD")] == ["B", "C", "D", "E", "E2", "TOTE-1"]

    store = await fresh(backend, store, "bulk")
    await bakery(store)
    ledger = Ledger(store)
    # Part of it recorded, the rest imported on top: the import moves existing balances too.
    for c in commands()[:2]:
        await ledger.record(c)
    report = await ledger.import_events(commands()[2:])
    assert report.events == len(commands()) - 2
    report = await ledger.import_events(facts(), Source.FACT)
    assert (report.events, report.findings) == (2, 1)
    assert normalized(await snapshot(store)) == one_by_one
    assert await traces(store, item_ids) == traced
    await assert_consistent(store)

    # The same again, every event in one import into an empty store.
    store = await fresh(backend, store, "bulk-all")
    await bakery(store)
    ledger = Ledger(store)
    await ledger.import_events(commands())
    await ledger.import_events(facts(), Source.FACT)
    assert normalized(await snapshot(store)) == one_by_one
    assert await traces(store, item_ids) == traced
    await assert_consistent(store)


async def _refused(store: GraphStore, cmds: list[EventCommand], code: str, field: str | None = None) -> None:
    before = normalized(await snapshot(store))
    with pytest.raises(DomainError) as info:
        await Ledger(store).import_events(cmds)
    assert any(p.code == code and (field is None or p.field == field) for p in info.value.problems), info.value.problems
    assert normalized(await snapshot(store)) == before


async def test_bulk_load_refuses_and_writes_nothing(store: GraphStore) -> None:
    await bakery(store)
    first = commands()[:2]
    await Ledger(store).import_events(first)
    await _refused(store, [commands()[2], first[0]], E.ALREADY_EXISTS, "events[1].id")  # recorded already
    await _refused(store, [commands()[2], commands()[2]], E.ALREADY_EXISTS, "events[1].id")  # twice
    again = cmd("RECEIVE", id="r9", location_id="WH", new_items=[lot("A", "FLOUR")], outputs=[L("A", 1)])
    await _refused(store, [again], E.ALREADY_EXISTS, "events[0].newItems[0].id")  # the item exists
    # A command the ledger refuses refuses the load, named by its index.
    too_much = cmd("SCRAP", id="s9", inputs=[L("S", 1000, location_id="WH")])
    await _refused(store, [commands()[2], too_much], E.INSUFFICIENT_STOCK)
    assert SCRAP  # the refused scrap wrote no balance there
    await assert_consistent(store)
