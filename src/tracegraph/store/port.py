"""The port every graph store implements. Services depend on this and nothing below it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from pydantic import BaseModel

from ..domain.audit import AuditEntry
from ..domain.auth import ApiKey, Share
from ..domain.capture import CaptureJob
from ..domain.characteristics import matches
from ..domain.composition import CompositionList
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, LogHead, Source
from ..domain.integrity import Imbalance, IntegrityReport
from ..domain.ledger import LedgerState, StateKeys
from ..domain.models import Balance, Item
from ..domain.query import (
    BalanceFilter,
    Direction,
    EventFilter,
    ExpiryCursor,
    ExpiryFilter,
    ItemFilter,
    MasterKind,
    ReadKind,
)
from ..domain.recall import Recall, RecallNotice
from ..domain.stock import StockSum, sum_balances
from ..domain.trace import LineageLink
from .bulk import BulkReport

__all__ = [
    "BalanceFilter",
    "CaptureJob",
    "Direction",
    "EventFilter",
    "ExpiryCursor",
    "ExpiryFilter",
    "GraphStore",
    "Imbalance",
    "IntegrityReport",
    "ItemFilter",
    "MasterKind",
    "ReadKind",
    "Walk",
    "breadth_first",
    "SCHEMA_VERSION",
    "SchemaTooNew",
]


@dataclass
class Walk:
    """A breadth-first walk over lineage: what it reached (roots excluded) nearest first, the
    depth of each, and the (source, target) links it followed."""

    reached: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def add_level(
        self, pairs: Iterable[tuple[str, str]], direction: Direction, depth: int, seen: set[str]
    ) -> list[str]:
        """Take one hop of (source, target) pairs; the items first reached, the next frontier."""
        nxt: list[str] = []
        for source, target in pairs:
            self.edges.append((source, target))
            end = target if direction is Direction.FORWARD else source
            if end not in seen:
                seen.add(end)
                nxt.append(end)
                self.reached.append(end)
                self.depth[end] = depth
        return nxt


def breadth_first(
    roots: Sequence[str],
    direction: Direction,
    max_depth: int | None,
    step: Callable[[list[str]], list[tuple[str, str]]],
) -> Walk:
    """A breadth-first walk with a visited set, `step` giving one hop from a frontier: linear in
    what it reaches whatever the diamonds; cycles end it."""
    walk, seen, frontier, depth = Walk(), set(roots), list(dict.fromkeys(roots)), 0
    while frontier and (max_depth is None or depth < max_depth):
        depth += 1
        frontier = walk.add_level(step(frontier), direction, depth, seen)
    return walk


# -- role interfaces: what each service needs of a store (a GraphStore is all of them) ----


class NodeReads(Protocol):
    """Master data and items by id, and pages of them."""

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]: ...

    async def page(
        self, kind: ReadKind, after: str | None, first: int, filt: ItemFilter | None = None
    ) -> list[BaseModel]: ...

    async def items_by_characteristic(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]: ...


class ExpiryReads(Protocol):
    """Items in expiry order, and the expiry notices already announced."""

    async def items_by_expiry(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int) -> list[Item]: ...

    async def claim_expiry_notices(self, ids: Sequence[str], at: str) -> list[str]: ...


class LedgerWrites(Protocol):
    """Recording events and master data."""

    async def record(self, commands: Sequence[EventCommand], source: Source) -> list[LedgerEntry]: ...

    async def load_state(self, keys: StateKeys) -> LedgerState: ...

    async def bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport: ...

    async def create(self, kind: MasterKind, model: BaseModel) -> None: ...

    async def update(self, kind: MasterKind, model: BaseModel) -> None: ...


class LedgerReads(Protocol):
    """Balances, events and findings of the ledger."""

    async def balances(
        self, filt: BalanceFilter, after: str | None = None, first: int | None = None
    ) -> list[Balance]: ...

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]: ...

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]: ...

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]: ...

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]: ...

    async def findings(self, after: str | None, first: int) -> list[Finding]: ...

    async def integrity(self) -> IntegrityReport: ...


class LineageReads(Protocol):
    """The lineage links a trace walks."""

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]: ...

    async def walk(self, roots: Sequence[str], direction: Direction, max_depth: int | None = None) -> Walk: ...

    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]: ...


class CaptureJobs(Protocol):
    """EPCIS capture jobs and the aliases of GS1 keys."""

    async def capture_page(self, after: str | None, first: int) -> list[CaptureJob]: ...

    async def alias_page(self, after: str | None, first: int) -> list[tuple[str, str]]: ...

    async def save_capture(self, job: CaptureJob) -> None: ...

    async def capture(self, capture_id: str) -> CaptureJob | None: ...

    async def aliases(self, keys: Sequence[str]) -> dict[str, str]: ...

    async def add_aliases(self, aliases: dict[str, str]) -> dict[str, str]: ...


class KeyStore(Protocol):
    """API keys and organizations."""

    async def save_api_key(self, key: ApiKey) -> None: ...

    async def api_key_by_hash(self, hash: str) -> ApiKey | None: ...

    async def api_key(self, key_id: str) -> ApiKey | None: ...

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]: ...

    async def revoke_api_key(self, key_id: str) -> bool: ...

    async def rename_organization(self, organization_id: str, name: str) -> bool: ...

    async def create(self, kind: MasterKind, model: BaseModel) -> None: ...

    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]: ...


class AuditLog(Protocol):
    """The append-only audit log."""

    async def append_audit(self, entry: AuditEntry) -> None: ...

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]: ...


class RecallCases(Protocol):
    """Recalls and the notices sent to other organizations."""

    async def save_recall(self, recall: Recall) -> None: ...

    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]: ...

    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]: ...

    async def save_recall_notice(self, notice: RecallNotice) -> None: ...

    async def recall_notices(self, ids: Sequence[str]) -> dict[str, RecallNotice]: ...

    async def recall_notice_page(
        self, organization_id: str | None, after: RecallNotice | None, first: int
    ) -> list[RecallNotice]: ...


class Shares(Protocol):
    """Items shared with other organizations."""

    async def save_share(self, share: Share) -> None: ...

    async def shares_with(self, organization_id: str) -> list[Share]: ...


class TraceReads(NodeReads, LedgerReads, LineageReads, Protocol):
    """What a trace and its mass balance read."""


class VisibilityReads(NodeReads, LedgerReads, LineageReads, RecallCases, Shares, Protocol):
    """What deciding a caller's visibility reads."""


