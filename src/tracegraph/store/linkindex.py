"""Every lineage link in memory, by source and by target, and the events of every item: the
walk of a trace and the reads of its figures without a query per item.

The embedded store's process is the only writer of its database, so it can hold all of its
`FLOWS_TO` links in memory: loaded once when the store opens, extended after each commit with
the links it wrote, and marked voided when a correction voids them. A walk over this index
costs a dictionary lookup per item, where a one-id statement costs about 0.07 ms; on a 1M-lot
genealogy it holds about 2M links (bench/trace.py prints the memory).

Links are kept as small slotted records whose text (ids, times) is shared between records;
a `LineageLink` is built only for what a caller asks. Events are kept as ids, in commit order per
item; their bodies stay in the store (and in its cache of parsed events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..domain.events import LinkKind
from ..domain.trace import LineageLink
from .mapping import parse_time
from .port import Direction

_KINDS = {k.value: k for k in LinkKind}


class _Link:
    __slots__ = ("source", "target", "kind", "quantity", "event_id", "event_time", "recorded_at", "voided",
                 "voided_at")

    def __init__(self, source: str, target: str, kind: str, quantity: float | None, event_id: str | None,
                 event_time: str | None, recorded_at: str | None, voided: bool, voided_at: str | None):
        self.source = source
        self.target = target
        self.kind = kind
        self.quantity = quantity
        self.event_id = event_id
        self.event_time = event_time
        self.recorded_at = recorded_at
        self.voided = voided
        self.voided_at = voided_at

    def lineage(self) -> LineageLink:
        # Built from stored values, already checked when they were written.
        return LineageLink.model_construct(
            source_id=self.source, target_id=self.target, kind=_KINDS[self.kind], quantity=self.quantity,
            event_id=self.event_id, event_time=parse_time(self.event_time), recorded_at=parse_time(self.recorded_at),
            voided=self.voided, voided_at=parse_time(self.voided_at), via=None)


class LinkIndex:
    """The links of a store by source (`out`) and by target (`into`), and the ids of the
    events that touched each item, in commit order (`touched`)."""

    def __init__(self) -> None:
        self.out: dict[str, list[_Link]] = {}
        self.into: dict[str, list[_Link]] = {}
        self.touched: dict[str, list[str]] = {}
        self._text: dict[str, str] = {}  # one copy of each id and time
        self.count = 0

    def _shared(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._text.setdefault(value, value)

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add links given as rows of the store: source, target, kind, quantity, event_id,
        event_time, recorded_at and, when loaded from the store, voided and voided_at."""
        shared, out, into = self._shared, self.out, self.into
        for r in rows:
            link = _Link(shared(r["source"]), shared(r["target"]), shared(r["kind"]), r.get("quantity"),  # type: ignore[arg-type]
                         shared(r.get("event_id")), shared(r.get("event_time")), shared(r.get("recorded_at")),
                         bool(r.get("voided")), r.get("voided_at"))
            out.setdefault(link.source, []).append(link)
            into.setdefault(link.target, []).append(link)
            self.count += 1

    def touch(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add (event_id, item_id) rows, in commit order."""
        shared, touched = self._shared, self.touched
        for r in rows:
            touched.setdefault(shared(r["item_id"]), []).append(shared(r["event_id"]))  # type: ignore[arg-type]

    def events_of(self, item_id: str) -> list[str]:
        return self.touched.get(item_id, [])

    def void(self, event_id: str, sources: Iterable[str], voided_at: str | None) -> None:
        """Mark voided the links of `event_id` out of `sources` (the items its event touched),
        as the store's `void_links` statement does."""
        for source in sources:
            for link in self.out.get(source, ()):
                if link.event_id == event_id:
                    link.voided = True
                    link.voided_at = voided_at

    def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        """The distinct (source, target) pairs of the links in force out of (FORWARD) or into
        (BACKWARD) each of `ids`, in order."""
        table = self.out if direction is Direction.FORWARD else self.into
        pairs: dict[tuple[str, str], None] = {}
        for i in dict.fromkeys(ids):
            for link in table.get(i, ()):
                if not link.voided:
                    pairs[(link.source, link.target)] = None
        return list(pairs)

    def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        """Every link out of or into each of `ids`, voided ones too."""
        table = self.out if direction is Direction.FORWARD else self.into
        return [link.lineage() for i in dict.fromkeys(ids) for link in table.get(i, ())]
