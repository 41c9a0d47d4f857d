"""Stock sums per real location in memory: what `stock_sums` adds up, kept current balance by
balance, so a stock total of a site of a thousand locations and a million lots costs a
dictionary lookup per location instead of a read of every balance.

The embedded store (and the in-memory one) keep every balance in their `LinkIndex`; each
balance created or changed there is passed here too. Per real location, per (material, item
kind, unit), it holds the sum of the non-zero balances (beyond the store's tolerance, as the
`stock_sums` statement filters them), of their second-unit quantities, and how many they are.
Summed over the locations a root covers, those counts would count twice an item on hand at two
of them: the items on hand at more than one real location are kept apart (`spread`), and each
is counted once per root when the sums are read. Virtual locations are left out (a total with
virtual locations is read from the store).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..domain.stock import StockSum, roots_by_location

Cell = tuple[str, str, str]  # (material, item kind, unit)


class StockIndex:
    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        # location -> material -> (kind, unit) -> [quantity, second quantity, balances]
        self.cells: dict[str, dict[str, dict[tuple[str, str], list[float]]]] = {}
        # The items on hand at two or more real locations: item -> (its cell, those locations),
        # and their ids by material and by location, to read only those a question touches.
        self.spread: dict[str, tuple[Cell, frozenset[str]]] = {}
        self.spread_of_material: dict[str, set[str]] = {}
        self.spread_at: dict[str, set[str]] = {}

    def _add(self, location_id: str, cell: Cell, quantity: float, second: float, sign: int) -> None:
        if abs(quantity) <= self.tolerance:
            return
        material, kind, unit = cell
        at = self.cells.setdefault(location_id, {}).setdefault(material, {})
        row = at.get((kind, unit))
        if row is None:
            row = at[(kind, unit)] = [0.0, 0.0, 0]
        row[0] += sign * quantity
        row[1] += sign * second
        row[2] += sign
        if row[2] == 0:
            del at[(kind, unit)]
            if not at:
                del self.cells[location_id][material]

    def changed(
        self,
        item_id: str,
        location_id: str,
        cell: Cell | None,
        before: tuple[float, float] | None,
        after: tuple[float, float],
        places: Iterable[tuple[str, float, bool]],
    ) -> None:
        """A real location's balance of an item went from `before` (None: it had none) to
        `after`, each (quantity, second quantity); `places` are the item's balances now as
        (location, quantity, virtual). `cell` None (no material): not stock."""
        if cell is None:
            return
        if before is not None:
            self._add(location_id, cell, before[0], before[1], -1)
        self._add(location_id, cell, after[0], after[1], 1)
        held = frozenset(loc for loc, q, virtual in places if not virtual and abs(q) > self.tolerance)
        old = self.spread.pop(item_id, None)
        if old is not None:
            self.spread_of_material[old[0][0]].discard(item_id)
            for loc in old[1]:
                self.spread_at[loc].discard(item_id)
        if len(held) > 1:
            self.spread[item_id] = (cell, held)
            self.spread_of_material.setdefault(cell[0], set()).add(item_id)
            for loc in held:
                self.spread_at.setdefault(loc, set()).add(item_id)

    def sums(self, pairs: Sequence[tuple[str, str]], material_ids: Sequence[str] | None) -> list[StockSum]:
        """As the store's `stock_sums` statement for real locations: the non-zero balances at the
        locations of (location, root) pairs, summed per (root, material, kind, unit), counting
        each item once per root."""
        roots_of = roots_by_location(pairs)
        acc: dict[tuple[str, str, str, str], list[float]] = {}
        for loc, roots in roots_of.items():
            at = self.cells.get(loc)
            if not at:
                continue
            for material in at if material_ids is None else material_ids:
                for (kind, unit), (q, q2, n) in at.get(material, {}).items():
                    for root in roots:
                        row = acc.get((root, material, kind, unit))
                        if row is None:
                            row = acc[(root, material, kind, unit)] = [0.0, 0.0, 0]
                        row[0] += q
                        row[1] += q2
                        row[2] += n
        # Items on hand at several locations a root covers are counted once: those of the
        # materials asked for, or those at the locations asked for, whichever are fewer.
        if material_ids is not None:
            candidates = {i for m in material_ids for i in self.spread_of_material.get(m, ())}
        else:
            candidates = {i for loc in roots_of for i in self.spread_at.get(loc, ())}
        for item_id in candidates:
            (material, kind, unit), held = self.spread[item_id]
            counted: dict[str, int] = {}
            for loc in held:
                for root in roots_of.get(loc, ()):
                    counted[root] = counted.get(root, 0) + 1
            for root, k in counted.items():
                if k > 1:
                    acc[(root, material, kind, unit)][2] -= k - 1
        return [
            StockSum(root=r, material_id=m, kind=k, unit=u, quantity=q, items=int(n), quantity2=q2)
            for (r, m, k, u), (q, q2, n) in sorted(acc.items())
        ]
