"""What weakens traceability, per item, and a completeness score per material and period.

An item is complete when it has events, a recorded origin (received or produced here, not
first seen in a partner's fact), nothing of it was used before it was received or produced,
and no more of it went out (consumed, shipped, scrapped, lost) than came in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .events import EventRecord
from .models import CUSTOMER, INVENTORY_LOSS, PRODUCTION, SCRAP, SUPPLIER, TRANSIT, UNKNOWN_ORIGIN, Item, ItemKind
from .trace import standing

TOLERANCE = 1e-6
_OUT = {PRODUCTION, CUSTOMER, SCRAP, INVENTORY_LOSS, TRANSIT}


@dataclass
class Issue:
    item_id: str
    kind: str  # NO_ORIGIN, CONSUMED_BEFORE_PRODUCED, OVER_CONSUMED, NO_EVENTS
    message: str
    quantity: float | None = None


@dataclass
class Score:
    key: str  # a material id, or a period (YYYY-MM)
    items: int = 0
    complete: int = 0

    @property
    def score(self) -> float:
        return self.complete / self.items if self.items else 1.0


@dataclass
class Completeness:
    items: int = 0
    complete: int = 0
    issues: list[Issue] = field(default_factory=list)
    by_material: list[Score] = field(default_factory=list)
    by_period: list[Score] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.complete / self.items if self.items else 1.0


@dataclass
class _Flow:
    created: float = 0.0
    out: float = 0.0
    first_in: datetime | None = None
    first_out: datetime | None = None
    events: int = 0


class Assessor:
    """Fed items and events a page at a time (events in commit order), then `result()`."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.flows: dict[str, _Flow] = {}
        self._pending: list[EventRecord] = []

    def add_items(self, items: Iterable[Item]) -> None:
        for i in items:
            self.items[i.id] = i

    def add_events(self, events: Iterable[EventRecord]) -> None:
        # Corrections may come pages later than what they reverse: keep events until the end,
        # but only what the flows need of them.
        self._pending.extend(events)

    def _flows(self) -> None:
        for e in standing(self._pending):
            for item_id in e.item_ids:
                self.flows.setdefault(item_id, _Flow()).events += 1
            for m in e.moves:
                f = self.flows.setdefault(m.item_id, _Flow())
                src, dst = m.from_location_id, m.to_location_id
                if src in (SUPPLIER, PRODUCTION, UNKNOWN_ORIGIN) and dst not in _OUT:
                    f.created += m.quantity
                    if src != UNKNOWN_ORIGIN:
                        f.first_in = e.event_time if f.first_in is None else min(f.first_in, e.event_time)
                if src == CUSTOMER or src == INVENTORY_LOSS:
                    f.out -= m.quantity
                if dst in _OUT and src not in (SUPPLIER, PRODUCTION, UNKNOWN_ORIGIN):
                    f.out += m.quantity
                    if dst != INVENTORY_LOSS:
                        f.first_out = e.event_time if f.first_out is None else min(f.first_out, e.event_time)

    def result(self) -> Completeness:
        self._flows()
        report = Completeness()
        materials: dict[str, Score] = {}
        periods: dict[str, Score] = {}
        for item in sorted(self.items.values(), key=lambda i: i.id):
            flow = self.flows.get(item.id)
            issues = []
            if flow is None or flow.events == 0:
                issues.append(Issue(item.id, "NO_EVENTS", f"{item.id} has no recorded event"))
            elif item.kind is not ItemKind.CONTAINER:
                if not item.origin_known or (flow.created <= TOLERANCE and flow.out > TOLERANCE):
                    issues.append(Issue(item.id, "NO_ORIGIN", f"{item.id} has no recorded receipt or production"))
                if flow.first_in is not None and flow.first_out is not None and flow.first_out < flow.first_in:
                    issues.append(
                        Issue(
                            item.id,
                            "CONSUMED_BEFORE_PRODUCED",
                            f"{item.id} was used at {flow.first_out.isoformat()}, before it was received "
                            f"or produced at {flow.first_in.isoformat()}",
                        )
                    )
                if flow.out > flow.created + TOLERANCE * max(1.0, flow.created) and flow.created > TOLERANCE:
                    over = flow.out - flow.created
                    issues.append(
                        Issue(
                            item.id,
                            "OVER_CONSUMED",
                            f"{over:g} {item.unit} more of {item.id} went out than was received or produced",
                            over,
                        )
                    )
            report.items += 1
            report.complete += not issues
            report.issues += issues
            keys = [(materials, item.material_id or "(unknown)")]
            if item.first_event_time is not None:
                keys.append((periods, item.first_event_time.strftime("%Y-%m")))
            for table, key in keys:
                s = table.setdefault(key, Score(key))
                s.items += 1
                s.complete += not issues
        report.by_material = sorted(materials.values(), key=lambda s: s.key)
        report.by_period = sorted(periods.values(), key=lambda s: s.key)
        return report
