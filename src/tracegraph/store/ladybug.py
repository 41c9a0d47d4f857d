"""The embedded store: Ladybug, one directory on disk, in the process.

Ladybug's calls block and it takes one writer at a time, so every call runs on one
dedicated thread, off the event loop, in the order it was made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import ladybug
from pydantic import BaseModel

from ..domain import errors as E
from ..domain.errors import DomainError, Problem
from ..domain.audit import AuditEntry
from ..domain.auth import ApiKey, Share
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, Source
from ..domain.ledger import LedgerState, StateKeys, batch_keys, plan_batch
from ..domain.recall import Recall
from ..domain.trace import LineageLink
from ..domain.models import VIRTUAL_LOCATIONS, Balance, Location, LocationKind
from . import mapping as M
from .cypher import catalog
from .port import (
    BalanceFilter,
    CaptureJob,
    Direction,
    EventFilter,
    GraphStore,
    Imbalance,
    IntegrityReport,
    ItemFilter,
    MasterKind,
    ReadKind,
)

T = TypeVar("T")

_PLURAL = {"Organization": "organizations", "Material": "materials", "Location": "locations",
           "Order": "orders", "Item": "items", "Shipment": "shipments"}
TOLERANCE = 1e-6
# Up to this many rows, a write runs row by row rather than as one UNWIND (see write.cypher).
_ROW_BY_ROW = 64


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

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _exec(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert self._conn is not None, "store is not open"
        result = self._conn.execute(self.q[name], params or {})
        assert not isinstance(result, list)
        columns = result.get_column_names()
        rows = [dict(zip(columns, row, strict=True)) for row in result.get_all()]
        result.close()
        return rows

    def _balances_of_items(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        return [row for item_id in ids for row in self._exec("balances_of_item", {"id": item_id})]

    def _nodes(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [M.clean(row["n"]) for row in self._exec(name, params)]

    def _transaction(self, fn: Callable[[], T]) -> T:
        assert self._conn is not None
        seq = self._seq
        self._conn.execute("BEGIN TRANSACTION")
        try:
            out = fn()
        except BaseException:
            self._seq = seq
            try:
                self._conn.execute("ROLLBACK")
            except RuntimeError:
                pass  # a failed statement has rolled the transaction back already
            raise
        self._conn.execute("COMMIT")
        return out

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = ladybug.Database(str(self.path / "graph.lbug"), max_num_threads=1)
        self._conn = ladybug.Connection(self._db)
        for name, statement in self.q.items():
            if name.startswith(("table_", "rel_", "alter_")):
                self._conn.execute(statement)
        for kind, loc_id in VIRTUAL_LOCATIONS.items():
            loc = Location(id=loc_id, name=kind.value.replace("_", " ").lower(), kind=LocationKind.VIRTUAL,
                           virtual=kind)
            self._exec("merge_locations", {"rows": [M.location_props(loc)]})
        self._seq = self._exec("max_seq")[0]["value"] or 0

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
        return await self._run(self._transaction, lambda: self._record(list(commands), source))

    def _record(self, cmds: list[EventCommand], source: Source) -> list[LedgerEntry]:
        reversed_events = self._events_by_id(sorted({c.reverses for c in cmds if c.reverses}))
        state = self._load(batch_keys(cmds, reversed_events), {c.reverses for c in cmds if c.reverses})
        existing, existing_serials = set(state.balances), set(state.serials)
        entries = plan_batch(cmds, state, source=source)
        rows = M.write_rows(entries, state, self._seq, existing, existing_serials)
        for name in M.WRITE_ORDER:
            single = "update_balance" if name == "update_balances" else f"{name}_row"
            if rows[name] and (len(rows[name]) <= _ROW_BY_ROW or name == "update_balances") and single in self.q:
                for row in rows[name]:
                    self._exec(single, row)
            elif rows[name]:
                self._exec(name, {"rows": rows[name]})
        self._seq += len(rows["create_events"])
        return entries

    def _load(self, keys: StateKeys, reversal_targets: set[str]) -> LedgerState:
        state = LedgerState()
        ids = sorted(keys.item_ids)
        state.items = {r["id"]: M.item(r) for r in self._nodes("get_items", {"ids": ids})}
        known = sorted(state.items)
        material_ids = sorted(keys.material_ids | {i.material_id for i in state.items.values() if i.material_id})
        state.materials = {r["id"]: M.material(r) for r in self._nodes("get_materials", {"ids": material_ids})}
        state.locations = {r["id"]: M.location(r)
                           for r in self._nodes("get_locations", {"ids": sorted(keys.location_ids)})}
        for row in self._balances_of_items(known):
            state.balances[(row["item_id"], row["location_id"])] = row["quantity"]
        # Balances name locations the command did not: load them, so virtual ones are known.
        missing = sorted({loc for _, loc in state.balances} - set(state.locations))
        if missing:
            state.locations.update({r["id"]: M.location(r) for r in self._nodes("get_locations", {"ids": missing})})
        if keys.serials:
            serial_ids = [M.balance_id(m, n) for m, n in keys.serials]
            for row in self._exec("get_serial_keys", {"ids": serial_ids}):
                material_id, number = row["id"].split(" ", 1)
                state.serials[(material_id, number)] = row["item_id"]
        if keys.event_ids:
            state.events = self._events_by_id(sorted(keys.event_ids))
        if reversal_targets:
            state.reversed_ids = {r["id"] for r in self._exec("reversed_events", {"ids": sorted(reversal_targets)})}
        return state

    async def create(self, kind: MasterKind, model: BaseModel) -> None:
        await self._run(self._create, kind, model)

    def _create(self, kind: MasterKind, model: BaseModel) -> None:
        plural = _PLURAL[kind]
        if self._nodes(f"get_{plural}", {"ids": [model.id]}):  # type: ignore[attr-defined]
            raise DomainError(Problem("id", f"{kind.lower()} {model.id} already exists",  # type: ignore[attr-defined]
                                      E.ALREADY_EXISTS))
        self._exec(f"create_{kind.lower()}", M.WRITERS[kind](model))  # type: ignore[arg-type]

    async def save_recall(self, recall: Recall) -> None:
        await self._run(self._exec, "save_recall", M.recall_props(recall))

    # -- reads ------------------------------------------------------------------------------

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]:
        rows = await self._run(self._nodes, f"get_{_PLURAL[kind]}", {"ids": list(ids)})
        return {r["id"]: M.READERS[kind](r) for r in rows}

    async def page(self, kind: ReadKind, after: str | None, first: int, filt: ItemFilter | None = None,
                   ) -> list[BaseModel]:
        params: dict[str, Any] = {"after": after or "", "first": first}
        if kind == "Item":
            f = filt or ItemFilter()
            params |= {"material_id": f.material_id or "", "kind": f.kind or "", "status": f.status or ""}
        rows = await self._run(self._nodes, f"page_{_PLURAL[kind]}", params)
        return [M.READERS[kind](r) for r in rows]

    async def balances(self, filt: BalanceFilter, after: str | None = None, first: int | None = None,
                       ) -> list[Balance]:
        if filt.location_ids == [] or filt.material_ids == [] or filt.item_ids == []:
            return []
        if filt.item_ids is None:  # filters, order and page in the store
            rows = await self._run(self._exec, "balances_page", M.balance_page_params(filt, after, first, TOLERANCE))
            return [M.balance(r) for r in rows]
        return M.filter_balances(await self._run(self._balances_of_items, filt.item_ids), filt, after, first,
                                 TOLERANCE)

    def _events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return {e.id: e for e in (M.event(r) for r in self._exec("get_events", {"ids": list(ids)}))}

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        rows = await self._run(self._exec, "event_seqs", {"ids": list(ids)})
        return {r["id"]: r["seq"] for r in rows}

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return await self._run(self._events_by_id, ids)

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        name, params = M.event_page_query(filt, after, first)
        rows = await self._run(self._exec, name, params)
        return [(r["seq"], M.event(r)) for r in rows]

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        rows = await self._run(self._exec, "events_of_items", {"ids": list(item_ids)})
        out: dict[str, list[EventRecord]] = {i: [] for i in item_ids}
        for r in rows:
            out[r["item_id"]].append(M.event(r))
        return out

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        name = "neighbours_forward" if direction is Direction.FORWARD else "neighbours_backward"
        rows = await self._run(self._exec, name, {"ids": list(ids)})
        return [(r["source"], r["target"]) for r in rows]

    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]:
        rows = await self._run(self._exec, "get_recalls", {"ids": list(ids)})
        return {r.id: r for r in map(M.recall, rows)}

    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]:
        rows = await self._run(self._exec, "page_recalls", M.recall_page_params(after, first, status))
        return [M.recall(r) for r in rows]

    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        name = "links_forward" if direction is Direction.FORWARD else "links_backward"
        rows = await self._run(self._exec, name, {"ids": list(ids)})
        return [M.lineage_link(r) for r in rows]

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        rows = await self._run(self._nodes_f, {"after": after or "", "first": first})
        return [M.finding(r) for r in rows]

    def _nodes_f(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [M.clean(row["f"]) for row in self._exec("findings_page", params)]

    async def integrity(self) -> IntegrityReport:
        return await self._run(self._integrity)

    def _integrity(self) -> IntegrityReport:
        report = IntegrityReport(
            items=self._exec("count_items")[0]["n"], events=self._exec("count_events")[0]["n"],
            imbalances=[Imbalance(r["item_id"], r["total"])
                        for r in self._exec("check_conservation", {"tolerance": TOLERANCE})],
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

    async def save_share(self, share: Share) -> None:
        await self._run(self._exec, "save_share", M.share_props(share))

    async def shares_with(self, organization_id: str) -> list[Share]:
        rows = await self._run(self._exec, "shares_with", {"organization_id": organization_id})
        return [M.share(r) for r in rows]

    async def rename_organization(self, organization_id: str, name: str) -> bool:
        return bool(await self._run(self._exec, "rename_organization", {"id": organization_id, "name": name}))
