"""The Ledger's breadth-first trace gives the same answers on every store: diamonds are
walked once per item, cycles end the walk."""

from __future__ import annotations

import time

from contract_kit import L, assert_consistent, bakery, cmd, lot, receive, record

from tracegraph.domain.models import ItemKind
from tracegraph.services.ledger import Ledger
from tracegraph.store.port import Direction, GraphStore


async def test_diamond(store: GraphStore) -> None:
    """A split into B and C, merged again into D, baked with F into E."""
    await bakery(store)
    await receive(store, "A", "FLOUR", 100)
    await receive(store, "F", "SUGAR", 10)
    await record(
        store,
        cmd(
            "SPLIT",
            id="split",
            location_id="WH",
            inputs=[L("A", 100)],
            new_items=[
                lot("B", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
                lot("C", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
            ],
            outputs=[L("B", 50), L("C", 50)],
        ),
        cmd(
            "MERGE",
            id="merge",
            location_id="WH",
            inputs=[L("B"), L("C")],
            new_items=[lot("D", "FLOUR")],
            outputs=[L("D")],
        ),
        cmd(
            "PRODUCE",
            id="bake",
            location_id="WH",
            inputs=[L("D", 100), L("F", 10)],
            new_items=[lot("E", "DOUGH")],
            outputs=[L("E", 110)],
        ),
    )
    ledger = Ledger(store)
    fwd = await ledger.trace("A", Direction.FORWARD)
    assert sorted(fwd.items) == ["B", "C", "D", "E"]
    assert fwd.depth == {"B": 1, "C": 1, "D": 2, "E": 3}
    assert sorted(fwd.edges) == [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")]
    back = await ledger.trace("E", Direction.BACKWARD)
    assert sorted(back.items) == ["A", "B", "C", "D", "F"]
    assert back.depth == {"D": 1, "F": 1, "B": 2, "C": 2, "A": 3}
    assert sorted((await ledger.trace("B", Direction.BACKWARD)).items) == ["A"]
    assert sorted((await ledger.trace("F", Direction.FORWARD)).items) == ["E"]
    assert (await ledger.trace("E", Direction.FORWARD)).items == []
    assert sorted((await ledger.trace("A", Direction.FORWARD, max_depth=2)).items) == ["B", "C", "D"]
    await assert_consistent(store)


async def test_cycle(store: GraphStore) -> None:
    """X -> Y -> Z -> X, recorded by mistake: every walk ends."""
    await bakery(store)
    for item_id in ("X", "Y", "Z"):
        await receive(store, item_id, "FLOUR", 10)
    await record(
        store,
        cmd("PRODUCE", id="xy", location_id="WH", inputs=[L("X", 1)], outputs=[L("Y", 1)]),
        cmd("PRODUCE", id="yz", location_id="WH", inputs=[L("Y", 1)], outputs=[L("Z", 1)]),
        cmd("PRODUCE", id="zx", location_id="WH", inputs=[L("Z", 1)], outputs=[L("X", 1)]),
    )
    ledger = Ledger(store)
    for root in ("X", "Y", "Z"):
        for direction in Direction:
            result = await ledger.trace(root, direction)
            assert sorted(result.items) == sorted({"X", "Y", "Z"} - {root})
    fwd = await ledger.trace("X", Direction.FORWARD)
    assert fwd.items == ["Y", "Z"] and fwd.depth == {"Y": 1, "Z": 2}
    back = await ledger.trace("X", Direction.BACKWARD)
    assert back.items == ["Z", "Y"]
    await assert_consistent(store)


async def test_stacked_diamonds_are_walked_once(store: GraphStore) -> None:
    """30 diamonds in a row: 2**30 paths, 90 items; the walk visits each item once."""
    await bakery(store)
    await receive(store, "M0", "FLOUR", 8)
    layers = 30
    cmds = []
    for n in range(layers):
        a, b, m = f"A{n}", f"B{n}", f"M{n + 1}"
        cmds.append(
            cmd(
                "SPLIT",
                id=f"s{n}",
                location_id="WH",
                inputs=[L(f"M{n}")],
                new_items=[lot(a, "FLOUR", kind=ItemKind.SUBLOT), lot(b, "FLOUR", kind=ItemKind.SUBLOT)],
                outputs=[L(a, 4), L(b, 4)],
            )
        )
        cmds.append(
            cmd("MERGE", id=f"m{n}", location_id="WH", inputs=[L(a), L(b)], new_items=[lot(m, "FLOUR")], outputs=[L(m)])
        )
    await record(store, *cmds)
    ledger = Ledger(store)
    started = time.monotonic()
    fwd = await ledger.trace("M0", Direction.FORWARD)
    back = await ledger.trace(f"M{layers}", Direction.BACKWARD)
    elapsed = time.monotonic() - started
    assert len(fwd.items) == 3 * layers and len(set(fwd.items)) == 3 * layers
    assert fwd.depth[f"M{layers}"] == 2 * layers
    assert len(back.items) == 3 * layers and back.depth["M0"] == 2 * layers
    assert len(fwd.edges) == 4 * layers
    assert elapsed < 10, f"trace took {elapsed:.1f} s"
    await assert_consistent(store)
