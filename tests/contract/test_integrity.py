"""integrity(): conservation, dangling references, findings; data survives a restart."""

from __future__ import annotations

import asyncio

import pytest
from contract_kit import (
    CUSTOMER,
    SUPPLIER,
    Backend,
    L,
    assert_consistent,
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
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import Material
from tracegraph.store.port import EventFilter, GraphStore


async def test_a_sound_ledger_reports_nothing(store: GraphStore) -> None:
    report = await store.integrity()
    assert report.ok and (report.items, report.events) == (0, 0)
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10)
    await record(store, cmd("SHIP", id="s", location_id="WH", inputs=[L("FL-1", 4)]))
    report = await store.integrity()
    assert report.ok and (report.items, report.events) == (1, 2)
    assert report.imbalances == report.dangling == report.findings == []


async def test_dangling_references_and_imbalances(store: GraphStore, backend: Backend) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 10)
    await record(store, cmd("SHIP", id="f", location_id="WH", inputs=[L("FL-1", 12)]), source=Source.FACT)
    # Broken behind the port's back: an item naming a material that does not exist and
    # touched by no event, and a balance changed without its other side.
    await backend.raw(
        store,
        "CREATE (:Item {id: 'GHOST', kind: 'LOT', unit: 'EA', status: 'RELEASED', "
        "material_id: 'NOPE', origin_known: true, characteristics: '{}', conversions: '{}'})",
    )
    await backend.raw(
        store, "MATCH (i:Item {id: 'FL-1'})-[a:AT]->(l:Location {id: 'WH'}) SET a.quantity = a.quantity + 1.5"
    )
    report = await store.integrity()
    assert not report.ok
    assert [(i.item_id, round(i.total, 9)) for i in report.imbalances] == [("FL-1", 1.5)]
    assert sorted(report.dangling) == [
        "item GHOST has no event",
        "item GHOST names material NOPE, which does not exist",
    ]
    assert [(f.kind, f.item_id) for f in report.findings] == [(FindingKind.NEGATIVE_ON_HAND, "FL-1")]
    assert (report.items, report.events) == (2, 2)


async def test_data_survives_a_restart(store: GraphStore, backend: Backend) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await record(store, cmd("SHIP", id="s1", location_id="WH", inputs=[L("FL-1", 30)], shipment_id="SH-1"))
    before = await snapshot(store)
    last_seq = (await store.events(EventFilter(), None, 10))[-1][0]
    store = await backend.reopen(store)
    assert await snapshot(store) == before
    await assert_consistent(store)
    # Sequence numbers go on after the restart; ids and master data are still taken.
    await record(store, cmd("SHIP", id="s2", location_id="WH", inputs=[L("FL-1", 10)]))
    seq, event = (await store.events(EventFilter(), last_seq, 10))[0]
    assert event.id == "s2" and seq > last_seq
    [again] = await record(store, cmd("SHIP", id="s1", location_id="WH", inputs=[L("FL-1", 30)]))
    assert again.duplicate
    with pytest.raises(DomainError):
        await store.create("Material", Material(id="FLOUR", name="Flour"))
    assert await on_hand(store, "FL-1") == {"WH": 60.0, CUSTOMER: 40.0, SUPPLIER: -100.0}
    assert await event_ids(store) == ["rcv-FL-1", "s1", "s2"]


async def test_concurrent_writers_never_spend_stock_twice(store: GraphStore, backend: Backend) -> None:
    """Two writers each ship 60 of 100: one is refused. On Neo4j they use two drivers, as
    two server instances would; the embedded store has one owner, which queues them. Needs
    the lock the stand-in does not take."""
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    other = store if backend.kind == "ladybug" else await backend.open()

    async def ship(s: GraphStore, n: int) -> str:
        try:
            await s.record([cmd("SHIP", id=f"s{n}", location_id="WH", inputs=[L("FL-1", 60)])], Source.COMMAND)
        except DomainError as e:
            return e.problems[0].code
        return "ok"

    for round_ in range(5):
        results = await asyncio.gather(ship(store, 2 * round_), ship(other, 2 * round_ + 1))
        expected = [E.INSUFFICIENT_STOCK, "ok"] if round_ == 0 else [E.INSUFFICIENT_STOCK] * 2
        assert sorted(results) == expected, (round_, results)
    assert await on_hand(store, "FL-1") == {"WH": 40.0, CUSTOMER: 60.0, SUPPLIER: -100.0}
    seqs = [s for s, _ in await store.events(EventFilter(), None, 100)]
    assert seqs == sorted(set(seqs))


