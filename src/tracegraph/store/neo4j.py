"""The production store: Neo4j 5 over Bolt, with the official async driver.

Reads run in `execute_read`, writes in `execute_write` (never `driver.execute_query`: a
round trip of its own per statement). The schema (uniqueness constraints and indexes, each
`IF NOT EXISTS`) is applied at `open()`.

Recording a batch is one write transaction:
1. lock the ledger: a write on the `Counter` node, so concurrent writers (several server
   instances) queue there and each plans on what the previous one committed;
2. read everything the batch needs and plan every event of it (`plan_batch`), refusing the
   whole batch with a `DomainError` before anything is written (the transaction rolls back,
   lock included);
3. take a block of commit sequence numbers from the counter and write the batch, one
   UNWIND statement per kind of change.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, AsyncSession, Bookmarks
from neo4j.exceptions import (
    ClientError,
    ConstraintError,
    IncompleteCommit,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from pydantic import BaseModel

from ..domain import consistency
from ..domain import errors as E
from ..domain.actions import DEFAULT_ACTION_TYPES
from ..domain.audit import AuditEntry
from ..domain.auth import ApiKey, Share
from ..domain.composition import CompositionList
from ..domain.consistency import InvalidConsistencyToken
from ..domain.errors import DomainError, Problem, StoreUnavailable
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, LogHead, Source, numbered
from ..domain.ledger import LedgerState, StateKeys, batch_keys, classification_ids_of, plan_batch
from ..domain.models import DEFAULT_CLASSIFICATIONS, VIRTUAL_LOCATIONS, Balance, Item, Location, LocationKind
from ..domain.recall import Recall, RecallNotice
from ..domain.stock import StockSum, roots_by_location
from ..domain.trace import LineageLink
from . import rows as M
from .bulk import EVENT_STATEMENTS, BulkReport, BulkRows
from .cypher import catalog
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
    version_to_record,
)

T = TypeVar("T")
Rows = list[dict[str, Any]]

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
FINDINGS_PAGE = 1000
BULK_ROWS = 5000  # rows per UNWIND statement of a bulk load


_COLLECTED = re.compile(r"\bRETURN collect\(.*\) AS rows$", re.DOTALL)


def _strip_comments(query: str) -> str:
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("//")).strip()


def _exists(kind: str, model_id: str) -> DomainError:
    return DomainError(Problem("id", f"{kind.lower()} {model_id} already exists", E.ALREADY_EXISTS))


# What the driver raises when the server does not answer (down, restarting, a lost connection)
# or is too busy past the retries: StoreUnavailable to the services.
SERVER_GONE = (ServiceUnavailable, SessionExpired, TransientError, IncompleteCommit, OSError)
# What the server says of bookmarks it cannot parse (a client's consistency token it never gave).
BAD_BOOKMARK = ("Neo.ClientError.Transaction.InvalidBookmark", "Neo.ClientError.Transaction.InvalidBookmarkMixture")


class Neo4jStore(GraphStore):
    name = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str | None = None,
        connection_timeout: float = 30.0,
        retry_seconds: float = 5.0,
        max_pool_size: int = 100,
    ):
        self.uri = uri
        self.connection_timeout = connection_timeout
        self.retry_seconds = retry_seconds
        self.max_pool_size = max_pool_size
        self._bookmarks = AsyncGraphDatabase.bookmark_manager()
        self.auth = (user, password)
        self.database = database or None
        self.q = {name: _strip_comments(text) for name, text in catalog("neo4j").items()}
        self._collected = {name for name, text in self.q.items() if _COLLECTED.search(text)}
        self._driver: AsyncDriver | None = None
        self._events = M.EventCache()

    # -- plumbing ---------------------------------------------------------------------------

    def _session(self) -> AsyncSession:
        if self._driver is None:
            raise RuntimeError("store is not open")
        # Every session of this process shares one bookmark manager: a read after a write, on
        # any session, waits for that write on whichever cluster member serves it (causal
        # consistency, read-your-writes across requests to this instance). The bookmarks a
        # client sent back (domain/consistency.py) are waited for too: its writes through
        # other instances.
        sent = consistency.current()
        return self._driver.session(
            database=self.database,
            bookmark_manager=self._bookmarks,
            bookmarks=Bookmarks.from_raw_values(sent.after) if sent is not None and sent.after else None,
        )

    async def _run(self, tx: AsyncManagedTransaction, name: str, params: dict[str, Any] | None = None) -> Rows:
        """The rows of a named query; those that collect their rows in one record (a single
        column named `rows`: see read.cypher) are unpacked."""
        result = await tx.run(self.q[name], params or {})
        if name in self._collected:
            record = await result.single(strict=True)
            return list(record["rows"])
        return await result.data()

    async def _read_tx(self, fn: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        return await self._transaction(fn, write=False)

    async def _write_tx(self, fn: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        return await self._transaction(fn, write=True)

    async def _transaction(self, fn: Callable[[AsyncManagedTransaction], Awaitable[T]], write: bool) -> T:
        """A managed transaction, retried by the driver on transient errors for up to
        `retry_seconds`; past that, or with the server gone, StoreUnavailable. A write whose
        commit may or may not have happened (the connection lost during COMMIT) is reported the
        same way: its events carry their ids, so sending it again records it once."""
        try:
            async with self._session() as session:
                if not write:
                    return await session.execute_read(fn)
                out = await session.execute_write(fn)
                if (request := consistency.current()) is not None:  # its bookmarks go back to the client
                    request.written = frozenset((await session.last_bookmarks()).raw_values)
                return out
        except SERVER_GONE as exc:
            raise StoreUnavailable(f"Neo4j does not answer now: retry in a few seconds ({type(exc).__name__})") from exc
        except ClientError as exc:
            if exc.code in BAD_BOOKMARK:
                raise InvalidConsistencyToken("it names no bookmark Neo4j knows") from exc
            raise

    async def _read(self, name: str, params: dict[str, Any] | None = None) -> Rows:
        return await self._read_tx(lambda tx: self._run(tx, name, params))

    async def _nodes(self, tx: AsyncManagedTransaction, name: str, params: dict[str, Any], key: str = "n") -> Rows:
        return [M.clean(row[key]) for row in await self._run(tx, name, params)]

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        self._driver = AsyncGraphDatabase.driver(
            self.uri,
            auth=self.auth,
            connection_timeout=self.connection_timeout,
            connection_acquisition_timeout=max(self.connection_timeout, self.retry_seconds),
            max_transaction_retry_time=self.retry_seconds,
            max_connection_pool_size=self.max_pool_size,
            # The server's notes on queries (a property no node has yet, say) are no news to
            # the operator: the queries are linted with Neo4j's parser in the tests.
            notifications_min_severity="OFF",
        )
        try:
            found = await self._read("get_schema_version")  # before anything is changed
            version = version_to_record(found[0]["version"] if found else None)
            await self._apply_schema()
            virtual = [
                M.location_props(
                    Location(
                        id=loc_id, name=kind.value.replace("_", " ").lower(), kind=LocationKind.VIRTUAL, virtual=kind
                    )
                )
                for kind, loc_id in VIRTUAL_LOCATIONS.items()
            ]

            builtin = [M.classification_props(c) for c in DEFAULT_CLASSIFICATIONS.values()]
            action_types = [M.action_type_props(t) for t in DEFAULT_ACTION_TYPES.values()]

            async def bootstrap(tx: AsyncManagedTransaction) -> None:
                await self._run(tx, "merge_locations", {"rows": virtual})
                await self._run(tx, "merge_classifications", {"rows": builtin})
                await self._run(tx, "merge_action_types", {"rows": action_types})
                await self._run(tx, "init_counter")
                await self._run(tx, "set_schema_version", {"version": version})

            await self._write_tx(bootstrap)
        except BaseException:
            await self.close()
            raise

    async def _apply_schema(self) -> None:
        """Every constraint and index, each in a transaction of its own (Neo4j runs no schema
        change in a transaction that writes data)."""
        async with self._session() as session:
            for name, statement in self.q.items():
                if name.startswith(("constraint_", "index_")):
                    await (await session.run(statement)).consume()

    async def close(self) -> None:
        if self._driver is not None:
            driver, self._driver = self._driver, None
            await driver.close()

    async def ping(self) -> None:
        await self._read("ping")

    # -- writes -----------------------------------------------------------------------------

    async def record(self, commands: Sequence[EventCommand], source: Source) -> list[LedgerEntry]:
        cmds = list(commands)
        if not cmds:
            return []
        return await self._write_tx(lambda tx: self._record(tx, cmds, source))

    async def _record(
        self,
        tx: AsyncManagedTransaction,
        cmds: list[EventCommand],
        source: Source,
    ) -> list[LedgerEntry]:
        await self._run(tx, "lock_ledger", {"token": uuid.uuid4().hex})
        # Every read and every check of the whole batch before its first write.
        reversed_ids = sorted({c.reverses for c in cmds if c.reverses})
        reversed_events = await self._events_by_id(tx, reversed_ids) if reversed_ids else {}
        state = await self._load(tx, batch_keys(cmds, reversed_events))
        existing, existing_serials = set(state.balances), set(state.serials)
        entries = plan_batch(cmds, state, source=source)  # DomainError: nothing written
        fresh = sum(1 for e in entries if not e.duplicate)
        if fresh:
            top = (await self._run(tx, "allocate_seqs", {"count": fresh}))[0]["value"]
            rows = M.write_rows(entries, state, top - fresh, existing, existing_serials)
            for name in M.WRITE_ORDER:
                if rows[name]:
                    await self._run(tx, name, {"rows": rows[name]})
            entries = numbered(entries, top - fresh)
        return entries

    async def _load(self, tx: AsyncManagedTransaction, keys: StateKeys) -> LedgerState:
        state = LedgerState()
        if keys.item_ids:
            state.items = {
                r["id"]: M.item(r) for r in await self._nodes(tx, "get_items", {"ids": sorted(keys.item_ids)})
            }
        if keys.composition_ids:
            state.compositions = {
                r["id"]: M.composition_list(r)
                for r in await self._nodes(tx, "get_composition_lists", {"ids": sorted(keys.composition_ids)})
            }
        material_ids = sorted(
            keys.material_ids
            | {i.material_id for i in state.items.values() if i.material_id}
            | {m for c in state.compositions.values() for m in c.materials}
        )
        if material_ids:
            state.materials = {
                r["id"]: M.material(r) for r in await self._nodes(tx, "get_materials", {"ids": material_ids})
            }
        state.locations = {
            r["id"]: M.location(r) for r in await self._nodes(tx, "get_locations", {"ids": sorted(keys.location_ids)})
        }
        classification_ids = classification_ids_of(keys, state.items, state.materials)
        if classification_ids:
            state.classifications = {
                r["id"]: M.classification(r)
                for r in await self._nodes(tx, "get_classifications", {"ids": classification_ids})
            }
        if keys.action_type_ids:
            state.action_types = {
                r["id"]: M.action_type(r)
                for r in await self._nodes(tx, "get_action_types", {"ids": sorted(keys.action_type_ids)})
            }
        if state.items:
            for row in await self._run(tx, "balances_of_items", {"ids": sorted(state.items)}):
                state.balances[(row["item_id"], row["location_id"])] = row["quantity"]
                if row.get("quantity2"):
                    state.second_balances[(row["item_id"], row["location_id"])] = row["quantity2"]
        # Balances name locations the commands did not: load them, so virtual ones are known.
        missing = sorted({loc for _, loc in state.balances} - set(state.locations))
        if missing:
            state.locations.update(
                {r["id"]: M.location(r) for r in await self._nodes(tx, "get_locations", {"ids": missing})}
            )
        if keys.serials:
            serial_ids = sorted(M.balance_id(m, n) for m, n in keys.serials)
            for row in await self._run(tx, "get_serial_keys", {"ids": serial_ids}):
                material_id, number = row["id"].split(" ", 1)
                state.serials[(material_id, number)] = row["item_id"]
        if keys.event_ids:
            ids = sorted(keys.event_ids)
            state.events = await self._events_by_id(tx, ids)
            state.reversed_ids = {r["id"] for r in await self._run(tx, "reversed_events", {"ids": ids})}
        return state

    async def load_state(self, keys: StateKeys) -> LedgerState:
        return await self._read_tx(lambda tx: self._load(tx, keys))

    async def bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport:
        """Plan every entry first (a refusal writes nothing), then one write transaction of
        large UNWIND statements (BULK_ROWS rows each)."""
        rows = BulkRows(state)
        per_event: dict[str, Rows] = {name: [] for name in EVENT_STATEMENTS}
        for one in rows.event_rows(entries, 1):  # numbered from 1 here, moved past the counter below
            for name, batch in one.items():
                per_event[name] += batch
        if not per_event["create_events"]:
            return rows.report

        async def write(tx: AsyncManagedTransaction) -> BulkReport:
            await self._run(tx, "lock_ledger", {"token": uuid.uuid4().hex})
            event_ids = [r["id"] for r in per_event["create_events"]]
            item_ids = sorted(rows.new_ids)
            for name, ids, what in (
                ("bulk_existing_events", event_ids, "event"),
                ("bulk_existing_items", item_ids, "item"),
            ):
                for start in range(0, len(ids), BULK_ROWS):
                    found = await self._run(tx, name, {"ids": ids[start : start + BULK_ROWS]})
                    if found:
                        raise DomainError(
                            Problem(
                                None,
                                f"{what} {found[0]['id']} exists already: a bulk load "
                                "creates new events and items only",
                                E.ALREADY_EXISTS,
                            )
                        )
            touched = rows.touched_existing_items()
            existing = {
                (r["item_id"], r["location_id"])
                for r in (await self._run(tx, "balances_of_items", {"ids": touched}) if touched else [])
            }
            final = rows.final_rows(existing)
            count = len(event_ids)
            offset = (await self._run(tx, "allocate_seqs", {"count": count}))[0]["value"] - count
            batches = {
                **final,
                **per_event,
                "create_events": [{**r, "seq": r["seq"] + offset} for r in per_event["create_events"]],
            }
            for name in M.WRITE_ORDER:
                todo = batches[name]
                for start in range(0, len(todo), BULK_ROWS):
                    await self._run(tx, name, {"rows": todo[start : start + BULK_ROWS]})
            return rows.report

        return await self._write_tx(write)

    async def create(self, kind: MasterKind, model: BaseModel) -> None:
        model_id: str = model.id  # type: ignore[attr-defined]

        async def create(tx: AsyncManagedTransaction) -> None:
            if await self._run(tx, f"get_{_PLURAL[kind]}", {"ids": [model_id]}):
                raise _exists(kind, model_id)
            await self._run(tx, f"create_{kind.lower()}", M.WRITERS[kind](model))

        try:
            await self._write_tx(create)
        except ConstraintError as exc:  # a concurrent create of the same id won
            raise _exists(kind, model_id) from exc

    async def update(self, kind: MasterKind, model: BaseModel) -> None:
        model_id: str = model.id  # type: ignore[attr-defined]

        async def update(tx: AsyncManagedTransaction) -> None:
            if not await self._run(tx, f"update_{kind.lower()}", M.WRITERS[kind](model)):
                raise DomainError(Problem("id", f"unknown {kind.lower()} {model_id}", E.NOT_FOUND))

        await self._write_tx(update)

    async def save_recall(self, recall: Recall) -> None:
        props = M.recall_props(recall)
        await self._write_tx(lambda tx: self._run(tx, "save_recall", props))

    # -- reads ------------------------------------------------------------------------------

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]:
        if not ids:
            return {}
        rows = await self._read_tx(lambda tx: self._nodes(tx, f"get_{_PLURAL[kind]}", {"ids": list(ids)}))
        return {r["id"]: M.READERS[kind](r) for r in rows}

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
        rows = await self._read_tx(lambda tx: self._nodes(tx, f"page_{_PLURAL[kind]}", params))
        return [M.READERS[kind](r) for r in rows]

    async def characteristic_page(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]:
        params = M.characteristic_page_params(filt, after, first)
        rows = await self._read_tx(lambda tx: self._nodes(tx, "page_items_by_characteristic", params))
        return [M.item(r) for r in rows]

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
            rows = await self._read("balances_page", M.balance_page_params(filt, after, first, TOLERANCE))
            return [M.balance(r) for r in rows]
        rows = await self._read("balances_of_items", {"ids": list(filt.item_ids)})
        return M.filter_balances(rows, filt, after, first, TOLERANCE)

    async def count_locations(self) -> int:
        return int((await self._read("count_locations", {}))[0]["n"])

    async def stock_sums(
        self, pairs: Sequence[tuple[str, str]], material_ids: Sequence[str] | None, include_virtual: bool
    ) -> list[StockSum]:
        if not pairs or material_ids == []:
            return []
        params = M.stock_sums_params(pairs, material_ids, include_virtual, TOLERANCE)
        if material_ids is not None:  # by material, through the relationship index
            roots_of = roots_by_location(pairs)
            params = {**params, "location_ids": sorted(roots_of), "roots_of": roots_of}
            return [M.stock_sum(r) for r in await self._read("stock_sums_of_materials", params)]
        return [M.stock_sum(r) for r in await self._read("stock_sums", params)]

    async def expiry_page(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int, dated: bool) -> list[Item]:
        params = M.expiry_params(filt, after, first, TOLERANCE)
        rows = await self._read_tx(lambda tx: self._nodes(tx, M.expiry_query(filt, dated), params))
        return [M.item(r) for r in rows]

    async def claim_expiry_notices(self, ids: Sequence[str], at: str) -> list[str]:
        if not ids:
            return []
        params = {"ids": list(dict.fromkeys(ids)), "at": at, "token": uuid.uuid4().hex}
        try:
            claimed = set(await self._write_tx(lambda tx: self._run(tx, "claim_expiry_notices", params)))
        except ConstraintError:  # a concurrent claim of the same ids won the race: nothing claimed here
            return []
        return [i for i in params["ids"] if i in claimed]

    async def _events_by_id(self, tx: AsyncManagedTransaction, ids: Sequence[str]) -> dict[str, EventRecord]:
        """The events of `ids` that exist; only the bodies of those not parsed before are read
        (an event never changes once recorded)."""
        out = {i: e for i in ids if (e := self._events.get(i)) is not None}
        missing = [i for i in dict.fromkeys(ids) if i not in out]
        if missing:
            for r in await self._run(tx, "get_events", {"ids": missing}):
                out[r["event_id"]] = self._events.event(r)
        return out

    async def log_head(self) -> LogHead:
        row = (await self._read("log_head"))[0]
        return LogHead(row["log"], row["seq"])

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        return {r["id"]: r["seq"] for r in await self._read("event_seqs", {"ids": list(ids)})}

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        if not ids:
            return {}
        return await self._read_tx(lambda tx: self._events_by_id(tx, ids))

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        name, params = M.event_page_query(filt, after, first)
        rows = await self._read(name, params)
        return [(r["seq"], self._events.event(r)) for r in rows]

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        out: dict[str, list[EventRecord]] = {i: [] for i in item_ids}
        if not item_ids:
            return out

        async def read(tx: AsyncManagedTransaction) -> None:
            rows = await self._run(tx, "events_of_items", {"ids": list(dict.fromkeys(item_ids))})
            found = await self._events_by_id(tx, [r["event_id"] for r in rows])
            for r in rows:
                record = found[r["event_id"]]
                for item_id in r["items"]:
                    out[item_id].append(record)

        await self._read_tx(read)
        return out

    async def walk(self, roots: Sequence[str], direction: Direction, max_depth: int | None = None) -> Walk:
        """One round trip whatever the depth (`walk_*`: what the roots reach, by a pruning
        breadth-first expand in the server, and the links out of all of it, in one record); the
        walk's order and depths are then computed here, as `breadth_first` gives them."""
        if max_depth is not None or not roots:
            return await super().walk(roots, direction, max_depth)
        name = "walk_forward" if direction is Direction.FORWARD else "walk_backward"
        params = {"ids": list(dict.fromkeys(roots))}
        pairs = await self._read_tx(lambda tx: self._pairs(tx, name, params))
        step: dict[str, list[tuple[str, str]]] = {}
        for source, target in pairs:
            step.setdefault(source if direction is Direction.FORWARD else target, []).append((source, target))
        return breadth_first(roots, direction, None, lambda frontier: [p for i in frontier for p in step.get(i, [])])

    async def _pairs(self, tx: AsyncManagedTransaction, name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        record = await (await tx.run(self.q[name], params)).single(strict=True)
        return [(source, target) for source, target in record["pairs"]]

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        if not ids:
            return []
        name = "neighbours_forward" if direction is Direction.FORWARD else "neighbours_backward"
        return [(r["source"], r["target"]) for r in await self._read(name, {"ids": list(ids)})]

    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]:
        if not ids:
            return {}
        rows = await self._read("get_recalls", {"ids": list(ids)})
        return {r.id: r for r in map(M.recall, rows)}

    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]:
        params = M.recall_page_params(after, first, status)
        rows = await self._read("page_recalls", params)
        return [M.recall(r) for r in rows]

    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        if not ids:
            return []
        name = "links_forward" if direction is Direction.FORWARD else "links_backward"
        return [M.lineage_link(r) for r in await self._read(name, {"ids": list(ids)})]

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        params = {"after": after or "", "first": first}
        rows = await self._read_tx(lambda tx: self._nodes(tx, "findings_page", params, key="f"))
        return [M.finding(r) for r in rows]

    async def integrity(self) -> IntegrityReport:
        return await self._read_tx(self._integrity)

    async def _integrity(self, tx: AsyncManagedTransaction) -> IntegrityReport:
        report = IntegrityReport(
            items=(await self._run(tx, "count_items"))[0]["n"],
            events=(await self._run(tx, "count_events"))[0]["n"],
            imbalances=[
                Imbalance(r["item_id"], r["total"], r["total2"])
                for r in await self._run(tx, "check_conservation", {"tolerance": TOLERANCE})
            ],
        )
        for name in sorted(self.q):
            if name.startswith("check_") and name != "check_conservation":
                report.dangling += [r["problem"] for r in await self._run(tx, name)]
        after = ""
        while True:
            rows = await self._nodes(tx, "findings_page", {"after": after, "first": FINDINGS_PAGE}, key="f")
            page = [M.finding(r) for r in rows]
            report.findings += page
            if len(page) < FINDINGS_PAGE:
                break
            after = page[-1].id
        return report

    # -- EPCIS ------------------------------------------------------------------------------

    async def save_capture(self, job: CaptureJob) -> None:
        props = M.capture_props(job)
        await self._write_tx(lambda tx: self._run(tx, "create_capture_job", props))

    async def capture(self, capture_id: str) -> CaptureJob | None:
        rows = await self._read_tx(lambda tx: self._nodes(tx, "get_capture_job", {"id": capture_id}))
        return M.capture(rows[0]) if rows else None

    async def capture_page(self, after: str | None, first: int) -> list[CaptureJob]:
        params = {"after": after or "", "first": first}
        return [M.capture(r) for r in await self._read_tx(lambda tx: self._nodes(tx, "page_capture_jobs", params))]

    async def alias_page(self, after: str | None, first: int) -> list[tuple[str, str]]:
        rows = await self._read("page_aliases", {"after": after or "", "first": first})
        return [(r["id"], r["item_id"]) for r in rows]

    async def aliases(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {r["id"]: r["item_id"] for r in await self._read("get_aliases", {"ids": list(keys)})}

    async def add_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        if not aliases:
            return {}
        rows = [{"id": k, "item_id": v} for k, v in aliases.items()]
        got = await self._write_tx(lambda tx: self._run(tx, "merge_aliases", {"rows": rows}))
        return {r["id"]: r["item_id"] for r in got}

    # -- authentication ---------------------------------------------------------------------

    async def save_api_key(self, key: ApiKey) -> None:
        props = M.api_key_props(key)
        await self._write_tx(lambda tx: self._run(tx, "create_api_key", props))

    async def api_key_by_hash(self, hash: str) -> ApiKey | None:
        rows = await self._read("api_key_by_hash", {"hash": hash})
        return M.api_key(rows[0]) if rows else None

    async def api_key(self, key_id: str) -> ApiKey | None:
        rows = await self._read("api_key_by_id", {"id": key_id})
        return M.api_key(rows[0]) if rows else None

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        if organization_id is None:
            rows = await self._read("admin_api_keys", {})
        else:
            rows = await self._read("api_keys_of_organization", {"organization_id": organization_id})
        return [M.api_key(r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        return bool(await self._write_tx(lambda tx: self._run(tx, "revoke_api_key", {"id": key_id})))

    async def append_audit(self, entry: AuditEntry) -> None:
        props = M.audit_props(entry)
        await self._write_tx(lambda tx: self._run(tx, "append_audit", props))

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        params: dict[str, Any] = {"after": after or "", "first": first}
        name = "audit_page"
        if organization_id is not None:
            name, params["organization_id"] = "audit_page_of_organization", organization_id
        rows = await self._read(name, params)
        return [M.audit(r) for r in rows]

    async def save_recall_notice(self, notice: RecallNotice) -> None:
        props = M.recall_notice_props(notice)
        await self._write_tx(lambda tx: self._run(tx, "save_recall_notice", props))

    async def recall_notices(self, ids: Sequence[str]) -> dict[str, RecallNotice]:
        if not ids:
            return {}
        rows = await self._read("get_recall_notices", {"ids": list(ids)})
        return {n.id: n for n in map(M.recall_notice, rows)}

    async def recall_notice_page(
        self, organization_id: str | None, after: RecallNotice | None, first: int
    ) -> list[RecallNotice]:
        params = M.recall_notice_page_params(organization_id, after, first)
        rows = await self._read("page_recall_notices", params)
        return [M.recall_notice(r) for r in rows]

    async def save_share(self, share: Share) -> None:
        props = M.share_props(share)
        await self._write_tx(lambda tx: self._run(tx, "save_share", props))

    async def shares_with(self, organization_id: str) -> list[Share]:
        rows = await self._read("shares_with", {"organization_id": organization_id})
        return [M.share(r) for r in rows]

    async def rename_organization(self, organization_id: str, name: str) -> bool:
        params = {"id": organization_id, "name": name}
        return bool(await self._write_tx(lambda tx: self._run(tx, "rename_organization", params)))

    async def composition_lists_of(self, material_ids: Sequence[str]) -> list[CompositionList]:
        if not material_ids:
            return []
        params = {"ids": sorted(set(material_ids))}
        rows = await self._read_tx(lambda tx: self._nodes(tx, "composition_lists_of_materials", params))
        return sorted((M.composition_list(r) for r in rows), key=lambda c: c.id)

    async def set_allowed_materials(self, item_id: str, material_ids: list[str] | None) -> bool:
        params = {"id": item_id, "allowed_material_ids": M.allowed_materials_prop(material_ids)}
        return bool(await self._write_tx(lambda tx: self._run(tx, "set_allowed_materials", params)))
