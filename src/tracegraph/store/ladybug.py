"""The embedded store: Ladybug, one directory on disk, in the process.

Ladybug's calls block and it takes one writer at a time, so every call runs on one
dedicated thread, off the event loop, in the order it was made.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import ladybug
from pydantic import BaseModel

from ..domain import errors as E
from ..domain.actions import DEFAULT_ACTION_TYPES
from ..domain.audit import AuditEntry
from ..domain.auth import ApiKey, Share
from ..domain.composition import CompositionList
from ..domain.errors import DomainError, Problem
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, LogHead, Source, numbered
from ..domain.ledger import LedgerState, StateKeys, batch_keys, classification_ids_of, plan_requests
from ..domain.models import (
    DEFAULT_CLASSIFICATIONS,
    VIRTUAL_LOCATIONS,
    Balance,
    Item,
    Location,
    LocationKind,
)
from ..domain.recall import Recall, RecallNotice
from ..domain.stock import StockSum
from ..domain.trace import LineageLink
from . import rows as M
from .bulk import BulkReport, BulkRows
from .cypher import catalog
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
    SchemaTooNew,
    Walk,
    breadth_first,
    version_to_record,
)

T = TypeVar("T")

_PLURAL = {
    "Organization": "organizations",
    "Material": "materials",
    "Location": "locations",
    "Order": "orders",
    "Classification": "classifications",
    "CompositionList": "composition_lists",
    "ActionType": "action_types",
    "Item": "items",
    "Shipment": "shipments",
}
TOLERANCE = 1e-6
# Up to this many rows, a write runs row by row rather than as one UNWIND (see write.cypher).
_ROW_BY_ROW = 64


# Statements that look up a list of ids take it in slices of this many.
_IDS_AT_ONCE = 5_000

# At most this many events are written in one group commit.
GROUP_EVENTS = 10_000


def _settle(future: asyncio.Future[T], outcome: T | BaseException) -> None:
    if future.cancelled():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _one_line(query: str) -> str:
    lines = (line.strip() for line in query.splitlines())
    return " ".join(line for line in lines if line and not line.startswith("//"))


class LadybugStore(GraphStore):
    name = "ladybug"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # One line each: the driver's Python side takes far longer over multi-line query text
        # (5 ms against 0.2 ms for the same statement, measured).
        self.q = {name: _one_line(text) for name, text in catalog("ladybug").items()}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ladybug")
        self._db: ladybug.Database | None = None
        self._conn: ladybug.Connection | None = None
        self._seq = 0  # the last event's commit sequence number; one process owns the database
        self._log = uuid.uuid4().hex  # so its event log is this process's
        self._events = M.EventCache()
        self._items: M.Cache[Item] = M.Cache(200_000)  # items read, forgotten when a write changes them
        # Requests waiting for the writer (appended on the event loop, taken on the writer thread).
        self._pending: deque[tuple[list[EventCommand], Source, asyncio.Future[list[LedgerEntry]]]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._links = LinkIndex(TOLERANCE)  # every FLOWS_TO link, in memory (store/linkindex.py)
        # Master data the write path reads for every event (materials, locations,
        # classifications), kept once read: see `_masters`.
        self._master_cache: dict[str, dict[str, Any]] = {}
        self._after_commit: list[Callable[[], None]] = []  # what the open transaction does once committed

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _exec(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        params = params or {}
        ids = params.get("ids")
        if isinstance(ids, list) and len(ids) > _IDS_AT_ONCE:
            # Lookups by key of many ids cost less in slices: one list of 34,000 event ids took
            # 3.0 s from a cold database, slices of 5,000 1.1 s (a 1M-lot genealogy).
            return [
                row
                for k in range(0, len(ids), _IDS_AT_ONCE)
                for row in self._exec(name, {**params, "ids": ids[k : k + _IDS_AT_ONCE]})
            ]
        assert self._conn is not None, "store is not open"
        result = self._conn.execute(self.q[name], params)
        assert not isinstance(result, list)
        columns = result.get_column_names()
        rows = [dict(zip(columns, row, strict=True)) for row in result.get_all()]
        result.close()
        return rows

    def _per_id(self, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """A one-id statement (see read.cypher) for each id, in order, on this thread."""
        return [row for i in dict.fromkeys(ids) for row in self._exec(name, {"id": i})]

    def _balances_of_items(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        return self._links.balances_of(ids)

    def _nodes(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [M.clean(row["n"]) for row in self._exec(name, params)]

    def _transaction(self, fn: Callable[[], T]) -> T:
        assert self._conn is not None
        seq = self._seq
        self._after_commit = []
        self._conn.execute("BEGIN TRANSACTION")
        try:
            out = fn()
        except BaseException:
            self._seq = seq
            self._after_commit = []
            try:
                self._conn.execute("ROLLBACK")
            except RuntimeError:
                pass  # a failed statement has rolled the transaction back already
            raise
        self._conn.execute("COMMIT")
        after, self._after_commit = self._after_commit, []
        for step in after:
            step()
        return out

    def _after_write(
        self,
        created: list[dict[str, Any]],
        voided: list[dict[str, Any]],
        touched: list[dict[str, Any]],
        new_balances: list[dict[str, Any]],
        changed_balances: list[dict[str, Any]],
        updated_items: list[dict[str, Any]],
    ) -> None:
        """Once the transaction commits: put the links it created and voided, which events
        touched which items and the balances it created and changed in the index; forget the
        items it changed from the cache."""

        def after() -> None:
            for r in new_balances:
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
            for r in changed_balances:
                self._links.change_balance(r["item_id"], r["location_id"], r["delta"], r["delta2"])
            for r in updated_items:
                self._items.pop(r["id"], None)
            self._links.add(created)
            self._links.touch(touched)
            if voided:
                events = self._events_by_id(sorted({r["reversed_id"] for r in voided}))
                for r in voided:
                    if (e := events.get(r["reversed_id"])) is not None:
                        self._links.void(e.id, e.item_ids, r["voided_at"])

        self._after_commit.append(after)

    def _load_links(self) -> None:
        """Read every link, which events touched which items, and every balance into a new index."""
        assert self._conn is not None
        self._links = LinkIndex(TOLERANCE)
        for name, add in (
            ("all_links", self._links.add_one),
            ("all_touched", self._links.touch_one),
            ("all_balances", self._links.add_balance),
        ):
            result = self._conn.execute(self.q[name])
            assert not isinstance(result, list)
            while result.has_next():
                add(*result.get_next())
            result.close()

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = ladybug.Database(str(self.path / "graph.lbug"), max_num_threads=1)
        self._conn = ladybug.Connection(self._db)
        self._conn.execute(self.q["table_meta"])
        found = self._exec("get_schema_version")
        try:  # before anything is changed: a newer store is left as it is
            version = version_to_record(found[0]["version"] if found else None)
        except SchemaTooNew:
            self._close()
            raise
        for name, statement in self.q.items():
            if name.startswith(("table_", "rel_", "alter_")):
                self._conn.execute(statement)
        self._exec("set_schema_version", {"version": version})
        for kind, loc_id in VIRTUAL_LOCATIONS.items():
            loc = Location(
                id=loc_id, name=kind.value.replace("_", " ").lower(), kind=LocationKind.VIRTUAL, virtual=kind
            )
            self._exec("merge_locations", {"rows": [M.location_props(loc)]})
        for c in DEFAULT_CLASSIFICATIONS.values():
            self._exec("merge_classifications", {"rows": [M.classification_props(c)]})
        for t in DEFAULT_ACTION_TYPES.values():
            self._exec("merge_action_types", {"rows": [M.action_type_props(t)]})
        self._seq = self._exec("max_seq")[0]["value"] or 0
        self._master_cache.clear()
        self._load_links()

    async def close(self) -> None:
        await self._run(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._db is not None:
            self._db.close()
        self._conn = self._db = None

    async def ping(self) -> None:
        await self._run(self._exec, "ping")

    # -- writes -----------------------------------------------------------------------------

    async def record(self, commands: Sequence[EventCommand], source: Source) -> list[LedgerEntry]:
        """Group commit: requests that arrive while the writer is busy are written together, in
        the order they came, in one transaction (one commit, whose cost dominates a small write),
        each planned on its own so that one refused leaves the others as they are."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[LedgerEntry]] = loop.create_future()
        self._pending.append((list(commands), source, done))
        if self._writer is None:
            self._writer = loop.create_task(self._write_pending(loop))
        return await done

    async def _write_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        """One writer at a time: while it writes, requests gather for the next group."""
        try:
            while self._pending:
                await self._run(self._drain, loop)
        finally:
            self._writer = None

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write every request waiting (up to GROUP_EVENTS events), then answer each."""
        group: list[tuple[list[EventCommand], Source, asyncio.Future[list[LedgerEntry]]]] = []
        size = 0
        while self._pending and (not group or size + len(self._pending[0][0]) <= GROUP_EVENTS):
            request = self._pending.popleft()
            group.append(request)
            size += len(request[0])
        if not group:
            return  # an earlier drain took this request
        requests = [(cmds, source) for cmds, source, _ in group]
        outcomes: list[list[LedgerEntry] | BaseException]
        try:
            outcomes = list(self._transaction(lambda: self._record_requests(requests)))
        except Exception as exc:  # noqa: BLE001 - unexpected: rolled back; each request on its own
            if len(group) == 1:
                outcomes = [exc]
            else:
                outcomes = []
                for one in requests:
                    try:
                        outcomes += self._transaction(lambda r=one: self._record_requests([r]))  # type: ignore[misc]
                    except Exception as alone:  # noqa: BLE001
                        outcomes.append(alone)
        for (_, _, future), outcome in zip(group, outcomes, strict=True):
            loop.call_soon_threadsafe(_settle, future, outcome)

    def _record_requests(
        self,
        requests: list[tuple[list[EventCommand], Source]],
    ) -> list[list[LedgerEntry] | DomainError]:
        cmds = [c for batch, _ in requests for c in batch]
        targets = {c.reverses for c in cmds if c.reverses}
        reversed_events = self._events_by_id(sorted(targets))
        state = self._load(batch_keys(cmds, reversed_events), targets)
        existing, existing_serials = set(state.balances), set(state.serials)
        outcomes = plan_requests(requests, state)
        entries = [e for o in outcomes if isinstance(o, list) for e in o]
        if not entries:
            return outcomes
        rows = M.write_rows(entries, state, self._seq, existing, existing_serials)
        self._after_write(
            rows["create_links"],
            rows["void_links"],
            rows["touch"],
            rows["create_balances"],
            rows["update_balances"],
            rows["update_items"],
        )
        for name in M.WRITE_ORDER:
            single = "update_balance" if name == "update_balances" else f"{name}_row"
            if name == "update_balances":
                for row in rows[name]:
                    self._update_balance(row)
            elif rows[name] and len(rows[name]) <= _ROW_BY_ROW and single in self.q:
                for row in rows[name]:
                    self._exec(single, row)
            elif rows[name]:
                self._exec(name, {"rows": rows[name]})
        seq, out = self._seq, []
        for outcome in outcomes:  # numbered as write_rows numbered their events
            if isinstance(outcome, list):
                outcome = numbered(outcome, seq)
                seq += sum(1 for e in outcome if not e.duplicate)
            out.append(outcome)
        self._seq += len(rows["create_events"])
        return out

    def _load(self, keys: StateKeys, reversal_targets: set[str]) -> LedgerState:
        state = LedgerState()
        ids = sorted(keys.item_ids)
        # Items from the cache of items read (this thread writes them, and forgets those a
        # commit changes), the others read.
        cached = {i: hit for i in ids if (hit := self._items.get(i)) is not None}
        missing = [i for i in ids if i not in cached]
        state.items = {**cached, **self._read_items(missing)} if missing else cached  # type: ignore[dict-item]
        known = sorted(state.items)
        if keys.composition_ids:
            state.compositions = {
                r["id"]: M.composition_list(r)
                for r in self._nodes("get_composition_lists", {"ids": sorted(keys.composition_ids)})
            }
        material_ids = sorted(
            keys.material_ids
            | {i.material_id for i in state.items.values() if i.material_id}
            | {m for c in state.compositions.values() for m in c.materials}
        )
        state.materials = self._masters("Material", material_ids)
        state.locations = self._masters("Location", sorted(keys.location_ids))
        state.classifications = self._masters(
            "Classification", classification_ids_of(keys, state.items, state.materials)
        )
        if keys.action_type_ids:
            state.action_types = {
                r["id"]: M.action_type(r)
                for r in self._nodes("get_action_types", {"ids": sorted(keys.action_type_ids)})
            }
        for row in self._balances_of_items(known):  # from the index
            state.balances[(row["item_id"], row["location_id"])] = row["quantity"]
            if row.get("quantity2"):
                state.second_balances[(row["item_id"], row["location_id"])] = row["quantity2"]
        # Balances name locations the command did not: load them, so virtual ones are known.
        missing = sorted({loc for _, loc in state.balances} - set(state.locations))
        if missing:
            state.locations.update(self._masters("Location", missing))
        if keys.serials:
            serial_ids = [M.balance_id(m, n) for m, n in keys.serials]
            for row in self._exec("get_serial_keys", {"ids": serial_ids}):
                material_id, number = row["id"].split(" ", 1)
                state.serials[(material_id, number)] = row["item_id"]
        if keys.event_ids:
            state.events = self._events_by_id(sorted(keys.event_ids))
        if reversal_targets:
            state.reversed_ids = {r["id"] for r in self._per_id("reversed_events", sorted(reversal_targets))}
        return state

    async def load_state(self, keys: StateKeys) -> LedgerState:
        return await self._run(self._load, keys, set(keys.event_ids))

    async def bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport:
        return await self._run(self._bulk_load, entries, state)

    def _bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport:
        """Spool the rows to CSV files, then one transaction: the few updates of what exists
        as statements, every new node and relationship with `COPY <table> FROM <file>`."""
        rows = BulkRows(state)
        with tempfile.TemporaryDirectory(prefix="bulk-", dir=self.path) as tmp:
            spool = _Spool(Path(tmp), self._conn)  # type: ignore[arg-type]
            statements: dict[str, list[dict[str, Any]]] = {"reverse": [], "void_links": []}
            created: list[dict[str, Any]] = []
            touched: list[dict[str, Any]] = []
            try:
                for one in rows.event_rows(entries, self._seq + 1):  # plans: a refusal writes nothing
                    for name, batch in one.items():
                        if name == "create_links":
                            created += batch
                        elif name == "touch":
                            touched += batch
                        if name in statements:
                            statements[name] += batch
                        elif batch:
                            spool.add(name, batch)
            except BaseException:
                spool.close()
                raise

            def write() -> None:
                existing = {
                    (r["item_id"], r["location_id"]) for r in self._balances_of_items(rows.touched_existing_items())
                }
                final = rows.final_rows(existing)
                ids = [r["id"] for r in final["merge_shipments"]]
                known = {r["id"] for r in self._nodes("get_shipments", {"ids": ids})} if ids else set()
                spool.add("create_items", final["create_items"])
                spool.add("create_serial_keys", final["create_serial_keys"])
                spool.add("create_balances", final["create_balances"])
                spool.add("merge_shipments", [r for r in final["merge_shipments"] if r["id"] not in known])
                if final["merge_locations"]:
                    self._exec("merge_locations", {"rows": final["merge_locations"]})
                for row in final["update_items"]:
                    self._exec("update_items_row", row)
                for row in final["update_balances"]:
                    self._update_balance(row)
                try:
                    spool.copy_all()
                except RuntimeError as exc:
                    if "duplicated primary key" in str(exc):
                        raise DomainError(
                            Problem(None, f"a bulk load creates new events and items only: {exc}", E.ALREADY_EXISTS)
                        ) from exc
                    raise
                for name in ("reverse", "void_links"):
                    if statements[name]:
                        self._exec(name, {"rows": statements[name]})
                for row in final["merge_shipments"]:
                    if row["id"] in known:
                        self._exec("merge_shipments_row", row)
                self._after_write(
                    created,
                    statements["void_links"],
                    touched,
                    final["create_balances"],
                    final["update_balances"],
                    final["update_items"],
                )

            try:
                self._transaction(write)
            finally:
                spool.close()
        self._seq += rows.report.events
        return rows.report

    async def create(self, kind: MasterKind, model: BaseModel) -> None:
        await self._run(self._create, kind, model)

    def _create(self, kind: MasterKind, model: BaseModel) -> None:
        plural = _PLURAL[kind]
        if self._nodes(f"get_{plural}", {"ids": [model.id]}):  # type: ignore[attr-defined]
            raise DomainError(
                Problem(
                    "id",
                    f"{kind.lower()} {model.id} already exists",  # type: ignore[attr-defined]
                    E.ALREADY_EXISTS,
                )
            )
        self._master_cache.get(kind, {}).pop(getattr(model, "id", ""), None)
        self._exec(f"create_{kind.lower()}", M.WRITERS[kind](model))

    async def update(self, kind: MasterKind, model: BaseModel) -> None:
        await self._run(self._update, kind, model)

    def _masters(self, kind: ReadKind, ids: list[str]) -> dict[str, Any]:
        """Materials, locations or classifications by id, kept once read: this process is the
        database's only writer, and forgets one it creates or changes (`_create`, `_update`);
        locations a fact brings in are only ever created. Read for every write otherwise."""
        cache = self._master_cache.setdefault(kind, {})
        missing = [i for i in ids if i not in cache]
        if missing:
            reader = M.READERS[kind]
            for r in self._nodes(f"get_{_PLURAL[kind]}", {"ids": missing}):
                cache[r["id"]] = reader(r)
        return {i: cache[i] for i in ids if i in cache}

    def _update(self, kind: MasterKind, model: BaseModel) -> None:
        self._master_cache.get(kind, {}).pop(getattr(model, "id", ""), None)
        if not self._exec(f"update_{kind.lower()}", M.WRITERS[kind](model)):
            raise DomainError(
                Problem("id", f"unknown {kind.lower()} {model.id}", E.NOT_FOUND)  # type: ignore[attr-defined]
            )

    async def save_recall(self, recall: Recall) -> None:
        await self._run(self._exec, "save_recall", M.recall_props(recall))

    # -- reads ------------------------------------------------------------------------------

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]:
        if kind == "Item":
            return await self._get_items(ids)
        rows = await self._run(self._nodes, f"get_{_PLURAL[kind]}", {"ids": list(ids)})
        return {r["id"]: M.READERS[kind](r) for r in rows}

    async def _get_items(self, ids: Sequence[str]) -> dict[str, BaseModel]:
        """Items from the cache, the others read and cached on the store's thread: in order with
        the writes, whose commit forgets the items they change (`_after_write`)."""
        found: dict[str, BaseModel] = {}
        missing = []
        for i in ids:
            if (hit := self._items.get(i)) is not None:
                found[i] = hit
            else:
                missing.append(i)
        if missing:
            found.update(await self._run(self._read_items, missing))
        return found

    def _update_balance(self, row: dict[str, Any]) -> None:
        """One balance changed: in its second unit too only when that changes (most balances
        are in one unit; the extra SET cost a write a tenth of its statements' time)."""
        if row.get("delta2"):
            self._exec("update_balance_two_units", row)
        else:
            self._exec(
                "update_balance", {"item_id": row["item_id"], "location_id": row["location_id"], "delta": row["delta"]}
            )

    def _read_items(self, ids: list[str]) -> dict[str, BaseModel]:
        out: dict[str, BaseModel] = {}
        for r in self._nodes("get_items", {"ids": ids}):
            out[r["id"]] = self._items.put(r["id"], M.item(r))
        return out

    async def page(
        self,
        kind: ReadKind,
        after: str | None,
        first: int,
        filt: ItemFilter | None = None,
    ) -> list[BaseModel]:
        params: dict[str, Any] = {"after": after or "", "first": first}
        if kind == "Item":
            params |= M.item_page_params(filt)
        rows = await self._run(self._nodes, f"page_{_PLURAL[kind]}", params)
        return [M.READERS[kind](r) for r in rows]

    async def characteristic_page(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]:
        params = M.characteristic_page_params(filt, after, first)
        return [M.item(r) for r in await self._run(self._nodes, "page_items_by_characteristic", params)]

    async def balances(
        self,
        filt: BalanceFilter,
        after: str | None = None,
        first: int | None = None,
    ) -> list[Balance]:
        filt = await self.narrowed_by_expiry(filt)
        if filt.location_ids == [] or filt.material_ids == [] or filt.item_ids == []:
            return []
        if filt.item_ids is None:  # filters, order and page in the store
            rows = await self._run(self._exec, "balances_page", M.balance_page_params(filt, after, first, TOLERANCE))
            return [M.balance(r) for r in rows]
        return M.filter_balances(await self._run(self._balances_of_items, filt.item_ids), filt, after, first, TOLERANCE)

    async def count_locations(self) -> int:
        return int((await self._run(self._exec, "count_locations"))[0]["n"])

    async def stock_sums(
        self, pairs: Sequence[tuple[str, str]], material_ids: Sequence[str] | None, include_virtual: bool
    ) -> list[StockSum]:
        if not pairs or material_ids == []:
            return []
        if not include_virtual:  # from the index of stock per location (store/stockindex.py)
            return await self._run(self._links.stock.sums, pairs, material_ids)
        params = M.stock_sums_params(pairs, material_ids, include_virtual, TOLERANCE)
        return [M.stock_sum(r) for r in await self._run(self._exec, "stock_sums", params)]

    async def expiry_page(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int, dated: bool) -> list[Item]:
        params = M.expiry_params(filt, after, first, TOLERANCE)
        rows = await self._run(self._nodes, M.expiry_query(filt, dated), params)
        return [M.item(r) for r in rows]

    async def claim_expiry_notices(self, ids: Sequence[str], at: str) -> list[str]:
        return await self._run(self._claim_expiry_notices, list(dict.fromkeys(ids)), at) if ids else []

    def _claim_expiry_notices(self, ids: list[str], at: str) -> list[str]:
        # One writer thread and one process per data directory: nothing comes between the read
        # and the write.
        def claim() -> list[str]:
            known = {r["id"] for r in self._exec("get_expiry_notices", {"ids": ids})}
            fresh = [i for i in ids if i not in known]
            for i in fresh:
                self._exec("create_expiry_notice", {"id": i, "at": at})
            return fresh

        return self._transaction(claim)

    def _events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return {e.id: e for e in (self._events.event(r) for r in self._exec("get_events", {"ids": list(ids)}))}

    async def log_head(self) -> LogHead:
        return LogHead(self._log, self._seq)

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        rows = await self._run(self._exec, "event_seqs", {"ids": list(ids)})
        return {r["id"]: r["seq"] for r in rows}

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return await self._run(self._events_by_id, ids)

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        name, params = M.event_page_query(filt, after, first)
        rows = await self._run(self._exec, name, params)
        return [(r["seq"], self._events.event(r)) for r in rows]

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        """From the index: which events, in commit order; bodies not in the cache are read by id."""
        ids = {i: self._links.events_of(i) for i in item_ids}
        missing = sorted({e for events in ids.values() for e in events if self._events.get(e) is None})
        found = await self._run(self._events_by_id, missing) if missing else {}
        return {
            i: [found.get(e) or self._events.get(e) for e in events]  # type: ignore[misc]
            for i, events in ids.items()
        }

    # Lineage reads come from the in-memory index, without a query: read on the event loop, not
    # queued behind writes. The index changes only on the store's thread, after a commit.

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        return self._links.neighbours(ids, direction)

    async def walk(self, roots: Sequence[str], direction: Direction, max_depth: int | None = None) -> Walk:
        return breadth_first(roots, direction, max_depth, lambda ids: self._links.neighbours(ids, direction))

    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]:
        rows = await self._run(self._exec, "get_recalls", {"ids": list(ids)})
        return {r.id: r for r in map(M.recall, rows)}

    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]:
        rows = await self._run(self._exec, "page_recalls", M.recall_page_params(after, first, status))
        return [M.recall(r) for r in rows]

    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        return self._links.links(ids, direction)

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        rows = await self._run(self._nodes_f, {"after": after or "", "first": first})
        return [M.finding(r) for r in rows]

    def _nodes_f(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [M.clean(row["f"]) for row in self._exec("findings_page", params)]

    async def integrity(self) -> IntegrityReport:
        return await self._run(self._integrity)

    def _integrity(self) -> IntegrityReport:
        report = IntegrityReport(
            items=self._exec("count_items")[0]["n"],
            events=self._exec("count_events")[0]["n"],
            imbalances=[
                Imbalance(r["item_id"], r["total"], r["total2"])
                for r in self._exec("check_conservation", {"tolerance": TOLERANCE})
            ],
        )
        for name in sorted(self.q):
            if name.startswith("check_") and name != "check_conservation":
                report.dangling += [r["problem"] for r in self._exec(name)]
        after = ""
        while True:
            page = [M.finding(M.clean(r["f"])) for r in self._exec("findings_page", {"after": after, "first": 1000})]
            report.findings += page
            if len(page) < 1000:
                break
            after = page[-1].id
        return report

    # -- EPCIS ------------------------------------------------------------------------------

    async def save_capture(self, job: CaptureJob) -> None:
        await self._run(self._exec, "create_capture_job", M.capture_props(job))

    async def capture(self, capture_id: str) -> CaptureJob | None:
        rows = await self._run(self._nodes, "get_capture_job", {"id": capture_id})
        return M.capture(rows[0]) if rows else None

    async def capture_page(self, after: str | None, first: int) -> list[CaptureJob]:
        rows = await self._run(self._nodes, "page_capture_jobs", {"after": after or "", "first": first})
        return [M.capture(r) for r in rows]

    async def alias_page(self, after: str | None, first: int) -> list[tuple[str, str]]:
        rows = await self._run(self._exec, "page_aliases", {"after": after or "", "first": first})
        return [(r["id"], r["item_id"]) for r in rows]

    def _aliases(self, keys: Sequence[str]) -> dict[str, str]:
        return {r["id"]: r["item_id"] for r in self._exec("get_aliases", {"ids": list(keys)})}

    async def aliases(self, keys: Sequence[str]) -> dict[str, str]:
        return await self._run(self._aliases, keys) if keys else {}

    def _add_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        # One writer thread: nothing can come between this read and the write.
        def add() -> dict[str, str]:
            known = self._aliases(sorted(aliases))
            fresh = [{"id": k, "item_id": v} for k, v in aliases.items() if k not in known]
            if fresh:
                self._exec("create_aliases", {"rows": fresh})
            return {**aliases, **known}

        return self._transaction(add)

    async def add_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        return await self._run(self._add_aliases, aliases) if aliases else {}

    # -- authentication ---------------------------------------------------------------------

    async def save_api_key(self, key: ApiKey) -> None:
        await self._run(self._exec, "create_api_key", M.api_key_props(key))

    async def api_key_by_hash(self, hash: str) -> ApiKey | None:
        rows = await self._run(self._exec, "api_key_by_hash", {"hash": hash})
        return M.api_key(rows[0]) if rows else None

    async def api_key(self, key_id: str) -> ApiKey | None:
        rows = await self._run(self._exec, "api_key_by_id", {"id": key_id})
        return M.api_key(rows[0]) if rows else None

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        if organization_id is None:
            rows = await self._run(self._exec, "admin_api_keys", {})
        else:
            rows = await self._run(self._exec, "api_keys_of_organization", {"organization_id": organization_id})
        return [M.api_key(r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        return bool(await self._run(self._exec, "revoke_api_key", {"id": key_id}))

    async def append_audit(self, entry: AuditEntry) -> None:
        await self._run(self._exec, "append_audit", M.audit_props(entry))

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        params: dict[str, Any] = {"after": after or "", "first": first}
        name = "audit_page"
        if organization_id is not None:
            name, params["organization_id"] = "audit_page_of_organization", organization_id
        rows = await self._run(self._exec, name, params)
        return [M.audit(r) for r in rows]

    async def save_recall_notice(self, notice: RecallNotice) -> None:
        await self._run(self._exec, "save_recall_notice", M.recall_notice_props(notice))

    async def recall_notices(self, ids: Sequence[str]) -> dict[str, RecallNotice]:
        if not ids:
            return {}
        rows = await self._run(self._exec, "get_recall_notices", {"ids": list(ids)})
        return {n.id: n for n in map(M.recall_notice, rows)}

    async def recall_notice_page(
        self, organization_id: str | None, after: RecallNotice | None, first: int
    ) -> list[RecallNotice]:
        rows = await self._run(
            self._exec, "page_recall_notices", M.recall_notice_page_params(organization_id, after, first)
        )
        return [M.recall_notice(r) for r in rows]

    async def save_share(self, share: Share) -> None:
        await self._run(self._exec, "save_share", M.share_props(share))

    async def shares_with(self, organization_id: str) -> list[Share]:
        rows = await self._run(self._exec, "shares_with", {"organization_id": organization_id})
        return [M.share(r) for r in rows]

    async def rename_organization(self, organization_id: str, name: str) -> bool:
        return bool(await self._run(self._exec, "rename_organization", {"id": organization_id, "name": name}))

    async def composition_lists_of(self, material_ids: Sequence[str]) -> list[CompositionList]:
        if not material_ids:
            return []
        rows = await self._run(self._nodes, "composition_lists_of_materials", {"ids": sorted(set(material_ids))})
        return sorted((M.composition_list(r) for r in rows), key=lambda c: c.id)

    async def set_allowed_materials(self, item_id: str, material_ids: list[str] | None) -> bool:
        params = {"id": item_id, "allowed_material_ids": M.allowed_materials_prop(material_ids)}

        def write() -> bool:  # on the store's thread, in order with the reads of the item cache
            done = bool(self._exec("set_allowed_materials", params))
            self._items.pop(item_id, None)
            return done

        return await self._run(write)


# Each bulk statement's table, and for a relationship table the row keys of its two ends.
_COPY_TABLES: dict[str, tuple[str, tuple[str, str] | None]] = {
    "create_items": ("Item", None),
    "create_serial_keys": ("SerialKey", None),
    "create_events": ("Event", None),
    "merge_shipments": ("Shipment", None),
    "create_findings": ("Finding", None),
    "create_balances": ("AT", ("item_id", "location_id")),
    "create_links": ("FLOWS_TO", ("source_id", "target_id")),
    "touch": ("TOUCHED", ("event_id", "item_id")),
}
# Row keys named otherwise than the table's property, and properties a row leaves out (the
# Cypher statement sets them; any other property a row lacks is null, as `record` leaves it).
_COPY_RENAMES = {"create_balances": {"quantity": "delta", "quantity2": "delta2"}}
_COPY_DEFAULTS = {"create_links": {"voided": False}}


def _csv_value(value: Any) -> Any:
    """CSV text of a value: None is empty (null), booleans `true`/`false`. An empty string
    reads back as null too: the one way a bulk load differs from `record`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return value


class _Spool:
    """One CSV file per table, its columns in the table's order, copied in at the end."""

    def __init__(self, folder: Path, conn: ladybug.Connection):
        self.folder = folder
        self.conn = conn
        self.files: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}
        self.columns: dict[str, list[str]] = {}

    def _table_columns(self, table: str) -> list[str]:
        result = self.conn.execute(f"CALL table_info('{table}') RETURN *")
        assert not isinstance(result, list)
        names = []
        for row in result.get_all():
            assert isinstance(row, list), "rows come as lists (the result's as_dict is off)"
            names.append(row[1])
        result.close()
        return names

    def add(self, name: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if name not in self.writers:
            table, ends = _COPY_TABLES[name]
            renames = _COPY_RENAMES.get(name, {})
            self.columns[name] = [*(ends or ()), *(renames.get(c, c) for c in self._table_columns(table))]
            f = open(self.folder / f"{table}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
            self.files[name] = f
            self.writers[name] = csv.writer(f, lineterminator="\n")
        columns = self.columns[name]
        defaults = _COPY_DEFAULTS.get(name, {})
        self.writers[name].writerows([_csv_value(r[c] if c in r else defaults.get(c)) for c in columns] for r in rows)

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def copy_all(self) -> None:
        self.close()
        for name in _COPY_TABLES:  # nodes before the relationships that join them
            if name in self.files:
                table = _COPY_TABLES[name][0]
                path = str(self.folder / f"{table}.csv").replace("'", "\\'")
                # parallel=false: the reader that takes line breaks inside quoted values.
                self.conn.execute(f"COPY {table} FROM '{path}' (header=false, parallel=false)")
