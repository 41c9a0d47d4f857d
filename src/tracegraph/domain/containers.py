"""Containers: the materials a container allows, and who occupied it when.

A container may carry a list of allowed materials (a tank kept for one product, a bin for one
family of powders: against contamination). Packing an item of any other material into it is
refused on commands and recorded with a finding on facts (domain/ledger.py calls
`not_allowed`). Without a list, any material may go in.

Its occupancy is read from its own events: each PACK into it opens a stay of every item packed
(with the quantity packed), each UNPACK from it closes the stays of the items it names, or of
every item in it when it names none (an EPCIS AggregationEvent DELETE without childEPCs).
Corrected events and their corrections do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .events import EventRecord, EventType
from .models import Item
from .trace import standing


def allowed_list(material_ids: Iterable[str] | None) -> list[str] | None:
    """A list as kept: without repeats, in the order given; an empty one is no list (None)."""
    if material_ids is None:
        return None
    out = list(dict.fromkeys(material_ids))
    return out or None


def not_allowed(container: Item, item: Item) -> str | None:
    """Why `item` may not be packed into `container` (a readable message), or None: it may."""
    allowed = container.allowed_material_ids
    if not allowed or item.id == container.id:
        return None
    if item.material_id is None:
        return f"{item.id} has no known material: container {container.id} only allows materials {', '.join(allowed)}"
    if item.material_id in allowed:
        return None
    return (
        f"{item.id} is of material {item.material_id}: container {container.id} only allows "
        f"materials {', '.join(allowed)}"
    )


@dataclass(frozen=True)
class Stay:
    """An item packed into a container by `packed_by` at `packed_at`, taken out by
    `unpacked_by` at `unpacked_at` (None: still in it)."""

    item_id: str
    quantity: float | None
    packed_at: datetime
    packed_by: str
    unpacked_at: datetime | None = None
    unpacked_by: str | None = None

    @property
    def current(self) -> bool:
        return self.unpacked_by is None


@dataclass(frozen=True)
class Content:
    """An item in a container now: how much of it was packed, since when (its earliest stay
    still open) and by which events."""

    item_id: str
    quantity: float | None
    since: datetime
    packed_by: list[str]


def stays(container_id: str, events: Iterable[EventRecord]) -> list[Stay]:
    """Every stay in the container, in the order the items were packed (event time, then the
    order the events were recorded in)."""
    in_order = sorted(standing(events), key=lambda e: e.event_time)  # stable: commit order on ties
    out: list[Stay] = []  # in the order packed
    open_: list[int] = []  # indexes into out of the stays still open
    for e in in_order:
        if e.command.container_id != container_id:
            continue
        if e.type is EventType.PACK:
            for link in e.links:
                if link.target_id == container_id:
                    open_.append(len(out))
                    out.append(Stay(link.source_id, link.quantity, e.event_time, e.id))
        elif e.type is EventType.UNPACK:
            names = {line.item_id for line in e.command.inputs}
            still = []
            for n in open_:
                s = out[n]
                if not names or s.item_id in names:
                    out[n] = Stay(s.item_id, s.quantity, s.packed_at, s.packed_by, e.event_time, e.id)
                else:
                    still.append(n)
            open_ = still
    return out


def contents(all_stays: Iterable[Stay]) -> list[Content]:
    """What is in the container now, per item: its open stays summed."""
    by_item: dict[str, list[Stay]] = {}
    for s in all_stays:
        if s.current:
            by_item.setdefault(s.item_id, []).append(s)
    out = []
    for item_id, mine in by_item.items():
        quantities = [s.quantity for s in mine]
        total = None if any(q is None for q in quantities) else sum(q for q in quantities if q is not None)
        out.append(Content(item_id, total, min(s.packed_at for s in mine), [s.packed_by for s in mine]))
    return out