async def test_concurrent_creates_of_one_id(store: GraphStore, backend: Backend) -> None:
    other = store if backend.kind == "ladybug" else await backend.open()

    async def create(s: GraphStore, name: str) -> str:
        try:
            await s.create("Material", Material(id="SALT", name=name))
        except DomainError as e:
            return e.problems[0].code
        return "ok"

    results = await asyncio.gather(*(create(s, f"salt {n}") for n in range(4) for s in (store, other)))
    assert sorted(results) == [E.ALREADY_EXISTS] * 7 + ["ok"]
    assert len(await store.page("Material", None, 10)) == 1


async def test_large_events_round_trip(store: GraphStore) -> None:
    """Events, items and findings of tens of kilobytes round-trip whole (multi-byte text too)."""
    await bakery(store)
    notes = {f"note-{n:02d}": ("ä" * 1500 + str(n)) for n in range(12)}  # ~36 KB of text
    lots = [lot(f"urn:epc:class:lgtin:4012345.011111.{n:04d}", "FLOUR", lot_code=f"L{n}") for n in range(120)]
    [entry] = await record(
        store,
        cmd(
            "RECEIVE",
            id="big",
            location_id="WH",
            new_items=lots,
            outputs=[L(n.id, 1 + k % 7) for k, n in enumerate(lots)],
            reason="x" * 3000,
        ),
    )
    assert len(entry.event.model_dump_json()) > 20_000
    assert (await store.events_by_id(["big"]))["big"] == entry.event
    items = await store.get("Item", [n.id for n in lots])
    assert len(items) == 120
    [chars] = await record(store, cmd("CHARACTERISTICS", id="notes", inputs=[L(lots[0].id)], characteristics=notes))
    got = (await store.get("Item", [lots[0].id]))[lots[0].id]
    assert got.characteristics == notes  # type: ignore[attr-defined]
    assert (await store.events_by_id(["notes"]))["notes"] == chars.event
    many = [cmd("SHIP", id=f"ship-{n}", location_id="WH", inputs=[L(lots[n].id, 1)]) for n in range(120)]
    entries = await record(store, *many)
    assert len(entries) == 120
    assert len(await store.events(EventFilter(), None, 1000)) == 122
    assert await on_hand(store, lots[7].id) == {"WH": 0.0, CUSTOMER: 1.0, SUPPLIER: -1.0} or await on_hand(
        store, lots[7].id
    ) == {CUSTOMER: 1.0, SUPPLIER: -1.0}
    await assert_consistent(store)


async def test_text_round_trips_exactly(store: GraphStore) -> None:
    """Quotes, backslashes (a trailing one too), escapes and non-ASCII text come back as written."""
    await bakery(store)
    awkward = "C:\\lots\\ \"quoted\" 'single' \\u00e4 \\n tab\t line\n ä € 𝄞 \\"
    await receive(store, "FL-1", "FLOUR", 1, lot_code="L\\1")
    [entry] = await record(
        store,
        cmd(
            "CHARACTERISTICS",
            id="odd\\id",
            inputs=[L("FL-1")],
            reason=awkward,
            characteristics={"path": awkward, 'k"ey\\': "v"},
        ),
    )
    got = (await store.events_by_id(["odd\\id"]))["odd\\id"]
    assert got == entry.event and got.reason == awkward
    item = (await store.get("Item", ["FL-1"]))["FL-1"]
    assert item.lot_code == "L\\1"  # type: ignore[attr-defined]
    assert item.characteristics == {"path": awkward, 'k"ey\\': "v"}  # type: ignore[attr-defined]
