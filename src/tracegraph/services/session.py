"""The one door: every use case as a method of a session bound to its caller.

`Services` is built once per process around the store; `Services.session(principal)` gives
the caller's `Session`. Each method checks the operation's right first (domain/rights.py),
decides what the caller may change (services/writes.py) and see (services/visibility.py), and
returns only that. Entrypoints (GraphQL resolvers, REST routes, WebSocket handlers) parse,
call one method and map: they hold no store and apply no filter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..domain import errors as E
from ..domain.actions import ActionType, action_type_of
from ..domain.assembly import ComponentStay, component_stays
from ..domain.audit import AuditEntry, entry
from ..domain.auth import FORBIDDEN, ApiKey, Principal, Role, Share, ShareScope
from ..domain.capture import CaptureJob
from ..domain.completeness import Completeness
from ..domain.composition import CompositionList
from ..domain.containers import Content, Stay, allowed_list, contents, stays
from ..domain.errors import DomainError, Problem
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, Source
from ..domain.fsma import FsmaScope
from ..domain.integrity import IntegrityReport
from ..domain.models import (
    Balance,
    CharacteristicDefinition,
    Classification,
    Item,
    ItemKind,
    Location,
    Material,
    Order,
    Organization,
)
from ..domain.powder import MATERIAL_LINKS, Powder, powder
from ..domain.query import (
    BalanceFilter,
    Direction,
    EventFilter,
    ExpiryCursor,
    ExpiryFilter,
    ItemFilter,
    ReadKind,
    expiry_cursor,
)
from ..domain.rights import Operation, require
from ..domain.shelf import FefoProposal
from ..domain.stock import StockTotal
from ..domain.trace import LineageLink
from ..gs1 import epcis_query as Q
from ..store.port import GraphStore
from .auth import Auth
from .completeness import completeness
from .epcis import CaptureResult, Epcis
from .exports import Exports, audit_entries
from .labels import Labels, Links
from .ledger import MAX_BATCH, MAX_PAGE, Ledger
from .recall import RecallNotices, Recalls
from .shelf import NearExpiryLot, fefo, near_expiry
from .stock import stock_totals
from .trace import TraceOptions, TraceResult
from .visibility import Visibility, share_item

R = TypeVar("R")


class _Stay(Protocol):
    @property
    def item_id(self) -> str: ...


StayT = TypeVar("StayT", bound=_Stay)


async def fill(
    fetch: Callable[[Any, int], Awaitable[Sequence[R]]],
    keep: Callable[[Sequence[R]], Awaitable[list[R]]],
    key: Callable[[R], Any],
    after: Any,
    n: int,
) -> list[R]:
    """Up to `n` rows after `after` that `keep` keeps, reading on past the rows it drops, so a
    filtered page is as full as an unfiltered one."""
    out: list[R] = []
    while len(out) < n:
        rows = list(await fetch(after, n))
        if not rows:
            break
        out += await keep(rows)
        after = key(rows[-1])
        if len(rows) < n:
            break
    return out[:n]


def _hidden(counts: dict[str | None, int]) -> list[dict[str, Any]]:
    """What an export says of the items it reached and may not show: a count per owner."""
    return [{"organizationId": org, "count": n} for org, n in sorted(counts.items(), key=lambda x: x[0] or "")]


class Services:
    """What a process holds once, built by the composition root (app.py): the ledger over the
    store and the keys, both private to the services. A door gets a `Session` from it."""

    def __init__(
        self, ledger: Ledger, auth: Auth | None = None, epcis_max_events: int = MAX_BATCH, links: Links | None = None
    ):
        self._store: GraphStore = ledger.store
        self._ledger = ledger
        self._auth = auth or Auth(ledger.store)
        self.epcis_max_events = epcis_max_events
        self.links = links or Links()  # where labels point (services/labels.py)

    def session(self, principal: Principal) -> Session:
        return Session(self, principal)


class Session:
    """The use cases of one caller. Its visibility answers are cached until `fresh()` (one
    GraphQL operation, one REST request, one subscription message)."""

    def __init__(self, services: Services, principal: Principal):
        self._services = services
        self._store = services._store
        self._ledger = services._ledger
        self.principal = principal
        self._visibility = Visibility(self._store, principal)

    def fresh(self) -> Session:
        """Forget what was decided of visibility: the ledger may have changed since."""
        self._visibility = Visibility(self._store, self.principal)
        return self

    # -- who -------------------------------------------------------------------------------

    @property
    def restricted(self) -> bool:
        """An organization's key (not the server's admin): sees and changes only what it may."""
        return not self.principal.is_admin

    @property
    def organization_id(self) -> str | None:
        return self.principal.organization_id

    def _require(self, operation: Operation, field: str | None = None) -> None:
        require(self.principal, operation, field)

    # -- events ----------------------------------------------------------------------------

    async def record(self, cmd: EventCommand) -> LedgerEntry:
        return (await self.record_many([cmd]))[0]

    async def record_many(self, cmds: Sequence[EventCommand], source: Source = Source.COMMAND) -> list[LedgerEntry]:
        """Record events in one transaction (rights, what the caller may change: Ledger.record_many)."""
        return await self._ledger.record_many(cmds, source, by=self.principal)

    # -- master data -----------------------------------------------------------------------

    async def create_material(self, material: Material) -> Material:
        self._require(Operation.MASTER_DATA)
        return await self._ledger.create_material(material, self.principal)

    async def create_location(self, location: Location) -> Location:
        self._require(Operation.MASTER_DATA)
        return await self._ledger.create_location(location, self.principal)

    async def create_order(self, order: Order) -> Order:
        self._require(Operation.MASTER_DATA)
        return await self._ledger.create_order(order, self.principal)

    async def create_classification(self, classification: Classification) -> Classification:
        """A classification of the caller's organization (the server's admin key: as given)."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.create_classification(classification, self.principal)

    async def define_characteristics(
        self, material_id: str, definitions: Sequence[CharacteristicDefinition]
    ) -> Material:
        """Define (replace) a material's characteristic definitions: the caller's organization's
        material (the admin key: any)."""
        self._require(Operation.MASTER_DATA, "materialId")
        return await self._ledger.define_characteristics(material_id, definitions, self.principal)

    async def update_classification(self, classification_id: str, changes: dict[str, Any]) -> Classification:
        """Change a classification the caller's organization owns (the admin key: any)."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.update_classification(classification_id, changes, self.principal)

    async def create_composition_list(self, composition: CompositionList) -> CompositionList:
        """A composition list of the caller's organization (the server's admin key: as given)."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.save_composition_list(composition, self.principal)

    async def replace_composition_list(self, composition: CompositionList) -> CompositionList:
        """Replace a composition list the caller's organization owns, whole (the admin key: any).
        Events recorded against it before keep the check they had."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.save_composition_list(composition, self.principal, replace=True)

    async def composition_lists_of(self, material_ids: Sequence[str]) -> list[CompositionList]:
        """The composition lists of products, those the caller may see, by id."""
        self._require(Operation.READ)
        found = await self._ledger.store.composition_lists_of(material_ids)
        return [c for c in found if self._master_visible(c)]

    async def create_action_type(self, action_type: ActionType) -> ActionType:
        """An action type of the caller's organization (the server's admin key: as given)."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.create_action_type(action_type, self.principal)

    async def update_action_type(self, type_id: str, changes: dict[str, Any]) -> ActionType:
        """Change an action type the caller's organization owns (the admin key: any)."""
        self._require(Operation.MASTER_DATA)
        return await self._ledger.update_action_type(type_id, changes, self.principal)

    def _master_visible(self, model: Any) -> bool:
        """Master data an organization sees: its own, what has no organization (the well-known
        virtual locations), and what names it as partner."""
        if not self.restricted:
            return True
        org = self.organization_id
        if isinstance(model, Organization):
            return model.id == org
        return getattr(model, "organization_id", None) in (None, org) or getattr(model, "partner_id", None) == org

    async def master(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, Any]:
        """Materials, locations, organizations, orders or shipments by id, those the caller may see."""
        self._require(Operation.READ)
        if kind == "Item":
            return await self.items(ids)
        found = await self._store.get(kind, ids)
        return {i: m for i, m in found.items() if self._master_visible(m)}

    async def master_page(self, kind: ReadKind, after: str | None, first: int) -> list[Any]:
        self._require(Operation.READ)

        async def keep(rows: Sequence[Any]) -> list[Any]:
            return [r for r in rows if self._master_visible(r)]

        return await fill(lambda a, n: self._ledger.page(kind, a, n), keep, lambda m: m.id, after, min(first, MAX_PAGE))

    # -- items, stock, events --------------------------------------------------------------

    async def items(self, ids: Sequence[str]) -> dict[str, Item]:
        self._require(Operation.READ)
        return await self._visibility.item_models(await self._ledger.items(ids))

    async def item_page(self, after: str | None, first: int, filt: ItemFilter | None = None) -> list[Item]:
        self._require(Operation.READ)

        async def keep(rows: Sequence[Item]) -> list[Item]:
            shown = await self._visibility.item_models({r.id: r for r in rows})
            return [shown[r.id] for r in rows if r.id in shown]

        fetch = lambda a, n: self._ledger.page("Item", a, n, filt)  # noqa: E731
        if not self.restricted:
            return list(await fetch(after, min(first, MAX_PAGE)))
        return await fill(fetch, keep, lambda m: m.id, after, min(first, MAX_PAGE))

    async def items_by_expiry(self, filt: ExpiryFilter, after: ExpiryCursor | None, first: int) -> list[Item]:
        """Items the caller may see in expiry order: earliest first, then by id; those without
        an expiry last unless the filter wants dated ones only."""
        self._require(Operation.READ)

        async def fetch(a: ExpiryCursor | None, n: int) -> list[Item]:
            return await self._ledger.store.items_by_expiry(filt, a, min(n, MAX_PAGE))

        if not self.restricted:
            return await fetch(after, first)

        async def keep(rows: Sequence[Item]) -> list[Item]:
            shown = await self._visibility.item_models({r.id: r for r in rows})
            return [shown[r.id] for r in rows if r.id in shown]

        return await fill(fetch, keep, expiry_cursor, after, min(first, MAX_PAGE))

    async def fefo(
        self,
        material_id: str,
        location_id: str,
        quantity: float,
        *,
        unit: str | None = None,
        at: datetime | None = None,
        shipping: bool = False,
    ) -> FefoProposal:
        """Which visible lots of a material on hand at a location to pick for a quantity, first
        expiry first, skipping expired lots and those whose status may not be issued (shipped).
        A material or location the caller may not see is NOT_FOUND, like an unknown one."""
        self._require(Operation.READ)
        material = (await self.master("Material", [material_id])).get(material_id)
        location = (await self.master("Location", [location_id])).get(location_id)
        problems = []
        if material is None:
            problems.append(Problem("materialId", f"unknown material {material_id[:200]}", E.NOT_FOUND))
        if location is None:
            problems.append(Problem("locationId", f"unknown location {location_id[:200]}", E.NOT_FOUND))
        if problems or not isinstance(material, Material):
            raise DomainError(problems)
        return await fefo(self._ledger, self.items_by_expiry, material, location_id, quantity, unit, at, shipping)

    async def near_expiry(
        self,
        *,
        days: int | None = None,
        material_id: str | None = None,
        location_id: str | None = None,
        include_expired: bool = True,
        after: ExpiryCursor | None = None,
        first: int = 50,
        now: datetime | None = None,
    ) -> tuple[list[NearExpiryLot], ExpiryCursor | None]:
        """Visible lots on hand within their material's warning period (or `days`), earliest
        expiry first, and where the list goes on (None: the end)."""
        self._require(Operation.READ)
        if material_id is not None and not await self.master("Material", [material_id]):
            raise DomainError(Problem("materialId", f"unknown material {material_id[:200]}", E.NOT_FOUND))
        if location_id is not None and not await self.master("Location", [location_id]):
            raise DomainError(Problem("locationId", f"unknown location {location_id[:200]}", E.NOT_FOUND))
        return await near_expiry(
            self._ledger,
            self.items_by_expiry,
            days=days,
            material_id=material_id,
            location_id=location_id,
            include_expired=include_expired,
            after=after,
            first=min(first, MAX_PAGE),
            now=now,
        )

    async def materials_of(self, item_ids: Sequence[str]) -> dict[str, str | None]:
        """Each visible item's material."""
        shown = await self._visibility.items(item_ids)
        return await self._ledger.materials_of([i for i in item_ids if i in shown])

    async def balances(
        self,
        filt: BalanceFilter,
        after: str | None = None,
        first: int | None = None,
    ) -> list[Balance]:
        """Balances ordered by (item, location), of the items the caller may see."""
        self._require(Operation.READ)
        if not self.restricted:
            return await self._ledger.balances(filt, after, first)

        async def keep(rows: Sequence[Balance]) -> list[Balance]:
            shown = await self._visibility.items([b.item_id for b in rows])
            return [b for b in rows if b.item_id in shown]

        if first is None:
            return await keep(await self._ledger.balances(filt, after, None))
        return await fill(
            lambda a, n: self._ledger.balances(filt, a, n), keep, lambda b: f"{b.item_id} {b.location_id}", after, first
        )

    async def stock_totals(
        self,
        *,
        material_id: str | None = None,
        location_id: str | None = None,
        roll_up: bool = True,
        include_virtual: bool = False,
    ) -> list[StockTotal]:
        """On hand per (material, location), counted by kind of item: of one location or of
        every one with stock, rolled up over the location tree unless `roll_up` is False. Only
        the items the caller may see are summed and counted. A material or location it may not
        see is NOT_FOUND, like an unknown one."""
        self._require(Operation.READ)
        problems = []
        if material_id is not None and not await self.master("Material", [material_id]):
            problems.append(Problem("materialId", f"unknown material {material_id[:200]}", E.NOT_FOUND))
        if location_id is not None and not await self.master("Location", [location_id]):
            problems.append(Problem("locationId", f"unknown location {location_id[:200]}", E.NOT_FOUND))
        if problems:
            raise DomainError(problems)
        if not self.restricted:
            return await stock_totals(
                self._ledger,
                material_id=material_id,
                location_id=location_id,
                roll_up=roll_up,
                include_virtual=include_virtual,
            )
        return await stock_totals(
            self._ledger,
            material_id=material_id,
            location_id=location_id,
            roll_up=roll_up,
            include_virtual=include_virtual,
            visible_balances=self.balances,
            visible_items=self.items,
            location_shown=self._master_visible,
        )

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        """Events in commit order with their sequence number, as the caller may see them."""
        self._require(Operation.READ)
        if not self.restricted:
            return await self._ledger.events(filt, after, first)

        async def keep(rows: Sequence[tuple[int, EventRecord]]) -> list[tuple[int, EventRecord]]:
            shown = {e.id: e for e in await self._visibility.events([r for _, r in rows])}
            return [(seq, shown[r.id]) for seq, r in rows if r.id in shown]

        return await fill(
            lambda a, n: self._ledger.events(filt, a, n), keep, lambda row: row[0], after, min(first, MAX_PAGE)
        )

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        self._require(Operation.READ)
        found = await self._ledger.events_by_id(ids)
        return {e.id: e for e in await self._visibility.events(list(found.values()))}

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        """The sequence number of each event the caller may see."""
        shown = await self.events_by_id(ids)
        return {i: s for i, s in (await self._ledger.event_seqs(list(shown))).items()}

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        """Every event of each visible item that the caller may see, redacted, in commit order."""
        self._require(Operation.READ)
        shown = await self._visibility.items(item_ids)
        found = await self._ledger.events_of_items([i for i in item_ids if i in shown])
        return {i: await self._visibility.events(records) for i, records in found.items()}

    # -- containers ------------------------------------------------------------------------

    async def set_allowed_materials(self, container_id: str, material_ids: Sequence[str] | None) -> Item:
        """Set the materials a container allows (none: any), by the container's owner (the
        server's admin key: any container's). NOT_FOUND for a container or material the caller
        may not see, FORBIDDEN for another organization's container, INVALID for an item that
        is not a container."""
        self._require(Operation.MASTER_DATA, "containerId")
        box = (await self.items([container_id])).get(container_id)
        if box is None:
            raise DomainError(Problem("containerId", f"unknown item {container_id[:200]}", E.NOT_FOUND))
        if self.restricted and box.organization_id != self.organization_id:
            raise DomainError(Problem("containerId", f"container {box.id} belongs to another organization", FORBIDDEN))
        if box.kind is not ItemKind.CONTAINER:
            raise DomainError(Problem("containerId", f"{box.id} is not a container", E.INVALID))
        allowed = allowed_list(material_ids)
        known = await self.master("Material", allowed or [])
        problems = [
            Problem(f"materialIds[{n}]", f"unknown material {m[:200]}", E.NOT_FOUND)
            for n, m in enumerate(material_ids or [])
            if m not in known
        ]
        if problems:
            raise DomainError(problems)
        if not await self._ledger.store.set_allowed_materials(box.id, allowed):
            raise DomainError(Problem("containerId", f"unknown item {container_id[:200]}", E.NOT_FOUND))
        return box.model_copy(update={"allowed_material_ids": allowed})

    async def container_stays(self, container_id: str) -> list[Stay]:
        """Who occupied a container when (domain/containers.py), as the caller may see it: the
        stays of items it may see, packed and (if so) unpacked by events it may see; the others
        are left out. Worked out on the whole history, so what is hidden never changes what is
        shown of the rest. Empty for a container the caller may not see."""
        return await self._stays_shown(container_id, stays, lambda s: s.packed_by, lambda s: s.unpacked_by)

    async def _stays_shown(
        self,
        holder_id: str,
        stays_of: Callable[[str, list[EventRecord]], list[StayT]],
        began: Callable[[StayT], str],
        ended: Callable[[StayT], str | None],
    ) -> list[StayT]:
        """The stays of items in a holder (a container's occupants, an assembly's components),
        worked out on its whole history by `stays_of`, as the caller may see them: those of items
        it may see, begun and (if so) ended by events it may see. Empty for a holder it may not
        see."""
        self._require(Operation.READ)
        if holder_id not in await self._visibility.items([holder_id]):
            return []
        events = (await self._ledger.events_of_items([holder_id])).get(holder_id, [])
        found = stays_of(holder_id, events)
        if not self.restricted or not found:
            return found
        named = {began(s) for s in found} | {e for s in found if (e := ended(s))}
        shown_events = {e.id for e in await self._visibility.events([e for e in events if e.id in named])}
        shown_items = await self._visibility.items({s.item_id for s in found})
        return [
            s
            for s in found
            if s.item_id in shown_items
            and began(s) in shown_events
            and ((end := ended(s)) is None or end in shown_events)
        ]

    async def container_contents(self, container_id: str) -> list[Content]:
        """What is in a container now, as the caller may see it (`container_stays`)."""
        return contents(await self.container_stays(container_id))

    # -- assemblies ------------------------------------------------------------------------

    async def component_history(self, assembly_id: str) -> list[ComponentStay]:
        """Every component an assembly held, installed and taken out by which event when
        (domain/assembly.py), as the caller may see it: the stays of components it may see,
        by events it may see. Empty for an assembly it may not see."""
        return await self._stays_shown(assembly_id, component_stays, lambda s: s.installed_by, lambda s: s.removed_by)

    # -- powder reuse ----------------------------------------------------------------------

    async def powder(self, item_id: str) -> Powder | None:
        """How often the material of an item has been used, from its genealogy (domain/powder.py),
        as the caller may see it: links from items or by events it may not see are left out (an
        item whose every input is hidden counts as fresh) and `partial` says so. None for an item
        it may not see.
        Reads: one backward walk, the links between what it reached, their events and their
        action types, whatever the depth."""
        if item_id not in await self.items([item_id]):  # READ; unknown or hidden
            return None
        tracer = self._ledger.tracer
        result = await tracer.trace([item_id], Direction.BACKWARD)
        links = [x for x in await tracer.closure_links(result) if x.kind in MATERIAL_LINKS]
        events = list((await self._ledger.events_by_id(sorted({x.event_id for x in links if x.event_id}))).values())
        partial = False
        if self.restricted:
            shown_items = await self._visibility.items(result.nodes)
            events = await self._visibility.events(events)
            shown_events = {e.id for e in events}
            kept = [
                x
                for x in links
                if x.source_id in shown_items and x.target_id in shown_items and x.event_id in shown_events
            ]
            partial, links = len(kept) < len(links), kept
        type_ids = sorted({e.action.type for e in events if e.action is not None})
        known: dict[str, ActionType] = await self._store.get("ActionType", type_ids) if type_ids else {}  # type: ignore[assignment]
        uses = {
            e.id
            for e in events
            if e.action is not None and (t := action_type_of(e.action.type, known)) is not None and t.uses_material
        }
        return powder(item_id, links, uses, partial=partial)

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        """One hop of lineage, between items the caller may see."""
        self._require(Operation.READ)
        pairs = await self._ledger.neighbours(ids, direction)
        if not self.restricted:
            return pairs
        shown = await self._visibility.items({i for p in pairs for i in p})
        return [(a, b) for a, b in pairs if a in shown and b in shown]

    # -- feeds: what a subscriber is sent ------------------------------------------------

    async def shown_entry(self, entry: LedgerEntry) -> LedgerEntry | None:
        """A recorded event as the subscriber may see it (redacted), or None: not for it."""
        if not self.restricted:
            return entry
        self.fresh()  # a fresh view for each event: the ledger changed
        kept = await self._visibility.events([entry.event])
        return LedgerEntry(event=kept[0]) if kept else None

    async def change_shown(self, item_id: str, event_id: str) -> bool:
        """Whether a stock or status change of `item_id` by `event_id` is for the subscriber:
        both the item and the event must be visible to it."""
        if not self.restricted:
            return True
        self.fresh()
        if not await self._visibility.item(item_id):
            return False
        return bool(await self.events_by_id([event_id]))

    async def expiry_shown(self, item_id: str) -> bool:
        """Whether an expiry notice of `item_id` is for the subscriber: it may see the item."""
        if not self.restricted:
            return True
        self.fresh()
        return await self._visibility.item(item_id)

    # -- trace -----------------------------------------------------------------------------

    async def trace(
        self,
        root: str | Sequence[str],
        direction: Direction,
        options: TraceOptions | None = None,
    ) -> tuple[TraceResult, dict[str | None, int]]:
        """The trace as the caller may see it, and a count per owner of what it reached and may
        not see. A root that does not exist, or that the caller may not see, is NOT_FOUND:
        the same answer for both."""
        self._require(Operation.READ)
        roots = [root] if isinstance(root, str) else list(root)
        found = await self._ledger.resolve_items(roots)
        shown = await self._visibility.items(x.id for x in found.values()) if found else set()
        for given in roots:
            if given not in found or found[given].id not in shown:
                raise DomainError(Problem("id", f"unknown item {given[:200]}", E.NOT_FOUND))
        result = await self._ledger.tracer.trace([found[r].id for r in roots], direction, options)
        return await self._visibility.trace(result)

    async def closure_links(self, result: TraceResult) -> list[LineageLink]:
        """The links among a trace's items (a trace this session gave: what the caller may see)."""
        return await self._ledger.tracer.closure_links(result)

    async def mass_balance(self, result: TraceResult, links: list[LineageLink] | None = None) -> Any:
        return await self._ledger.tracer.mass_balance(result, links=links)

    # -- the whole ledger: the server's admin ----------------------------------------------

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        self._require(Operation.INTEGRITY)
        return await self._ledger.findings(after, first)

    async def check(self) -> IntegrityReport:
        self._require(Operation.INTEGRITY)
        return await self._ledger.check()

    async def completeness(
        self, since: datetime | None, until: datetime | None, material_id: str | None
    ) -> Completeness:
        self._require(Operation.INTEGRITY)
        return await completeness(self._ledger, since, until, material_id)

    # -- recalls ---------------------------------------------------------------------------

    @property
    def recalls(self) -> Recalls:
        """Recalls as the caller may see and change them (rights checked by each use case)."""
        return Recalls(self._ledger, self.principal, self._visibility)

    @property
    def notices(self) -> RecallNotices:
        return RecallNotices(self._store, self.principal)

    # -- organizations, keys, shares -------------------------------------------------------

    async def create_organization(self, org: Organization) -> Organization:
        self._require(Operation.CREATE_ORGANIZATION)
        return await self._services._auth.create_organization(self.principal, org)

    async def rename_organization(self, organization_id: str, name: str) -> Organization:
        return await self._services._auth.rename_organization(self.principal, organization_id, name)

    async def create_key(
        self, organization_id: str, role: Role, name: str | None = None, expires_at: datetime | None = None
    ) -> tuple[ApiKey, str]:
        return await self._services._auth.create_key(self.principal, organization_id, role, name, expires_at)

    async def keys(self, organization_id: str) -> list[ApiKey]:
        return await self._services._auth.keys(self.principal, organization_id)

    async def revoke_key(self, key_id: str) -> ApiKey:
        return await self._services._auth.revoke_key(self.principal, key_id)

    async def share_item(self, item_id: str, organization_id: str, scope: ShareScope) -> Share:
        self._require(Operation.SHARE, "itemId")
        return await share_item(self._store, self.principal, item_id, organization_id, scope)

    # -- audit -----------------------------------------------------------------------------

    async def audit(self, action: str, detail: Any = None) -> None:
        """Append to the audit log what the caller did."""
        p = self.principal
        await self._store.append_audit(entry(p.key_id, p.organization_id, action, detail))

    def _audit_scope(self, organization_id: str | None) -> str | None:
        """The organization whose audit log the caller reads: its own (an ADMIN key), any or all
        (the server's admin key)."""
        require(self.principal, Operation.KEYS)
        return organization_id if self.principal.is_admin else self.principal.organization_id

    async def audit_page(self, organization_id: str | None, after: str | None, first: int) -> list[AuditEntry]:
        org = self._audit_scope(organization_id)
        return await self._store.audit_page(org, after, first)

    def audit_entries(
        self,
        organization_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[str | None, AsyncIterator[AuditEntry]]:
        """The organization read, and its audit entries in [since, until), a page at a time."""
        org = self._audit_scope(organization_id)
        return org, audit_entries(self._store, org, since, until)

    # -- exports ---------------------------------------------------------------------------

    async def export_trace(
        self,
        item_id: str,
        direction: Direction,
        through_containers: bool = False,
    ) -> tuple[list[dict[str, str | float]], dict[str, Any]]:
        """The FSMA 204 rows of a trace the caller may see, and what describes it (NOT_FOUND: an
        unknown or invisible item)."""
        self._require(Operation.EXPORT)
        result, hidden = await self.trace(item_id, direction, TraceOptions(through_containers=through_containers))
        rows = await Exports(self._ledger).rows(result.nodes, self._visibility if self.restricted else None)
        meta: dict[str, Any] = {
            "trace": {"id": item_id, "direction": direction.value, "count": len(result.items)},
            "items": [{"id": i, "depth": result.depth[i]} for i in result.items],
        }
        if hidden:
            meta["hidden"] = _hidden(hidden)
        return rows, meta

    async def export_recall(self, recall_id: str) -> tuple[list[dict[str, str | float]], dict[str, Any]]:
        """The FSMA 204 rows of what the caller may see of a recall (NOT_FOUND: no such recall for it)."""
        self._require(Operation.EXPORT)
        recalls = self.recalls
        view = await recalls.view(await recalls.get(recall_id))
        seen = view.recall
        ids = [a.id for a in seen.affected] or list(seen.suspect_ids)
        rows = await Exports(self._ledger).rows(ids, self._visibility if self.restricted else None)
        meta: dict[str, Any] = {
            "recall": seen.model_dump(mode="json", exclude={"affected"}),
            "items": [a.model_dump(mode="json") for a in seen.affected],
        }
        if view.hidden:
            meta["hidden"] = _hidden(view.hidden)
        return rows, meta

    async def export_fsma(
        self,
        *,
        trace_id: str | None = None,
        direction: Direction = Direction.FORWARD,
        through_containers: bool = False,
        recall_id: str | None = None,
        products: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        lot_from: str | None = None,
        lot_to: str | None = None,
    ) -> tuple[dict[str, list[dict[str, str | float]]], dict[str, Any]]:
        """The tabs of FDA's FSMA 204 template (a CTE -> its rows) scoped as an FDA request is:
        a trace or a recall (or the whole ledger), narrowed to products (material ids or names),
        an event-time range and a traceability lot code range, of what the caller may see.
        NOT_FOUND: an unknown or invisible trace root, recall or product."""
        self._require(Operation.EXPORT)
        meta: dict[str, Any] = {}
        item_ids: frozenset[str] | None = None
        if trace_id is not None:
            result, hidden = await self.trace(trace_id, direction, TraceOptions(through_containers=through_containers))
            item_ids = frozenset(result.nodes)
            meta["trace"] = {"id": trace_id, "direction": direction.value, "count": len(result.items)}
        elif recall_id is not None:
            recalls = self.recalls
            view = await recalls.view(await recalls.get(recall_id))
            item_ids = frozenset([a.id for a in view.recall.affected] or view.recall.suspect_ids)
            meta["recall"] = {"id": view.recall.id, "reason": view.recall.reason}
            hidden = view.hidden
        else:
            hidden = {}
        material_ids: frozenset[str] | None = None
        if products:
            material_ids = frozenset(await self._products(products))
            meta["products"] = sorted(material_ids)
        if since is not None or until is not None:
            meta["dates"] = {"since": since, "until": until}
        if lot_from is not None or lot_to is not None:
            meta["lot codes"] = {"from": lot_from, "to": lot_to}
        scope = FsmaScope(
            item_ids=item_ids,
            material_ids=material_ids,
            since=since,
            until=until,
            lot_from=lot_from,
            lot_to=lot_to,
        )
        tabs = await Exports(self._ledger).template(
            scope, self._visibility if self.restricted else None, self._master_visible
        )
        if hidden:
            meta["hidden"] = _hidden(hidden)
        return tabs, meta

    async def _products(self, products: Sequence[str]) -> list[str]:
        """The ids of the materials the caller may see that the products name, by id or by name
        (case-insensitive); NOT_FOUND for one that names none."""
        by_id = {
            i: m for i, m in (await self._store.get("Material", list(products))).items() if self._master_visible(m)
        }
        out = list(by_id)
        names = {p.casefold(): p for p in products if p not in by_id}
        matched: set[str] = set()
        after: str | None = None
        while names:
            page = await self._ledger.page("Material", after, 1000)
            for m in page:
                if m.name.casefold() in names and self._master_visible(m):
                    out.append(m.id)
                    matched.add(m.name.casefold())
            if len(page) < 1000:
                break
            after = page[-1].id
        for key, given in names.items():
            if key not in matched:
                raise DomainError(Problem("product", f"unknown product {given[:200]}", E.NOT_FOUND))
        return sorted(set(out))

    # -- labels ----------------------------------------------------------------------------

    @property
    def labels(self) -> Labels:
        """Labels of what the caller may see, and the item a scanned label names (services/labels.py)."""
        return Labels(self, self._ledger, self._services.links)

    # -- EPCIS -----------------------------------------------------------------------------

    @property
    def epcis(self) -> EpcisSession:
        """The EPCIS use cases of this caller (services/epcis.py)."""
        return EpcisSession(self, self._services.epcis_max_events)


class EpcisSession:
    """The EPCIS use cases of one caller (a Session's `epcis`): the right first, then only what
    it may change and see."""

    def __init__(self, session: Session, max_events: int = MAX_BATCH):
        self._session = session
        self._epcis = Epcis(session._ledger, max_events)
        self._visibility = session._visibility
        self.principal = session.principal

    def _require(self, operation: Operation) -> None:
        require(self.principal, operation)

    async def capture_document(self, doc: Any, behaviour: str = "rollback") -> CaptureResult:
        self._require(Operation.RECORD)
        return await self._epcis.capture_document(doc, behaviour, by=self.principal)

    async def capture_event(self, event: Any) -> str:
        self._require(Operation.RECORD)
        return await self._epcis.capture_event(event, by=self.principal)

    async def capture_job(self, capture_id: str) -> CaptureJob | None:
        """A capture job of the caller's organization; another's is unknown, like a wrong id."""
        self._require(Operation.READ)
        return await self._epcis.capture_job(capture_id, self.principal)

    async def event(self, event_id: str) -> dict[str, Any] | None:
        self._require(Operation.READ)
        return await self._epcis.event(event_id, self._visibility)

    async def query(
        self,
        params: Q.Params,
        per_page: int,
        token: str | None,
    ) -> tuple[list[dict[str, Any]], list[Any], str | None]:
        self._require(Operation.READ)
        return await self._epcis.query(params, per_page, token, self._visibility)

    async def export_trace(self, root: str, direction: Direction) -> dict[str, Any]:
        """The events of a trace the caller may see (NOT_FOUND: an unknown or invisible root)."""
        self._require(Operation.EXPORT)
        result, _ = await self._session.trace(root, direction)
        return await self._epcis.export_items([*result.roots, *result.items], self._visibility)

    async def export_recall(self, recall_id: str) -> dict[str, Any] | None:
        """The events of what the caller may see of a recall; None: no such recall for it."""
        self._require(Operation.EXPORT)
        recalls = self._session.recalls
        recall = (await recalls.get_many([recall_id])).get(recall_id)
        if recall is None:
            return None
        seen = (await recalls.view(recall)).recall
        ids = [a.id for a in seen.affected] or list(seen.suspect_ids)
        return await self._epcis.export_items(ids, self._visibility)
