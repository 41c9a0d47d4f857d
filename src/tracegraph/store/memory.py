"""An in-memory store for tests that need no disk and no server. Nothing outlives the process.

A faithful fake, not a stub: the graph is kept as the rows the other adapters hand their Cypher
statements (store/rows.py), in dictionaries by label and id, and read back with its
readers; links, which events touched which items, and balances sit in a `LinkIndex`, as the
embedded store keeps them. `record` loads the `LedgerState` its commands name (as `load_state`
gives it), plans on it with the ledger's own `plan_batch`, and only then applies the rows of
`rows.write_rows`: a refusal raises before anything is applied, so a batch is all or nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from ..domain import errors as E
from ..domain.actions import DEFAULT_ACTION_TYPES
from ..domain.audit import AuditEntry
from ..domain.auth import ApiKey, Share
from ..domain.composition import CompositionList
from ..domain.errors import DomainError, Problem
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, LogHead, Source, numbered
from ..domain.ledger import LedgerState, StateKeys, batch_keys, classification_ids_of, plan_batch
from ..domain.models import DEFAULT_CLASSIFICATIONS, VIRTUAL_LOCATIONS, Balance, Item, Location, LocationKind
from ..domain.recall import Recall, RecallNotice
from ..domain.stock import StockSum
from ..domain.trace import LineageLink
from . import rows as M
from .bulk import EVENT_STATEMENTS, BulkReport, BulkRows
from .linkindex import LinkIndex
from .port import (
    BalanceFilter,
    CaptureJob,
    Direction,
    EventFilter,
    ExpiryCursor,
    ExpiryFilter,
    GraphStore,
    Imbalance,
    IntegrityReport,
    ItemFilter,
    MasterKind,
    ReadKind,
    Walk,
    breadth_first,
)

TOLERANCE = 1e-6  # as the other adapters: a balance within it of zero is zero
Row = dict[str, Any]


def _newest_first(rows: Iterable[Row], time: str, after_time: str, after_id: str, first: int) -> list[Row]:
    """Rows by (time, id) descending after the (time, id) last seen ('' : from the start)."""
    kept = [r for r in rows if not after_time or (r[time], r["id"]) < (after_time, after_id)]
    return sorted(kept, key=lambda r: (r[time], r["id"]), reverse=True)[:first]


class MemoryStore(GraphStore):
    name = "memory"

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, Row]] = {}  # label -> id -> properties, as the Cypher writes them
        self._records: dict[str, EventRecord] = {}  # each event's body, parsed once
        self._reversed: set[str] = set()  # events a correction reverses (`REVERSES`)
        self._links = LinkIndex(TOLERANCE)  # FLOWS_TO links, TOUCHED events and AT balances
        self._aliases: dict[str, str] = {}
        self._seq = 0  # the last event's commit sequence number
        self._log = uuid.uuid4().hex  # this store's event log: one process holds it
        self._lock = asyncio.Lock()  # one writer at a time
        self._open = False

    def _table(self, label: str) -> dict[str, Row]:
        return self._nodes.setdefault(label, {})

    def _new(self, label: str, row: Row) -> None:
        """CREATE: a node whose id is taken is an error, as a primary key makes it elsewhere."""
        table = self._table(label)
        if row["id"] in table:
            raise RuntimeError(f"duplicated primary key {row['id']!r} in {label}")
        table[row["id"]] = dict(row)

    def _read(self, label: str, ids: Iterable[str]) -> dict[str, Any]:
        table, reader = self._table(label), M.READERS[label]
        return {i: reader(table[i]) for i in ids if i in table}

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        for kind, loc_id in VIRTUAL_LOCATIONS.items():
            loc = Location(
                id=loc_id, name=kind.value.replace("_", " ").lower(), kind=LocationKind.VIRTUAL, virtual=kind
            )
            self._table("Location").setdefault(loc_id, M.location_props(loc))
        for c in DEFAULT_CLASSIFICATIONS.values():
            self._table("Classification").setdefault(c.id, M.classification_props(c))
        for t in DEFAULT_ACTION_TYPES.values():
            self._table("ActionType").setdefault(t.id, M.action_type_props(t))
        self._open = True

    async def close(self) -> None:
        self._open = False

    async def ping(self) -> None:
        if not self._open:
            raise RuntimeError("store is not open")

    # -- writes -----------------------------------------------------------------------------

    def _apply(self, rows: dict[str, list[Row]]) -> None:
        """Write planned rows as the statements of rows.WRITE_ORDER do, in that order."""
        for r in rows.get("merge_locations", ()):
            self._table("Location").setdefault(r["id"], dict(r))
        for r in rows.get("create_items", ()):
            self._new("Item", r)
        for r in rows.get("create_serial_keys", ()):
            self._new("SerialKey", r)
        for r in rows.get("update_items", ()):
            self._table("Item")[r["id"]].update(r)
        for r in rows.get("create_events", ()):
            self._new("Event", r)
            self._records[r["id"]] = M.event(r)
        for r in rows.get("create_balances", ()):
            self._links.add_balance(
                r["item_id"],
                r["location_id"],
                r["delta"],
                r["material_id"],
                r["unit"],
                r["virtual"],
                r["delta2"],
                r["kind"],
            )
        for r in rows.get("update_balances", ()):
            self._links.change_balance(r["item_id"], r["location_id"], r["delta"], r["delta2"])
        self._links.add(rows.get("create_links", ()))
        self._links.touch(rows.get("touch", ()))
        self._reversed.update(r["reversed_id"] for r in rows.get("reverse", ()))
        for r in rows.get("void_links", ()):
            e = self._records[r["reversed_id"]]
            self._links.void(e.id, e.item_ids, r["voided_at"])
        for r in rows.get("create_findings", ()):
            self._new("Finding", r)
        shipments = self._table("Shipment")
        for r in rows.get("merge_shipments", ()):
            if r["id"] in shipments:
                shipments[r["id"]]["shipped_at"] = r["shipped_at"]
            else:
                shipments[r["id"]] = dict(r)

    async def record(self, commands: Sequence[EventCommand], source: Source) -> list[LedgerEntry]:
        async with self._lock:
            cmds = list(commands)
            targets = {c.reverses for c in cmds if c.reverses}
            state = self._load(batch_keys(cmds, self._events_by_id(sorted(targets))), targets)
            existing, existing_serials = set(state.balances), set(state.serials)
            entries = plan_batch(cmds, state, source=source)  # a DomainError here: nothing written
            rows = M.write_rows(entries, state, self._seq, existing, existing_serials)
            self._apply(rows)
            entries = numbered(entries, self._seq)
            self._seq += len(rows["create_events"])
            return entries

    def _load(self, keys: StateKeys, reversal_targets: set[str]) -> LedgerState:
        state = LedgerState()
        state.items = self._read("Item", sorted(keys.item_ids))
        state.compositions = self._read("CompositionList", sorted(keys.composition_ids))
        material_ids = keys.material_ids | {i.material_id for i in state.items.values() if i.material_id}
        material_ids |= {m for c in state.compositions.values() for m in c.materials}
        state.materials = self._read("Material", sorted(material_ids))
        state.locations = self._read("Location", sorted(keys.location_ids))
        state.classifications = self._read("Classification", classification_ids_of(keys, state.items, state.materials))
        state.action_types = self._read("ActionType", sorted(keys.action_type_ids))
        for row in self._links.balances_of(sorted(state.items)):
            state.balances[(row["item_id"], row["location_id"])] = row["quantity"]
            if row.get("quantity2"):
                state.second_balances[(row["item_id"], row["location_id"])] = row["quantity2"]
        # Balances name locations the commands did not: load them, so virtual ones are known.
        state.locations.update(self._read("Location", sorted({loc for _, loc in state.balances})))
        serial_keys = self._table("SerialKey")
        state.serials = {
            key: serial_keys[M.balance_id(*key)]["item_id"] for key in keys.serials if M.balance_id(*key) in serial_keys
        }
        state.events = self._events_by_id(sorted(keys.event_ids))
        state.reversed_ids = reversal_targets & self._reversed
        return state

    async def load_state(self, keys: StateKeys) -> LedgerState:
        return self._load(keys, set(keys.event_ids))

    async def bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport:
        async with self._lock:
            rows = BulkRows(state)
            planned: dict[str, list[Row]] = {name: [] for name in EVENT_STATEMENTS}
            for one in rows.event_rows(entries, self._seq + 1):  # plans: a refusal writes nothing
                for name, batch in one.items():
                    planned[name] += batch
            existing = {
                (r["item_id"], r["location_id"]) for r in self._links.balances_of(rows.touched_existing_items())
            }
            final = rows.final_rows(existing)
            taken = [
                r["id"]
                for label, name in (
                    ("Event", "create_events"),
                    ("Item", "create_items"),
                    ("SerialKey", "create_serial_keys"),
                )
                for r in {**planned, **final}[name]
                if r["id"] in self._table(label)
            ]
            if taken:
                raise DomainError(
                    Problem(
                        None,
                        f"a bulk load creates new events and items only: {', '.join(taken[:5])} exist already",
                        E.ALREADY_EXISTS,
                    )
                )
            self._apply({**planned, **final})
            self._seq += rows.report.events
            return rows.report

    async def create(self, kind: MasterKind, model: BaseModel) -> None:
        async with self._lock:
            row = M.WRITERS[kind](model)
            if row["id"] in self._table(kind):
                raise DomainError(Problem("id", f"{kind.lower()} {row['id']} already exists", E.ALREADY_EXISTS))
            self._new(kind, row)

    async def update(self, kind: MasterKind, model: BaseModel) -> None:
        async with self._lock:
            row = M.WRITERS[kind](model)
            if row["id"] not in self._table(kind):
                raise DomainError(Problem("id", f"unknown {kind.lower()} {row['id']}", E.NOT_FOUND))
            self._table(kind)[row["id"]] = dict(row)

    async def save_recall(self, recall: Recall) -> None:
        self._table("Recall")[recall.id] = M.recall_props(recall)

    # -- reads ------------------------------------------------------------------------------

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]:
        return self._read(kind, ids)

    async def page(
        self,
        kind: ReadKind,
        after: str | None,
        first: int,
        filt: ItemFilter | None = None,
    ) -> list[BaseModel]:
        p = M.item_page_params(filt if kind == "Item" else ItemFilter())  # what `page_items` is given
        rows = [
            r
            for i, r in sorted(self._table(kind).items())
            if i > (after or "")
            and (not p["material_id"] or r["material_id"] == p["material_id"])
            and (not p["kind"] or r["kind"] == p["kind"])
            and (not p["status"] or r["status"] == p["status"])
            and (not p["expires_from"] or (r["expires_at"] or "") >= p["expires_from"])
            and (not p["expires_until"] or (r["expires_at"] is not None and r["expires_at"] < p["expires_until"]))
            and (not p["lot_code"] or r["lot_code"] == p["lot_code"])
        ]
        return [M.READERS[kind](r) for r in rows[:first]]

    async def characteristic_page(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]:
        p = M.characteristic_page_params(filt, after, first)  # what `page_items_by_characteristic` is given
        shown = await self.page("Item", after, len(self._table("Item")) + 1, filt)
        rows = [
            i
            for i in shown
            if isinstance(i, Item)
            and i.material_id == p["material_id"]
            and p["char_key"] in (text := M.item_props(i)["characteristics"])
            and (not p["char_eq"] or p["char_eq"] + "," in text or p["char_eq"] + "}" in text)
        ]
        return rows[:first]

    async def expiry_page(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int, dated: bool) -> list[Item]:
        p = M.expiry_params(filt, after, first, TOLERANCE)  # what the `expiry_*` statements are given

        def on_hand(item_id: str) -> bool:
            return any(
                b["quantity"] > TOLERANCE
                and not b["virtual"]
                and (not p["location_id"] or b["location_id"] == p["location_id"])
                for b in self._links.balances_of([item_id])
            )

        rows = [
            r
            for r in self._table("Item").values()
            if (not p["material_id"] or r["material_id"] == p["material_id"])
            and (not p["kind"] or r["kind"] == p["kind"])
            and (not p["status"] or r["status"] == p["status"])
            and (
                (
                    r["expires_at"] is not None
                    and p["from"] <= r["expires_at"] < p["until"]
                    and (r["expires_at"], r["id"]) > (p["after_exp"], p["after_id"])
                )
                if dated
                else (r["expires_at"] is None and r["id"] > p["after_id"])
            )
            and (not (p["on_hand"] or p["location_id"]) or on_hand(r["id"]))
        ]
        rows.sort(key=lambda r: (r["expires_at"] or "", r["id"]))
        return [M.item(r) for r in rows[:first]]

    async def claim_expiry_notices(self, ids: Sequence[str], at: str) -> list[str]:
        table = self._table("ExpiryNotice")
        fresh = [i for i in dict.fromkeys(ids) if i not in table]
        for i in fresh:
            table[i] = {"id": i, "at": at}
        return fresh

    async def count_locations(self) -> int:
        return len(self._table("Location"))

    async def stock_sums(
        self, pairs: Sequence[tuple[str, str]], material_ids: Sequence[str] | None, include_virtual: bool
    ) -> list[StockSum]:
        if pairs and material_ids != [] and not include_virtual:
            return self._links.stock.sums(pairs, material_ids)
        return await super().stock_sums(pairs, material_ids, include_virtual)

    async def balances(
        self,
        filt: BalanceFilter,
        after: str | None = None,
        first: int | None = None,
    ) -> list[Balance]:
        filt = await self.narrowed_by_expiry(filt)
        if filt.location_ids == [] or filt.material_ids == [] or filt.item_ids == []:
            return []
        if filt.item_ids is not None:
            return M.filter_balances(self._links.balances_of(filt.item_ids), filt, after, first, TOLERANCE)
        p = M.balance_page_params(filt, after, first, TOLERANCE)  # what `balances_page` is given
        rows = sorted(
            self._links.balances_of(list(self._links.balances)), key=lambda r: (r["item_id"], r["location_id"])
        )
        kept = [
            r
            for r in rows
            if (not p["location_ids"] or r["location_id"] in p["location_ids"])
            and (not p["material_ids"] or r["material_id"] in p["material_ids"])
            and (p["include_virtual"] or not r["virtual"])
            and (p["include_zero"] or abs(r["quantity"]) > TOLERANCE)
            and filt.expiry_admits(M.parse_time(self._table("Item")[r["item_id"]]["expires_at"]))
            and (r["item_id"], r["location_id"]) > (p["after_item"], p["after_location"])
        ]
        return [M.balance(r) for r in kept[: p["first"]]]

    def _events_by_id(self, ids: Iterable[str]) -> dict[str, EventRecord]:
        return {i: self._records[i] for i in ids if i in self._records}

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        _, p = M.event_page_query(filt, after, first)  # the parameters the Cypher takes
        table = self._table("Event")
        rows = [table[e] for e in self._links.events_of(p["item_id"])] if "item_id" in p else table.values()
        kept = sorted(
            (
                r
                for r in rows
                if r["seq"] > p["after"]
                and (not p["types"] or r["type"] in p["types"])
                and all(not p[k] or r[k] == p[k] for k in ("location_id", "order_id", "shipment_id", "source"))
                and (not p["since"] or r["event_time"] >= p["since"])
                and (not p["until"] or r["event_time"] < p["until"])
            ),
            key=lambda r: r["seq"],
        )
        return [(r["seq"], self._records[r["id"]]) for r in kept[:first]]

    async def log_head(self) -> LogHead:
        return LogHead(self._log, self._seq)

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        table = self._table("Event")
        return {i: table[i]["seq"] for i in ids if i in table}

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return self._events_by_id(ids)

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        return {i: [self._records[e] for e in self._links.events_of(i)] for i in item_ids}

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        return self._links.neighbours(ids, direction)

    async def walk(self, roots: Sequence[str], direction: Direction, max_depth: int | None = None) -> Walk:
        return breadth_first(roots, direction, max_depth, lambda ids: self._links.neighbours(ids, direction))

    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        return self._links.links(ids, direction)

    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]:
        table = self._table("Recall")
        return {i: M.recall(table[i]) for i in ids if i in table}

    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]:
        p = M.recall_page_params(after, first, status)
        rows = (r for r in self._table("Recall").values() if not p["status"] or r["status"] == p["status"])
        return [M.recall(r) for r in _newest_first(rows, "opened_at", p["after_time"], p["after_id"], first)]

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        rows = [r for i, r in sorted(self._table("Finding").items()) if i > (after or "")]
        return [M.finding(r) for r in rows[:first]]

    async def integrity(self) -> IntegrityReport:
        items, events = self._table("Item"), self._table("Event")
        materials, locations = self._table("Material"), self._table("Location")
        totals = {i: sum(b[1] for b in rows) for i, rows in self._links.balances.items() if i in items}
        totals2 = {i: sum(b[5] for b in rows) for i, rows in self._links.balances.items() if i in items}
        dangling = [  # as the check_* statements, in their names' order
            *(
                f"event {e} names location {r['location_id']}, which does not exist"
                for e, r in sorted(events.items())
                if r["location_id"] is not None and r["location_id"] not in locations
            ),
            *(f"item {i} has no event" for i in sorted(items) if not self._links.events_of(i)),
            *(
                f"item {i} names material {r['material_id']}, which does not exist"
                for i, r in sorted(items.items())
                if r["material_id"] is not None and r["material_id"] not in materials
            ),
            *(
                f"item {i} names parent {r['parent_id']}, which does not exist"
                for i, r in sorted(items.items())
                if r["parent_id"] is not None and r["parent_id"] not in items
            ),
            *(
                f"link {link[0]} -> {link[1]} names event {link[4]}, which does not exist"
                for out in self._links.out.values()
                for link in out
                if link[4] not in events
            ),
            *(
                f"location {i} names parent {r['parent_id']}, which does not exist"
                for i, r in sorted(locations.items())
                if r["parent_id"] is not None and r["parent_id"] not in locations
            ),
        ]
        return IntegrityReport(
            items=len(items),
            events=len(events),
            dangling=dangling,
            imbalances=[
                Imbalance(i, t, totals2[i])
                for i, t in sorted(totals.items())
                if abs(t) > TOLERANCE or abs(totals2[i]) > TOLERANCE
            ],
            findings=await self.findings(None, len(self._table("Finding"))),
        )

    # -- EPCIS ------------------------------------------------------------------------------

    async def save_capture(self, job: CaptureJob) -> None:
        self._new("CaptureJob", M.capture_props(job))

    async def capture(self, capture_id: str) -> CaptureJob | None:
        row = self._table("CaptureJob").get(capture_id)
        return M.capture(row) if row is not None else None

    async def capture_page(self, after: str | None, first: int) -> list[CaptureJob]:
        table = self._table("CaptureJob")
        return [M.capture(table[i]) for i in sorted(table) if i > (after or "")][:first]

    async def alias_page(self, after: str | None, first: int) -> list[tuple[str, str]]:
        return [(k, self._aliases[k]) for k in sorted(self._aliases) if k > (after or "")][:first]

    async def aliases(self, keys: Sequence[str]) -> dict[str, str]:
        return {k: self._aliases[k] for k in keys if k in self._aliases}

    async def add_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        async with self._lock:
            return {k: self._aliases.setdefault(k, v) for k, v in aliases.items()}

    # -- authentication ---------------------------------------------------------------------

    async def save_api_key(self, key: ApiKey) -> None:
        self._new("ApiKey", M.api_key_props(key))

    async def api_key_by_hash(self, hash: str) -> ApiKey | None:
        return next((M.api_key(r) for r in self._table("ApiKey").values() if r["hash"] == hash), None)

    async def api_key(self, key_id: str) -> ApiKey | None:
        row = self._table("ApiKey").get(key_id)
        return M.api_key(row) if row is not None else None

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        rows = [r for r in self._table("ApiKey").values() if r["organization_id"] == organization_id]
        return [M.api_key(r) for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]))]

    async def revoke_api_key(self, key_id: str) -> bool:
        row = self._table("ApiKey").get(key_id)
        if row is not None:
            row["revoked"] = True
        return row is not None

    async def append_audit(self, entry: AuditEntry) -> None:
        self._new("AuditEntry", M.audit_props(entry))

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        rows = [
            r
            for i, r in sorted(self._table("AuditEntry").items())
            if i > (after or "") and (organization_id is None or r["organization_id"] == organization_id)
        ]
        return [M.audit(r) for r in rows[:first]]

    async def save_recall_notice(self, notice: RecallNotice) -> None:
        self._table("RecallNotice")[notice.id] = M.recall_notice_props(notice)

    async def recall_notices(self, ids: Sequence[str]) -> dict[str, RecallNotice]:
        table = self._table("RecallNotice")
        return {i: M.recall_notice(table[i]) for i in ids if i in table}

    async def recall_notice_page(
        self, organization_id: str | None, after: RecallNotice | None, first: int
    ) -> list[RecallNotice]:
        p = M.recall_notice_page_params(organization_id, after, first)
        rows = (
            r
            for r in self._table("RecallNotice").values()
            if not p["organization_id"] or r["organization_id"] == p["organization_id"]
        )
        return [M.recall_notice(r) for r in _newest_first(rows, "created_at", p["after_time"], p["after_id"], first)]

    async def save_share(self, share: Share) -> None:
        self._table("Share")[share.id] = M.share_props(share)

    async def shares_with(self, organization_id: str) -> list[Share]:
        return [M.share(r) for _, r in sorted(self._table("Share").items()) if r["organization_id"] == organization_id]

    async def composition_lists_of(self, material_ids: Sequence[str]) -> list[CompositionList]:
        wanted = set(material_ids)
        rows = sorted(self._table("CompositionList").items())
        return [M.composition_list(r) for _, r in rows if r["material_id"] in wanted]

    async def set_allowed_materials(self, item_id: str, material_ids: list[str] | None) -> bool:
        row = self._table("Item").get(item_id)
        if row is not None:
            row["allowed_material_ids"] = M.allowed_materials_prop(material_ids)
        return row is not None

    async def rename_organization(self, organization_id: str, name: str) -> bool:
        row = self._table("Organization").get(organization_id)
        if row is not None:
            row["name"] = name
        return row is not None
