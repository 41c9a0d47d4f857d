"""Serial assemblies built up over several events: which components an assembly held when.

A serial produced from its inputs holds them as components (PRODUCE); ASSEMBLE installs more
into an existing assembly, which does not move; DISASSEMBLE takes some out again, back into
stock, where their later events trace as usual. Every such event lists its `component_changes`
(domain/events.py); an assembly's history is read from its own events in the order they were
recorded. Corrected events and their corrections do not count (as for containers).

A component taken out keeps its identity and its INSTALLED (or CONSUMED) link into the
assembly: a forward trace from it still reaches the assembly it was in, then wherever it went.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from .events import EventRecord
from .trace import standing


@dataclass(frozen=True)
class ComponentStay:
    """A component in an assembly from `installed_by` (at `installed_at`) until `removed_by`
    (None: it is in it now), in `slot` if it has one."""

    item_id: str
    material_id: str | None
    slot: str | None
    quantity: float | None
    installed_at: datetime
    installed_by: str
    removed_at: datetime | None = None
    removed_by: str | None = None

    @property
    def current(self) -> bool:
        return self.removed_by is None


def component_stays(assembly_id: str, events: Iterable[EventRecord]) -> list[ComponentStay]:
    """Every component the assembly held, in the order installed; a part of a lot taken out
    closes the stay and opens one of what is left."""
    out: list[ComponentStay] = []
    for e in standing(events):
        for c in e.component_changes:
            if c.assembly_id != assembly_id:
                continue
            if c.installed:
                out.append(
                    ComponentStay(
                        item_id=c.item_id,
                        material_id=c.material_id,
                        slot=c.slot,
                        quantity=c.quantity,
                        installed_at=e.event_time,
                        installed_by=e.id,
                    )
                )
                continue
            left = c.quantity if c.quantity is not None else 1.0
            for n, s in enumerate(list(out)):
                if s.item_id != c.item_id or not s.current or left <= 1e-9:
                    continue
                have = s.quantity if s.quantity is not None else 1.0
                out[n] = replace(s, removed_at=e.event_time, removed_by=e.id)
                if have > left + 1e-9:  # part of it stays in
                    out.append(replace(s, quantity=have - left))
                left -= have
    return out
