"""Rows of a bulk load, built as the planned entries stream in: `rows.write_rows` for a
load too large to hold at once.

Per-event rows (events, links, touches, findings, reversals) are handed out entry by entry,
so an adapter can spool them; item, balance and shipment rows come once at the end, from
the final state, each written once with the sum of its changes, as `write_rows` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..domain import errors as E
from ..domain.errors import DomainError, Problem
from ..domain.events import LedgerEntry
from ..domain.ledger import LedgerState
from ..domain.models import ItemKind, Location, Shipment
from . import rows as M

Rows = dict[str, list[dict[str, Any]]]

# The statements of rows.WRITE_ORDER whose rows come with each event, and those that come
# at the end (`BulkRows.final_rows`).
EVENT_STATEMENTS = ("create_events", "create_links", "touch", "reverse", "void_links", "create_findings")
FINAL_STATEMENTS = (
    "merge_locations",
    "create_items",
    "create_serial_keys",
    "update_items",
    "create_balances",
    "update_balances",
    "merge_shipments",
)


@dataclass
class BulkReport:
    """What a bulk load wrote."""

    events: int = 0
    items: int = 0
    links: int = 0
    balances: int = 0
    findings: int = 0


@dataclass
class BulkRows:
    state: LedgerState
    new_ids: dict[str, None] = field(default_factory=dict)
    updated_ids: dict[str, None] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    deltas: dict[tuple[str, str], float] = field(default_factory=dict)
    deltas2: dict[tuple[str, str], float] = field(default_factory=dict)  # in second units
    shipments: dict[str, Shipment] = field(default_factory=dict)
    report: BulkReport = field(default_factory=BulkReport)

    def event_rows(self, entries: Iterable[LedgerEntry], first_seq: int) -> Iterator[Rows]:
        """The per-event rows of each entry, numbered from `first_seq`. A bulk load writes new
        events only: an entry the store holds already (`duplicate`) refuses the load."""
        seq = first_seq
        for entry in entries:
            if entry.duplicate:
                raise DomainError(
                    Problem(
                        "id",
                        f"event {entry.event.id} is recorded already: a bulk load writes new events only",
                        E.ALREADY_EXISTS,
                    )
                )
            e = entry.event
            # write_rows's own rows for the event (its items and balances come at the end), so
            # the bulk path writes every property `record` writes, whatever rows.py adds.
            bare = entry.model_copy(
                update={"new_items": [], "updated_items": [], "new_locations": [], "shipment": None}
            )
            rows = M.write_rows([bare], self.state, seq - 1, set())
            one: Rows = {name: rows[name] for name in EVENT_STATEMENTS}
            seq += 1
            self.new_ids.update(dict.fromkeys(i.id for i in entry.new_items))
            self.updated_ids.update(dict.fromkeys(i.id for i in entry.updated_items))
            self.locations.update({loc.id: loc for loc in entry.new_locations})
            for key, delta in entry.balance_deltas().items():
                self.deltas[key] = self.deltas.get(key, 0.0) + delta
            for key, delta in entry.second_deltas().items():
                self.deltas2[key] = self.deltas2.get(key, 0.0) + delta
                self.deltas.setdefault(key, 0.0)
            if entry.shipment is not None:
                self.shipments[entry.shipment.id] = entry.shipment
            self.report.events += 1
            self.report.links += len(e.links)
            self.report.findings += len(entry.findings)
            yield one

    def touched_existing_items(self) -> list[str]:
        """Items the load changes a balance of and does not create: their balances are in the store."""
        return sorted({item_id for item_id, _ in self.deltas} - set(self.new_ids))

    def final_rows(self, existing_balances: set[tuple[str, str]]) -> Rows:
        """Item, balance, location and shipment rows, once every entry has been seen.
        `existing_balances`: the balances the store holds of `touched_existing_items()`."""
        rows: Rows = {name: [] for name in FINAL_STATEMENTS}
        rows["merge_locations"] = [M.location_props(loc) for loc in self.locations.values()]
        for item_id in self.new_ids:
            item = self.state.items[item_id]
            rows["create_items"].append(M.item_props(item))
            if item.kind is ItemKind.SERIAL and item.material_id:
                key = (item.material_id, item.lot_code or item.id)
                if self.state.serials.get(key) == item.id:
                    rows["create_serial_keys"].append({"id": M.balance_id(*key), "item_id": item.id})
        for item_id in self.updated_ids:
            if item_id not in self.new_ids:
                props = M.item_props(self.state.items[item_id])
                rows["update_items"].append({k: props[k] for k in M.UPDATED_ITEM_FIELDS})
        M.add_balance_rows(rows, self.deltas, self.deltas2, self.state, existing_balances)
        rows["merge_shipments"] = [M.shipment_props(s) for s in self.shipments.values()]
        self.report.items = len(rows["create_items"])
        self.report.balances = len(rows["create_balances"]) + len(rows["update_balances"])
        return rows
