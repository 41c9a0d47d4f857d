"""The embedded store's in-memory link index (store/linkindex.py) agrees with its database:
after writes, corrections, bulk loads, a failed transaction and a restart."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))

from contract_kit import L, at, bakery, cmd, lot, receive, record  # noqa: E402

from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402
from tracegraph.store.port import Direction  # noqa: E402


def _stored_links(store: LadybugStore) -> list[tuple[Any, ...]]:
    """The links as the database holds them, read with a query."""
    rows = store._exec("all_links")
    return sorted(
        (r["source"], r["target"], r["kind"], r["quantity"], r["event_id"], bool(r["voided"]), r["voided_at"])
        for r in rows
    )


def _stored_touches(store: LadybugStore) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for r in store._exec("all_touched"):
        out[r["item_id"]] = out.get(r["item_id"], ()) + (r["event_id"],)
    return out


def _stored_balances(store: LadybugStore) -> list[tuple[Any, ...]]:
    return sorted(
        (r["item_id"], r["location_id"], r["quantity"], r["material_id"], r["unit"], bool(r["virtual"]))
        for r in store._exec("all_balances")
    )


def _indexed_balances(store: LadybugStore) -> list[tuple[Any, ...]]:
    return sorted(
        (r["item_id"], r["location_id"], r["quantity"], r["material_id"], r["unit"], r["virtual"])
        for r in store._links.balances_of(list(store._links.balances))
    )


def _assert_index_is_the_database(store: LadybugStore) -> None:
    assert _indexed_links(store) == _stored_links(store)
    assert store._links.touched == _stored_touches(store)
    assert _indexed_balances(store) == _stored_balances(store)


def _indexed_links(store: LadybugStore) -> list[tuple[Any, ...]]:
    return sorted(
        (
            x.source_id,
            x.target_id,
            x.kind.value,
            x.quantity,
            x.event_id,
            x.voided,
            x.voided_at.isoformat().replace("+00:00", "Z") if x.voided_at else None,
        )
        for source in list(store._links.out)
        for x in store._links.links([source], Direction.FORWARD)
    )


async def _genealogy(store: LadybugStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await receive(store, "SU-1", "SUGAR", 20)
    await record(
        store,
        cmd(
            "PRODUCE",
            id="mix",
            location_id="WH",
            event_time=at(1),
            inputs=[L("FL-1", 50), L("SU-1", 10)],
            new_items=[lot("D-1", "DOUGH")],
            outputs=[L("D-1", 60)],
        ),
    )
    await record(
        store,
        cmd(
            "PRODUCE",
            id="bake",
            location_id="WH",
            event_time=at(2),
            inputs=[L("D-1", 60)],
            new_items=[lot("B-1", "BREAD")],
            outputs=[L("B-1", 100)],
        ),
    )
    await record(
        store,
        cmd(
            "PRODUCE",
            id="oops",
            location_id="WH",
            event_time=at(3),
            inputs=[L("FL-1", 10)],
            new_items=[lot("D-2", "DOUGH")],
            outputs=[L("D-2", 10)],
        ),
    )
    await record(store, cmd("CORRECTION", id="undo-oops", reverses="oops"))


async def test_the_index_follows_writes_and_corrections_and_is_loaded_again_on_open(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path / "db")
    await store.open()
    try:
        await _genealogy(store)
        walk = await store.walk(["FL-1"], Direction.FORWARD)
        assert set(walk.reached) == {"D-1", "B-1"}  # D-2's link is voided by the correction
        assert set(await store.neighbours(["D-1"], Direction.BACKWARD)) == {("FL-1", "D-1"), ("SU-1", "D-1")}
        voided = [x for x in await store.links(["FL-1"], Direction.FORWARD) if x.target_id == "D-2"]
        assert len(voided) == 1 and voided[0].voided and voided[0].voided_at is not None
        _assert_index_is_the_database(store)
        events = await store.events_of_items(["FL-1", "D-2", "nothing"])
        assert {i: [e.id for e in es] for i, es in events.items()} == {
            "FL-1": ["rcv-FL-1", "mix", "oops", "undo-oops"],
            "D-2": ["oops", "undo-oops"],
            "nothing": [],
        }
        before = _indexed_links(store)
    finally:
        await store.close()

    again = LadybugStore(tmp_path / "db")
    await again.open()
    try:
        assert _indexed_links(again) == before
        _assert_index_is_the_database(again)
        assert [e.id for e in (await again.events_of_items(["D-1"]))["D-1"]] == ["mix", "bake"]
        assert set((await again.walk(["B-1"], Direction.BACKWARD)).reached) == {"D-1", "FL-1", "SU-1"}
    finally:
        await again.close()


async def test_a_rolled_back_group_leaves_nothing_in_the_index(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = LadybugStore(tmp_path / "db")
    await store.open()
    try:
        await bakery(store)
        await receive(store, "FL-1", "FLOUR", 100)
        real = store._exec
        failures = iter([True])

        def failing(name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            if name.startswith("touch") and next(failures, False):
                raise RuntimeError("disk full")  # after the links were written in this transaction
            return real(name, params)

        monkeypatch.setattr(store, "_exec", failing)
        with pytest.raises(RuntimeError, match="disk full"):
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
        assert await store.neighbours(["FL-1"], Direction.FORWARD) == []
        assert store._links.count == 0 and _stored_links(store) == []
        assert [e.id for e in (await store.events_of_items(["FL-1"]))["FL-1"]] == ["rcv-FL-1"]
        # The same request again lands, once.
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
        assert await store.neighbours(["FL-1"], Direction.FORWARD) == [("FL-1", "D-1")]
        _assert_index_is_the_database(store)
    finally:
        await store.close()


async def test_bulk_loaded_links_are_indexed(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path / "db")
    await store.open()
    try:
        await bakery(store)
        commands = [
            cmd("RECEIVE", id="r1", location_id="WH", new_items=[lot("FL-1", "FLOUR")], outputs=[L("FL-1", 100)]),
            cmd(
                "PRODUCE",
                id="mix",
                location_id="WH",
                inputs=[L("FL-1", 50)],
                new_items=[lot("D-1", "DOUGH")],
                outputs=[L("D-1", 50)],
            ),
            cmd(
                "PRODUCE",
                id="oops",
                location_id="WH",
                inputs=[L("FL-1", 5)],
                new_items=[lot("D-2", "DOUGH")],
                outputs=[L("D-2", 5)],
            ),
            cmd("CORRECTION", id="undo", reverses="oops"),
        ]
        await Ledger(store).import_events(commands)
        assert await store.neighbours(["FL-1"], Direction.FORWARD) == [("FL-1", "D-1")]
        _assert_index_is_the_database(store)
    finally:
        await store.close()


def test_the_index_holds_nothing_the_garbage_collector_tracks() -> None:
    """Millions of links must not lengthen the collector's passes (store/linkindex.py)."""
    import gc

    from tracegraph.store.linkindex import LinkIndex

    index = LinkIndex()
    for n in range(50):
        index.add_one(f"A{n}", f"B{n}", "CONSUMED", 1.5, f"e{n}", "2024-01-01T00:00:00Z", None, False, None)
        index.touch_one(f"e{n}", f"A{n}")
    index.void("e3", ["A3"], "2024-01-02T00:00:00Z")
    gc.collect()
    gc.collect()  # a tuple is untracked once what it holds is: nested ones take a pass each
    held = [
        *index.out.values(),
        *index.into.values(),
        *index.touched.values(),
        *(link for links in index.out.values() for link in links),
    ]
    assert not any(gc.is_tracked(x) for x in held)
    [voided] = index.links(["A3"], Direction.FORWARD)
    assert voided.voided and voided.voided_at is not None and index.into["B3"][0][7]


