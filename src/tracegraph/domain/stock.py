"""Stock totals: what is on hand per material and location, counted by kind of item, and rolled
up over the location tree (a site's stock includes its areas' and their locations'). Pure
Python: the stores sum balances into `StockSum`s, the services turn them into `StockTotal`s."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .models import ItemKind, Location
from .units import conversion_factor

# The kinds each count of a total covers.
LOT_KINDS = frozenset({ItemKind.LOT.value, ItemKind.SUBLOT.value})
SERIAL_KINDS = frozenset({ItemKind.SERIAL.value})
CONTAINER_KINDS = frozenset({ItemKind.CONTAINER.value})


@dataclass(frozen=True)
class StockSum:
    """What a store sums: the balances of one material's items of one kind, kept in one unit, at
    the locations a root stands for (the root alone, or its subtree), and how many distinct
    items hold them."""

    root: str
    material_id: str
    kind: str
    unit: str
    quantity: float
    items: int
    quantity2: float = 0.0  # the sum in the material's second unit (materials tracked in two)


@dataclass(frozen=True)
class StockTotal:
    """On hand of one material at one location (with its descendants when rolled up)."""

    material_id: str
    location_id: str
    quantity: float
    unit: str
    items: int = 0
    lots: int = 0  # lots and sub-lots
    serials: int = 0
    containers: int = 0
    rolled_up: bool = False  # the total includes stock at descendant locations
    location_ids: tuple[str, ...] = field(default=())  # the locations the total covers
    # On hand in the material's second unit (each lot's own conversion, or weighed): None for a
    # material tracked in one unit.
    second_quantity: float | None = None
    second_unit: str | None = None


class LocationTree:
    """The location tree by `parent_id`: children, descendants and ancestors of each location.
    A parent that is not a known location makes its child a root; a cycle in recorded parents
    never loops."""

    def __init__(self, locations: Iterable[Location]):
        self.locations: dict[str, Location] = {loc.id: loc for loc in locations}
        self.children: dict[str, list[str]] = {}
        for loc in sorted(self.locations.values(), key=lambda x: x.id):
            if loc.parent_id is not None and loc.parent_id in self.locations and loc.parent_id != loc.id:
                self.children.setdefault(loc.parent_id, []).append(loc.id)

    def subtree(self, location_id: str) -> list[str]:
        """The location and every descendant, breadth first."""
        out, seen = [location_id], {location_id}
        k = 0
        while k < len(out):
            for c in self.children.get(out[k], ()):
                if c not in seen:
                    seen.add(c)
                    out.append(c)
            k += 1
        return out

    def ancestors_or_self(self, location_id: str) -> list[str]:
        """The location, its parent, its parent's parent, … up to a root."""
        out, seen = [], set()
        at: str | None = location_id
        while at is not None and at not in seen:
            seen.add(at)
            out.append(at)
            loc = self.locations.get(at)
            at = loc.parent_id if loc is not None and loc.parent_id in self.locations else None
        return out


def pairs_for(tree: LocationTree, roots: Sequence[str], roll_up: bool) -> list[tuple[str, str]]:
    """(location, root) pairs: each root stands for itself, and when rolled up for each of its
    descendants too."""
    out: dict[tuple[str, str], None] = {}
    for root in roots:
        for loc in tree.subtree(root) if roll_up else [root]:
            out[(loc, root)] = None
    return list(out)


def roots_by_location(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The roots each location of (location, root) pairs counts toward."""
    roots_of: dict[str, list[str]] = {}
    for loc, root in pairs:
        roots_of.setdefault(loc, []).append(root)
    return roots_of


def totals(
    sums: Iterable[StockSum],
    base_units: Mapping[str, tuple[str, Mapping[str, float]]],
    covers: Mapping[str, Sequence[str]],
    roll_up: bool,
    second_units: Mapping[str, str] | None = None,
) -> list[StockTotal]:
    """The totals per (material, location) of a store's sums, in (material, location) order.

    `base_units` gives each known material's base unit and conversions: quantities kept in
    another unit are converted when the unit converts, else kept apart in their own row.
    `covers` gives the locations each root stands for (itself and, rolled up, its descendants).
    `second_units` names the second unit of each material tracked in two: its totals carry the
    sum of the balances kept in it."""
    second_units = second_units or {}
    acc: dict[tuple[str, str, str], dict[str, float]] = {}
    for s in sums:
        base, conv = base_units.get(s.material_id, (s.unit, {}))
        factor = conversion_factor(s.unit, base, conv)
        unit, qty = (base, s.quantity * factor) if factor is not None else (s.unit, s.quantity)
        row = acc.setdefault((s.material_id, s.root, unit), {"q": 0.0, "q2": 0.0, "n": 0, "l": 0, "s": 0, "c": 0})
        row["q"] += qty
        row["q2"] += s.quantity2
        row["n"] += s.items
        row["l"] += s.items if s.kind in LOT_KINDS else 0
        row["s"] += s.items if s.kind in SERIAL_KINDS else 0
        row["c"] += s.items if s.kind in CONTAINER_KINDS else 0
    return [
        StockTotal(
            material_id=m,
            location_id=root,
            quantity=r["q"],
            unit=unit,
            items=int(r["n"]),
            lots=int(r["l"]),
            serials=int(r["s"]),
            containers=int(r["c"]),
            rolled_up=roll_up and len(covers.get(root, ())) > 1,
            location_ids=tuple(covers.get(root, (root,))),
            second_quantity=r["q2"] if m in second_units else None,
            second_unit=second_units.get(m),
        )
        for (m, root, unit), r in sorted(acc.items())
    ]


def sum_balances(
    rows: Iterable[tuple[str, str, str | None, str, float, str, float]],
    pairs: Sequence[tuple[str, str]],
) -> list[StockSum]:
    """Sums of (item, location, material, kind, quantity, unit, second-unit quantity) balance
    rows over (location, root) pairs, counting distinct items: what a store without an
    aggregating query computes."""
    roots_of = roots_by_location(pairs)
    acc: dict[tuple[str, str, str, str], tuple[float, float, set[str]]] = {}
    for item_id, loc, material_id, kind, qty, unit, qty2 in rows:
        if material_id is None:
            continue
        for root in roots_of.get(loc, ()):
            q, q2, ids = acc.setdefault((root, material_id, kind, unit), (0.0, 0.0, set()))
            ids.add(item_id)
            acc[(root, material_id, kind, unit)] = (q + qty, q2 + qty2, ids)
    return [StockSum(r, m, k, u, q, len(ids), q2) for (r, m, k, u), (q, q2, ids) in sorted(acc.items())]
