"""Planning a large import event by event, with the same rules as `plan_batch`.

`plan_batch` copies the whole loaded state for every event it plans (`_Planner` starts from
`dict(state.items)`), which is right for a batch of a few events and quadratic for a million.
`BulkPlanner` keeps one state for the whole import, indexed by item, and hands `plan` only
what each command names (the same `keys_for` a store loads for `record`), then advances the
whole state with `advance`. The entries are those `plan_batch` gives for the same commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from .errors import DomainError, Problem
from .events import EventCommand, EventRecord, LedgerEntry, Source
from .ledger import LedgerState, StateKeys, advance, keys_for, plan


class BulkPlanner:
    """Plans commands in order on `state`, which it advances past each one.

    `state` holds what the store held for every key of the import (`batch_keys`) before it;
    `keep_events` names the events a later command reverses: only those stay in
    `state.events` once planned, so memory does not grow with every event's record.
    """

    def __init__(self, state: LedgerState, keep_events: Iterable[str] = ()):
        self.state = state
        self.keep_events = set(keep_events)
        self.locations_of: dict[str, set[str]] = {}
        for item_id, loc in state.balances:
            self.locations_of.setdefault(item_id, set()).add(loc)

    def _view(self, keys: StateKeys) -> LedgerState:
        s = self.state
        items = {i: s.items[i] for i in keys.item_ids if i in s.items}
        balances = {(i, loc): s.balances[(i, loc)] for i in items for loc in self.locations_of.get(i, ())}
        second = {key: s.second_balances[key] for key in balances if key in s.second_balances}
        location_ids = set(keys.location_ids) | {loc for _, loc in balances}
        material_ids = set(keys.material_ids) | {i.material_id for i in items.values() if i.material_id}
        compositions = {c: s.compositions[c] for c in keys.composition_ids if c in s.compositions}
        material_ids |= {m for c in compositions.values() for m in c.materials}
        return LedgerState(
            items=items,
            materials={m: s.materials[m] for m in material_ids if m in s.materials},
            locations={loc: s.locations[loc] for loc in location_ids if loc in s.locations},
            balances=balances,
            second_balances=second,
            serials={k: s.serials[k] for k in keys.serials if k in s.serials},
            events={e: s.events[e] for e in keys.event_ids if e in s.events},
            reversed_ids={e for e in keys.event_ids if e in s.reversed_ids},
            classifications=s.classifications,  # few, and every one the import names is loaded
            compositions=compositions,
            action_types=s.action_types,  # likewise
        )

    def plan(self, cmd: EventCommand, *, source: Source, now: datetime | None = None) -> LedgerEntry:
        reversed_event: EventRecord | None = self.state.events.get(cmd.reverses) if cmd.reverses else None
        entry = plan(cmd, self._view(keys_for(cmd, reversed_event)), source=source, now=now)
        advance(self.state, entry)
        for key in entry.balance_deltas():
            self.locations_of.setdefault(key[0], set()).add(key[1])
        if not entry.duplicate and entry.event.id not in self.keep_events:
            del self.state.events[entry.event.id]
        return entry

    def plan_all(
        self,
        cmds: Sequence[EventCommand],
        *,
        source: Source,
        now: datetime | None = None,
    ) -> Iterator[LedgerEntry]:
        """Each command's entry in order; at the end, every refusal at once (`events[n]....`),
        as `plan_batch` reports them. A caller writes nothing before the iterator is done."""
        problems: list[Problem] = []
        for n, cmd in enumerate(cmds):
            try:
                entry = self.plan(cmd, source=source, now=now)
            except DomainError as e:
                problems += [
                    Problem(f"events[{n}].{p.field}" if p.field else f"events[{n}]", p.message, p.code)
                    for p in e.problems
                ]
                continue
            yield entry
        if problems:
            raise DomainError(problems)
