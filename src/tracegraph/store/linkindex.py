"""Every lineage link in memory, by source and by target, the events and the balances of every
item: the walk of a trace, the reads of its figures and the state a write plans on, without a
query per item.

The embedded store's process is the only writer of its database, so it can hold all of its
`FLOWS_TO` links in memory: loaded once when the store opens, extended after each commit with
the links it wrote, and marked voided when a correction voids them. A walk over this index
costs a dictionary lookup per item, where a one-id statement costs about 0.07 ms; on a 1M-lot
genealogy it holds about 2M links (bench/trace.py prints the memory).

Everything is kept in tuples of text and numbers, whose text (ids, times) is shared: the cyclic
garbage collector stops tracking such tuples, so millions of links add nothing to its passes (with
lists or objects, a full collection took 850 ms at 1M lots). A `LineageLink` is built only for what
a caller asks. Events are kept as ids, in commit order per item; their bodies stay in the store
(and in its cache of parsed events). Balances are kept as (location, quantity, material, unit,
virtual) per item, changed by the same deltas the store adds (the same floating-point sums).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ..domain.events import LinkKind
from ..domain.trace import LineageLink
from .port import Direction
from .rows import parse_time
from .stockindex import StockIndex

_KINDS = {k.value: k for k in LinkKind}


# A link: (source, target, kind, quantity, event_id, event_time, recorded_at, voided, voided_at).
# A plain tuple, not a named one: the collector untracks only exact tuples.
_Link = tuple[str, str, str, float | None, str | None, str | None, str | None, bool, str | None]
# Final, so that mypy reads them as literal indexes and knows each field's type.
SOURCE: Final = 0
TARGET: Final = 1
EVENT_ID: Final = 4
VOIDED: Final = 7
# A balance of an item: (location_id, quantity, material_id, unit, virtual, quantity in the
# material's second unit, the item's kind).
_Balance = tuple[str, float, str | None, str | None, bool, float, str | None]


def _lineage(link: _Link) -> LineageLink:
    # Built from stored values, already checked when they were written.
    source, target, kind, quantity, event_id, event_time, recorded_at, voided, voided_at = link
    return LineageLink(
        source_id=source,
        target_id=target,
        kind=_KINDS[kind],
        quantity=quantity,
        event_id=event_id,
        event_time=parse_time(event_time),
        recorded_at=parse_time(recorded_at),
        voided=voided,
        voided_at=parse_time(voided_at),
    )


class LinkIndex:
    """The links of a store by source (`out`) and by target (`into`), and the ids of the
    events that touched each item, in commit order (`touched`)."""

    def __init__(self, tolerance: float = 1e-6) -> None:
        self.stock = StockIndex(tolerance)  # stock sums per real location, kept with the balances
        self.out: dict[str, tuple[_Link, ...]] = {}
        self.into: dict[str, tuple[_Link, ...]] = {}
        self.touched: dict[str, tuple[str, ...]] = {}
        self.balances: dict[str, tuple[_Balance, ...]] = {}
        self._text: dict[str, str] = {}  # one copy of each id and time
        self.count = 0

    def _shared(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._text.setdefault(value, value)

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add the links a transaction created, as the store's write rows: source_id, target_id,
        kind, quantity, event_id, event_time, recorded_at (a new link is in force)."""
        for r in rows:
            self.add_one(
                r["source_id"],
                r["target_id"],
                r["kind"],
                r["quantity"],
                r["event_id"],
                r["event_time"],
                r["recorded_at"],
                False,
                None,
            )

    def add_one(
        self,
        source: str,
        target: str,
        kind: str,
        quantity: float | None,
        event_id: str | None,
        event_time: str | None,
        recorded_at: str | None,
        voided: bool | None,
        voided_at: str | None,
    ) -> None:
        shared = self._shared
        source, target = shared(source), shared(target)  # type: ignore[assignment]
        link: _Link = (
            source,
            target,
            shared(kind),
            quantity,
            shared(event_id),
            shared(event_time),  # type: ignore[assignment]
            shared(recorded_at),
            bool(voided),
            voided_at,
        )
        out, into = self.out, self.into
        out[source] = out.get(source, ()) + (link,)
        into[target] = into.get(target, ()) + (link,)
        self.count += 1

    def touch(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add (event_id, item_id) rows, in commit order."""
        for r in rows:
            self.touch_one(r["event_id"], r["item_id"])

    def touch_one(self, event_id: str, item_id: str) -> None:
        item_id = self._shared(item_id)  # type: ignore[assignment]
        self.touched[item_id] = self.touched.get(item_id, ()) + (self._shared(event_id),)  # type: ignore[operator]

    def events_of(self, item_id: str) -> tuple[str, ...]:
        return self.touched.get(item_id, ())

    def add_balance(
        self,
        item_id: str,
        location_id: str,
        quantity: float,
        material_id: str | None,
        unit: str | None,
        virtual: bool | None,
        quantity2: float | None = 0.0,
        kind: str | None = None,
    ) -> None:
        shared = self._shared
        item_id = shared(item_id)  # type: ignore[assignment]
        row: _Balance = (  # type: ignore[assignment]
            shared(location_id),
            quantity,
            shared(material_id),
            shared(unit),
            bool(virtual),
            quantity2 or 0.0,
            shared(kind),
        )
        rows = self.balances[item_id] = self.balances.get(item_id, ()) + (row,)
        if not row[4]:
            self._stock_changed(item_id, row, None, rows)

    def change_balance(self, item_id: str, location_id: str, delta: float, delta2: float = 0.0) -> None:
        """Add `delta` (and `delta2` in the second unit) to a balance, as the store's
        `update_balance` statement does."""
        before = self.balances.get(item_id, ())
        rows = self.balances[item_id] = tuple(
            (loc, q + delta, m, u, v, q2 + delta2, k) if loc == location_id else (loc, q, m, u, v, q2, k)
            for loc, q, m, u, v, q2, k in before
        )
        for old, new in zip(before, rows, strict=True):
            if old[0] == location_id and not new[4]:
                self._stock_changed(item_id, new, (old[1], old[5]), rows)

    def _stock_changed(
        self, item_id: str, row: _Balance, before: tuple[float, float] | None, rows: tuple[_Balance, ...]
    ) -> None:
        loc, q, material, unit, _, q2, kind = row
        cell = (material, kind or "LOT", unit or "EA") if material is not None else None
        self.stock.changed(item_id, loc, cell, before, (q, q2), ((r[0], r[1], r[4]) for r in rows))

    def balances_of(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every balance of each item, as the store's rows."""
        return [
            {
                "item_id": i,
                "location_id": loc,
                "quantity": q,
                "material_id": m,
                "unit": u,
                "virtual": v,
                "quantity2": q2,
                "kind": k,
            }
            for i in dict.fromkeys(ids)
            for loc, q, m, u, v, q2, k in self.balances.get(i, ())
        ]

    def void(self, event_id: str, sources: Iterable[str], voided_at: str | None) -> None:
        """Mark voided the links of `event_id` out of `sources` (the items its event touched),
        as the store's `void_links` statement does."""
        for source in sources:
            for link in self.out.get(source, ()):
                if link[EVENT_ID] == event_id:
                    done: _Link = (*link[:VOIDED], True, voided_at)
                    self.out[source] = tuple(done if x is link else x for x in self.out[source])
                    self.into[link[TARGET]] = tuple(done if x is link else x for x in self.into[link[TARGET]])

    def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        """The distinct (source, target) pairs of the links in force out of (FORWARD) or into
        (BACKWARD) each of `ids`, in order."""
        table = self.out if direction is Direction.FORWARD else self.into
        pairs: dict[tuple[str, str], None] = {}
        for i in dict.fromkeys(ids):
            for link in table.get(i, ()):
                if not link[VOIDED]:
                    pairs[(link[SOURCE], link[TARGET])] = None
        return list(pairs)

    def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        """Every link out of or into each of `ids`, voided ones too."""
        table = self.out if direction is Direction.FORWARD else self.into
        return [_lineage(link) for i in dict.fromkeys(ids) for link in table.get(i, ())]