# The version of the stores' schema. 1: before versions were kept (until the capture jobs'
# organization); 2: capture jobs name their organization; 3: classifications are master data
# (an item's status may name one a user defined, which an older tracegraph would misread); 4:
# inventory control (balances in a second unit, characteristic definitions on materials,
# composition lists, ASSEMBLE and DISASSEMBLE events and an item's components, which an older
# tracegraph cannot read).
# Opening a store of an older version upgrades it in place (the schema statements add what is
# missing, the built-in classifications are created) and records this one; a store of a newer
# version is refused (SchemaTooNew) and left untouched.
SCHEMA_VERSION = 4


class SchemaTooNew(RuntimeError):
    """The store was written by a newer tracegraph: this one would misread it."""

    def __init__(self, found: int):
        super().__init__(
            f"the store's schema is version {found}, written by a newer tracegraph; this one reads up to "
            f"version {SCHEMA_VERSION}: run the newer tracegraph (nothing was changed)"
        )
        self.found = found


def version_to_record(found: int | None) -> int:
    """The version a store opened with schema `found` (None: none recorded, version 1 or a new
    store) is upgraded to; SchemaTooNew for one newer than this code."""
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(found)
    return SCHEMA_VERSION


class GraphStore(ABC):
    """A graph store holding the ledger. Every method is safe to call from the event loop."""

    name: str

    @abstractmethod
    async def open(self) -> None:
        """Connect, apply the schema idempotently and create the well-known virtual locations
        and the built-in classifications (those missing: a changed one is kept as it is)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise unless the store answers."""

    # -- writes -----------------------------------------------------------------------------

    @abstractmethod
    async def record(self, commands: Sequence[EventCommand], source: Source) -> list[LedgerEntry]:
        """Check and write events in one transaction: all of them, or none (DomainError)."""

    @abstractmethod
    async def load_state(self, keys: StateKeys) -> LedgerState:
        """What `record` loads before it plans: the items, balances, locations, materials,
        serials and events `keys` names (a bulk load plans on it outside the store)."""

    @abstractmethod
    async def bulk_load(self, entries: Iterable[LedgerEntry], state: LedgerState) -> BulkReport:
        """Write planned entries far faster than `record`: an initial migration, a benchmark.

        `entries` were planned in order on `state` (what `load_state` gave for every key of
        the load), and `state` is advanced past the last of them once `entries` is exhausted;
        the store consumes `entries` before it writes anything, so a refusal raised while
        planning writes nothing. Preconditions, refused with DomainError ALREADY_EXISTS and
        nothing written: every event is new to the store, and so is every item it creates.
        No other writer may run meanwhile. One transaction where the store has them (Ladybug,
        Neo4j).
        """

    @abstractmethod
    async def create(self, kind: MasterKind, model: BaseModel) -> None:
        """Create master data; DomainError ALREADY_EXISTS if its id is taken."""

    @abstractmethod
    async def update(self, kind: MasterKind, model: BaseModel) -> None:
        """Replace the master data kept under the model's id by the model (kinds with an
        `update_<kind>` statement: Classification); DomainError NOT_FOUND if there is none."""

    @abstractmethod
    async def save_recall(self, recall: Recall) -> None:
        """Create or replace a recall case."""

    @abstractmethod
    async def composition_lists_of(self, material_ids: Sequence[str]) -> list[CompositionList]:
        """The composition lists of the products `material_ids`, by id."""

    @abstractmethod
    async def set_allowed_materials(self, item_id: str, material_ids: list[str] | None) -> bool:
        """Set the materials a container allows (None: any); False if there is no such item."""

    # -- reads ------------------------------------------------------------------------------

    @abstractmethod
    async def get(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, BaseModel]: ...

    @abstractmethod
    async def page(
        self,
        kind: ReadKind,
        after: str | None,
        first: int,
        filt: ItemFilter | None = None,
    ) -> list[BaseModel]:
        """Nodes of a kind ordered by id, the first `first` after the id `after`."""

    @abstractmethod
    async def balances(
        self,
        filt: BalanceFilter,
        after: str | None = None,
        first: int | None = None,
    ) -> list[Balance]:
        """Balances ordered by (item, location); `after` is the key of the last one seen."""

    async def count_locations(self) -> int:
        """How many locations the store holds. Locations are created, never changed or deleted,
        so the count tells whether a location tree read before is still the store's. This
        default pages through them; a store counts in its own query."""
        n, after = 0, None
        while True:
            page = await self.page("Location", after, 1000)
            n += len(page)
            if len(page) < 1000:
                return n
            after = page[-1].id  # type: ignore[attr-defined]

    async def stock_sums(
        self, pairs: Sequence[tuple[str, str]], material_ids: Sequence[str] | None, include_virtual: bool
    ) -> list[StockSum]:
        """The non-zero balances of items of a known material at the locations of (location,
        root) pairs, summed per (root, material, item kind, unit), with how many distinct items
        hold them. This default reads the balances and the items' kinds; a store sums in its
        own query where it can."""
        if not pairs or material_ids == []:
            return []
        filt = BalanceFilter(
            location_ids=sorted({loc for loc, _ in pairs}),
            material_ids=list(material_ids) if material_ids is not None else None,
            include_virtual=include_virtual,
        )
        found = [b for b in await self.balances(filt) if b.material_id is not None]
        items = await self.get("Item", sorted({b.item_id for b in found}))
        kinds = {i: getattr(m, "kind", None) for i, m in items.items()}
        rows = [
            (
                b.item_id,
                b.location_id,
                b.material_id,
                getattr(kinds.get(b.item_id), "value", "LOT"),
                b.quantity,
                b.unit,
                b.second_quantity,
            )
            for b in found
        ]
        return sum_balances(rows, pairs)

    async def narrowed_by_expiry(self, filt: BalanceFilter) -> BalanceFilter:
        """A filter of given items with an expiry range: of those items, the ones in the range
        (the stores read the balances of given items from their index, which knows no expiry)."""
        if filt.item_ids is None or not filt.by_expiry:
            return filt
        items = await self.get("Item", list(filt.item_ids))
        keep = [i for i in filt.item_ids if i in items and filt.expiry_admits(getattr(items[i], "expires_at", None))]
        return replace(filt, item_ids=keep)

    async def items_by_characteristic(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]:
        """Items of the filter's material whose characteristic passes its search (value or range),
        by id after `after`: the store narrows the candidates (`characteristic_page`: the
        material's items holding the search's text), each judged by `matches`."""
        assert filt.characteristic is not None and filt.material_id
        out: list[Item] = []
        chunk = max(4 * first, 200)
        while len(out) < first:
            found = await self.characteristic_page(filt, after, chunk)
            out += [i for i in found if matches(i.characteristics, filt.characteristic)]
            if len(found) < chunk:
                break
            after = found[-1].id
            chunk = min(2 * chunk, 5000)  # a sparse match: read further ahead
        return out[:first]

    @abstractmethod
    async def characteristic_page(self, filt: ItemFilter, after: str | None, first: int) -> list[Item]:
        """Candidates of `items_by_characteristic`, by id: the items of the filter's material,
        of its other fields, whose characteristics hold the search's needles (rows.py
        `characteristic_page_params`)."""

    async def items_by_expiry(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int) -> list[Item]:
        """Items in expiry order: earliest expiry first, then by id; then, unless the filter
        wants dated items only, those without an expiry by id. `after` is the cursor of the
        last one seen (`expiry_cursor`)."""
        out: list[Item] = []
        if first <= 0:
            return out
        if after is None or after[0] is not None:
            out = await self.expiry_page(filt, after, first, dated=True)
        if len(out) < first and not filt.dated_only:
            after_id = after[1] if after is not None and after[0] is None else ""
            out += await self.expiry_page(filt, (None, after_id), first - len(out), dated=False)
        return out

    @abstractmethod
    async def expiry_page(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int, dated: bool) -> list[Item]:
        """One part of `items_by_expiry`: the dated items (in expiry, id order, after the
        cursor), or those without an expiry (by id, after the cursor's id)."""

    @abstractmethod
    async def claim_expiry_notices(self, ids: Sequence[str], at: str) -> list[str]:
        """Record that the expiry notices `ids` are announced (at the time key `at`); the ids
        this call recorded first, in the order given. Several server instances may claim the
        same ids at once: each id is answered to one of them only, once ever."""

    @abstractmethod
    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        """Events in commit order with their sequence number, the first `first` after `after`."""

    @abstractmethod
    async def log_head(self) -> LogHead:
        """This store's event log (the order `events` gives): its identity, shared by every server
        instance on the store, and its last sequence number."""

    @abstractmethod
    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        """The sequence number (commit order, as `events` gives it) of each event found."""

    @abstractmethod
    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]: ...

    @abstractmethod
    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        """Every event that touched each item, in commit order."""

    @abstractmethod
    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        """One hop of lineage from each id: (from, to) pairs, voided links left out."""

    async def walk(self, roots: Sequence[str], direction: Direction, max_depth: int | None = None) -> Walk:
        """Every item reached from the roots along lineage (see `breadth_first`), by
        `neighbours` a level at a time; a store may do it in fewer round trips."""
        walk, seen, frontier, depth = Walk(), set(roots), list(dict.fromkeys(roots)), 0
        while frontier and (max_depth is None or depth < max_depth):
            depth += 1
            frontier = walk.add_level(await self.neighbours(frontier, direction), direction, depth, seen)
        return walk

    @abstractmethod
    async def links(self, ids: Sequence[str], direction: Direction) -> list[LineageLink]:
        """Every stored link out of (FORWARD) or into (BACKWARD) each id, voided ones included."""

    @abstractmethod
    async def recalls(self, ids: Sequence[str]) -> dict[str, Recall]: ...

    @abstractmethod
    async def recall_page(self, after: Recall | None, first: int, status: str | None = None) -> list[Recall]:
        """Recalls newest first (by opening time, then id), the first `first` after `after`."""

    @abstractmethod
    async def findings(self, after: str | None, first: int) -> list[Finding]: ...

    @abstractmethod
    async def integrity(self) -> IntegrityReport: ...

    # -- EPCIS ------------------------------------------------------------------------------

    @abstractmethod
    async def save_capture(self, job: CaptureJob) -> None:
        """Keep a capture job (a new id; its `errors` as given)."""

    @abstractmethod
    async def capture(self, capture_id: str) -> CaptureJob | None: ...

    @abstractmethod
    async def capture_page(self, after: str | None, first: int) -> list[CaptureJob]:
        """Capture jobs ordered by id, the first `first` after the id `after`."""

    @abstractmethod
    async def alias_page(self, after: str | None, first: int) -> list[tuple[str, str]]:
        """(canonical key, item) of every alias, ordered by key, the first `first` after `after`."""

    @abstractmethod
    async def aliases(self, keys: Sequence[str]) -> dict[str, str]:
        """The item each canonical key (a GS1 Digital Link URI) names, for the keys known."""

    @abstractmethod
    async def add_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        """Name an item by each canonical key; a key already taken keeps its item. Answers
        the item every given key names afterwards."""

    # -- authentication ---------------------------------------------------------------------

    @abstractmethod
    async def save_api_key(self, key: ApiKey) -> None:
        """Keep a new key (its hash, never the key)."""

    @abstractmethod
    async def api_key_by_hash(self, hash: str) -> ApiKey | None: ...

    @abstractmethod
    async def api_key(self, key_id: str) -> ApiKey | None: ...

    @abstractmethod
    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        """The keys of an organization, oldest first; None: the server's admin keys."""

    @abstractmethod
    async def revoke_api_key(self, key_id: str) -> bool:
        """Mark a key revoked; False when there is no such key."""

    @abstractmethod
    async def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log (never changed afterwards)."""

    @abstractmethod
    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        """Audit entries by id (time order) after `after`; of one organization, or all (None)."""

    @abstractmethod
    async def save_recall_notice(self, notice: RecallNotice) -> None:
        """Create or replace a recall notice."""

    @abstractmethod
    async def recall_notices(self, ids: Sequence[str]) -> dict[str, RecallNotice]: ...

    @abstractmethod
    async def recall_notice_page(
        self, organization_id: str | None, after: RecallNotice | None, first: int
    ) -> list[RecallNotice]:
        """Notices newest first (by creation time, then id), of one organization or of all
        (None), the first `first` after `after`."""

    @abstractmethod
    async def save_share(self, share: Share) -> None:
        """Keep a share (replacing one of the same item, organization and scope)."""

    @abstractmethod
    async def shares_with(self, organization_id: str) -> list[Share]:
        """Every share with an organization."""

    @abstractmethod
    async def rename_organization(self, organization_id: str, name: str) -> bool:
        """False when there is no such organization."""