async def test_an_item_read_then_changed_is_read_anew(tmp_path: Path) -> None:
    """The store's item cache forgets an item once a write that changes it commits."""
    from tracegraph.domain.models import Status

    store = LadybugStore(tmp_path / "db")
    await store.open()
    try:
        await bakery(store)
        await receive(store, "FL-1", "FLOUR", 100)
        assert (await store.get("Item", ["FL-1"]))["FL-1"].status == Status.RELEASED  # type: ignore[attr-defined]
        await record(store, cmd("RECLASSIFY", id="hold", inputs=[L("FL-1")], status=Status.HOLD))
        assert (await store.get("Item", ["FL-1"]))["FL-1"].status == Status.HOLD  # type: ignore[attr-defined]
        await record(store, cmd("CORRECTION", id="unhold", reverses="hold"))
        assert (await store.get("Item", ["FL-1", "nothing"])).keys() == {"FL-1"}
        assert (await store.get("Item", ["FL-1"]))["FL-1"].status == Status.RELEASED  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_lookups_of_many_ids_in_slices_find_every_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tracegraph.store.ladybug as ladybug_store

    monkeypatch.setattr(ladybug_store, "_IDS_AT_ONCE", 2)
    store = LadybugStore(tmp_path / "db")
    await store.open()
    try:
        await bakery(store)
        for n in range(5):
            await receive(store, f"FL-{n}", "FLOUR", 10 + n)
        ids = [f"FL-{n}" for n in range(5)]
        assert sorted((await store.get("Item", [*ids, "nothing"])).keys()) == ids
        assert sorted(await store.events_by_id([f"rcv-{i}" for i in ids])) == [f"rcv-{i}" for i in ids]
    finally:
        await store.close()
