"""Stock totals per material and location, rolled up over the location tree, as a caller may see
them: the server's admin gets the store's sums; an organization's key gets sums of the balances
of the items it may see, so no total counts what it may not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ..domain.models import Balance, Item, Location, Material
from ..domain.query import BalanceFilter
from ..domain.stock import LocationTree, StockSum, StockTotal, pairs_for, sum_balances, totals
from .ledger import MAX_PAGE, Ledger


async def location_tree(ledger: Ledger) -> LocationTree:
    """Every location as a tree: the one read before while the store holds as many locations
    (they are created, never changed), else read again a page at a time."""
    count = await ledger.store.count_locations()
    if ledger.location_tree is not None and ledger.location_tree[0] == count:
        return ledger.location_tree[1]
    tree = await _read_tree(ledger)
    ledger.location_tree = (len(tree.locations), tree)
    return tree


async def _read_tree(ledger: Ledger) -> LocationTree:
    found: list[Location] = []
    after: str | None = None
    while True:
        page = [m for m in await ledger.page("Location", after, MAX_PAGE) if isinstance(m, Location)]
        found += page
        if len(page) < MAX_PAGE:
            return LocationTree(found)
        after = page[-1].id


async def stock_totals(
    ledger: Ledger,
    *,
    material_id: str | None,
    location_id: str | None,
    roll_up: bool,
    include_virtual: bool,
    visible_balances: Callable[[BalanceFilter], Awaitable[list[Balance]]] | None = None,
    visible_items: Callable[[Sequence[str]], Awaitable[dict[str, Item]]] | None = None,
    location_shown: Callable[[Location], bool] | None = None,
) -> list[StockTotal]:
    """Totals per (material, location), in that order: of `location_id` alone, else of every
    location with stock (of one material or of all). Rolled up, a location's total covers its
    descendants'. For a restricted caller `visible_balances` and `visible_items` read only what
    it may see, and `location_shown` keeps the rows of locations it may see (or holds stock at)."""
    tree = await location_tree(ledger)
    if location_id is not None:
        roots = [location_id]
    else:
        roots = [i for i, loc in tree.locations.items() if include_virtual or not loc.is_virtual]
    pairs = pairs_for(tree, roots, roll_up)
    materials = [material_id] if material_id is not None else None
    direct: set[str] = set()
    sums: list[StockSum]
    if visible_balances is None or visible_items is None:
        sums = await ledger.store.stock_sums(pairs, materials, include_virtual)
    else:
        filt = BalanceFilter(
            location_ids=sorted({loc for loc, _ in pairs}), material_ids=materials, include_virtual=include_virtual
        )
        found = [b for b in await visible_balances(filt) if b.material_id is not None]
        items = await visible_items(sorted({b.item_id for b in found}))
        rows = [
            (
                b.item_id,
                b.location_id,
                b.material_id,
                items[b.item_id].kind.value,
                b.quantity,
                b.unit,
                b.second_quantity,
            )
            for b in found
            if b.item_id in items
        ]
        direct = {b.location_id for b in found if b.item_id in items}
        sums = sum_balances(rows, pairs)
    ids = sorted({s.material_id for s in sums})
    known = await ledger.store.get("Material", ids) if ids else {}
    units = {i: (m.base_unit, m.conversions) for i, m in known.items() if isinstance(m, Material)}
    second = {i: m.second_unit for i, m in known.items() if isinstance(m, Material) and m.second_unit}
    covers = {root: tree.subtree(root) if roll_up else [root] for root in {s.root for s in sums}}
    out = totals(sums, units, covers, roll_up, second)
    if location_shown is not None:
        out = [
            t
            for t in out
            if t.location_id in direct
            or (t.location_id in tree.locations and location_shown(tree.locations[t.location_id]))
        ]
    return out
