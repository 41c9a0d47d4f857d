"""The stock index (store/stockindex.py) gives what summing every balance gives (domain/stock.py
`sum_balances`, the memory of what the stores' `stock_sums` statement computes): random balances
created and changed, items on hand at several locations of one root counted once, virtual
locations and balances back at zero left out."""

from __future__ import annotations

import random

import pytest

from tracegraph.domain.stock import sum_balances
from tracegraph.store.linkindex import LinkIndex

TOL = 1e-6
LOCATIONS = ["S", "A", "A1", "A2", "B", "B1"]
PARENT = {"A": "S", "A1": "A", "A2": "A", "B": "S", "B1": "B"}
PAIRS = [
    (loc, root)
    for root in LOCATIONS
    for loc in LOCATIONS
    if loc == root or PARENT.get(loc) == root or PARENT.get(PARENT.get(loc, ""), "") == root
]


def expected(index: LinkIndex, items: list[str], materials: list[str] | None) -> list[tuple]:
    rows = [
        (r["item_id"], r["location_id"], r["material_id"], r["kind"], r["quantity"], r["unit"], r["quantity2"])
        for r in index.balances_of(items)
        if not r["virtual"] and abs(r["quantity"]) > TOL and (materials is None or r["material_id"] in materials)
    ]
    return [
        (s.root, s.material_id, s.kind, s.unit, round(s.quantity, 6), s.items, round(s.quantity2, 6))
        for s in sum_balances(rows, PAIRS)
    ]


def got(index: LinkIndex, materials: list[str] | None) -> list[tuple]:
    return [
        (s.root, s.material_id, s.kind, s.unit, round(s.quantity, 6), s.items, round(s.quantity2, 6))
        for s in index.stock.sums(PAIRS, materials)
    ]


@pytest.mark.parametrize("seed", range(20))
def test_the_index_sums_as_the_balances_do(seed: int) -> None:
    rng = random.Random(seed)
    index = LinkIndex(TOL)
    items: dict[str, tuple[str, str]] = {}
    held: set[tuple[str, str]] = set()
    for step in range(300):
        if not items or rng.random() < 0.3:
            item = f"I{len(items)}"
            items[item] = (rng.choice(["M1", "M2", "M3"]), rng.choice(["LOT", "SERIAL"]))
            qty = float(rng.randint(1, 9))
            index.add_balance(item, "virtual:supplier", -qty, items[item][0], "KG", True, -qty / 2, items[item][1])
            loc = rng.choice(LOCATIONS)
            index.add_balance(item, loc, qty, items[item][0], "KG", False, qty / 2, items[item][1])
            held.add((item, loc))
            continue
        item = rng.choice(sorted(items))
        src = rng.choice(sorted(loc for i, loc in held if i == item))
        dst = rng.choice(LOCATIONS)
        on_hand = next(r["quantity"] for r in index.balances_of([item]) if r["location_id"] == src)
        part = on_hand if rng.random() < 0.4 else round(on_hand * rng.random(), 3)
        index.change_balance(item, src, -part, -part / 2)
        if (item, dst) in held:
            index.change_balance(item, dst, part, part / 2)
        else:
            index.add_balance(item, dst, part, items[item][0], "KG", False, part / 2, items[item][1])
            held.add((item, dst))
        if step % 25 == 0:
            assert got(index, None) == expected(index, sorted(items), None)
    assert got(index, None) == expected(index, sorted(items), None)
    assert got(index, ["M2"]) == expected(index, sorted(items), ["M2"])
    assert any(index.stock.spread.values()), "some items end up on hand at several locations"


def test_an_item_at_two_locations_of_a_root_counts_once() -> None:
    index = LinkIndex(TOL)
    index.add_balance("L1", "A1", 6.0, "M1", "KG", False, 0.0, "LOT")
    index.add_balance("L1", "A2", 4.0, "M1", "KG", False, 0.0, "LOT")
    index.add_balance("L2", "B1", 1.0, "M1", "KG", False, 0.0, "LOT")
    by_root = {s.root: (s.quantity, s.items) for s in index.stock.sums(PAIRS, None)}
    assert by_root == {"S": (11.0, 2), "A": (10.0, 1), "A1": (6.0, 1), "A2": (4.0, 1), "B": (1.0, 1), "B1": (1.0, 1)}
    index.change_balance("L1", "A2", -4.0)  # back at zero: no longer counted there
    by_root = {s.root: (s.quantity, s.items) for s in index.stock.sums(PAIRS, None)}
    assert by_root["A"] == (6.0, 1) and "A2" not in by_root
    assert not any(index.stock.spread.values())
