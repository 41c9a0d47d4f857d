"""The ledger's use cases, shared by every door (GraphQL, EPCIS, the CLI, the demo loader)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel

from ..domain import errors as E
from ..domain.actions import ActionType
from ..domain.auth import FORBIDDEN, Principal
from ..domain.bulk import BulkPlanner
from ..domain.characteristics import definition_problems
from ..domain.composition import CompositionList
from ..domain.errors import AccessDenied, DomainError, Problem
from ..domain.events import EventCommand, EventRecord, Finding, LedgerEntry, LogHead, Source
from ..domain.integrity import IntegrityReport
from ..domain.ledger import batch_keys, event_id_for
from ..domain.models import (
    Balance,
    CharacteristicDefinition,
    Classification,
    Item,
    Location,
    LocationKind,
    Material,
    Order,
    Organization,
    Shipment,
)
from ..domain.query import BalanceFilter, Direction, EventFilter, ItemFilter, MasterKind
from ..domain.rights import operation_of, require
from ..domain.writability import action_type_usable, classification_usable, composition_usable, location_usable
from ..gs1.digital_link import GS1_RESOLVER
from ..gs1.identifiers import canonical
from ..store.bulk import BulkReport
from ..store.port import GraphStore
from .trace import TraceOptions, Tracer, TraceResult
from .writes import check_writes

Listener = Callable[[LedgerEntry], Awaitable[None]]
NoticeListener = Callable[[str, dict[str, Any]], Awaitable[None]]

MAX_PAGE = 1000
MAX_BATCH = 10_000


M_ = TypeVar("M_", bound=BaseModel)
Shared = TypeVar("Shared", Classification, ActionType)


def owned(model: M_, by: Principal | None) -> M_:
    """`model` as recorded by `by`: it belongs to the caller's organization, whatever the input
    said. The server's admin key (and internal callers, `by` None) keep what the input says."""
    if by is None or by.is_admin or getattr(model, "organization_id", None) == by.organization_id:
        return model
    return model.model_copy(update={"organization_id": by.organization_id})


class Ledger:
    """The service every entrypoint calls. Publishes each recorded event after it commits."""

    def __init__(self, store: GraphStore):
        self.store = store
        self.tracer = Tracer(store)
        self._listeners: list[Listener] = []
        self._notice_listeners: list[NoticeListener] = []
        self._material_of: dict[str, str | None] = {}  # an item's material never changes
        # The location tree stock totals last read, with how many locations it holds (services/stock.py).
        self.location_tree: tuple[int, Any] | None = None

    def on_recorded(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_notice(self, listener: NoticeListener) -> None:
        """Listen to what services announce beyond events (a recall's progress), after it is saved."""
        self._notice_listeners.append(listener)

    async def notify(self, subject: str, payload: dict[str, Any]) -> None:
        for listener in self._notice_listeners:
            await listener(subject, payload)

    # -- master data ------------------------------------------------------------------------

    async def create_organization(self, org: Organization) -> Organization:
        await self.store.create("Organization", org)
        return org

    async def create_material(self, material: Material, by: Principal | None = None) -> Material:
        material = owned(material, by)
        problems = []
        if material.second_unit is not None and material.second_unit == material.base_unit:
            problems.append(Problem("secondUnit", f"the second unit is the base unit {material.base_unit}", E.INVALID))
        if material.catch_weight and material.second_unit is None:
            problems.append(Problem("catchWeight", "a catch-weight material needs its second unit", E.INVALID))
        if problems:
            raise DomainError(problems)
        await self.store.create("Material", material)
        return material

    async def create_location(self, location: Location, by: Principal | None = None) -> Location:
        location = owned(location, by)
        problems = []
        if location.kind is LocationKind.VIRTUAL and location.virtual is None:
            problems.append(Problem("virtual", "a VIRTUAL location needs its virtual kind", E.INVALID))
        if location.virtual is not None and location.kind is not LocationKind.VIRTUAL:
            location = location.model_copy(update={"kind": LocationKind.VIRTUAL})
        if location.parent_id is not None:
            if location.parent_id == location.id:
                problems.append(Problem("parentId", "a location cannot be its own parent", E.INVALID))
            else:
                parent = (await self.locations([location.parent_id])).get(location.parent_id)
                usable = parent is not None and (
                    by is None or by.is_admin or location_usable(by.organization_id or "", parent)
                )
                if not usable:  # another organization's location is unknown to the caller
                    problems.append(Problem("parentId", f"unknown location {location.parent_id}", E.NOT_FOUND))
        if location.partner_id is not None and not await self.store.get("Organization", [location.partner_id]):
            problems.append(Problem("partnerId", f"unknown organization {location.partner_id}", E.NOT_FOUND))
        if problems:
            raise DomainError(problems)
        await self.store.create("Location", location)
        return location

    async def create_order(self, order: Order, by: Principal | None = None) -> Order:
        order = owned(order, by)
        if order.partner_id is not None and not await self.store.get("Organization", [order.partner_id]):
            raise DomainError(Problem("partnerId", f"unknown organization {order.partner_id}", E.NOT_FOUND))
        await self.store.create("Order", order)
        return order

    async def create_classification(
        self, classification: Classification, by: Principal | None = None
    ) -> Classification:
        classification = owned(classification, by)
        await self._check_partner(classification.partner_id)
        await self.store.create("Classification", classification)
        return classification

    async def update_classification(
        self, classification_id: str, changes: dict[str, Any], by: Principal | None = None
    ) -> Classification:
        """Change some fields of a classification (`changes`, by field name): its owner's (the
        server's admin key: any). One the caller may not see is NOT_FOUND, like an unknown one;
        one it sees and does not own (a built-in, a partner's) FORBIDDEN."""
        found = (await self.classifications([classification_id])).get(classification_id)
        return await self._update_shared(
            "Classification", "classification", classification_id, found, classification_usable, changes, by
        )

    async def define_characteristics(
        self, material_id: str, definitions: Sequence[CharacteristicDefinition], by: Principal | None = None
    ) -> Material:
        """Define (replace) the characteristics of a material's items: its owner's (the server's
        admin key: any). A material the caller may not see is NOT_FOUND, like an unknown one;
        one it sees and does not own (one without an organization) FORBIDDEN; bad definitions
        INVALID (domain/characteristics.py), an out-of-spec classification the owner cannot use
        NOT_FOUND. Items recorded before keep their values; the next write checks them."""
        found = (await self.materials([material_id])).get(material_id)
        org = by.organization_id if by is not None and not by.is_admin else None
        if found is None or (org is not None and found.organization_id not in (None, org)):
            raise DomainError(Problem("materialId", f"unknown material {material_id[:200]}", E.NOT_FOUND))
        if org is not None and found.organization_id != org:
            raise AccessDenied(
                Problem(
                    "materialId",
                    f"material {material_id} is not your organization's: only its owner "
                    "(or the server's admin key) may define its characteristics",
                    FORBIDDEN,
                )
            )
        problems = [Problem(f, message, E.INVALID) for f, message in definition_problems(list(definitions))]
        wanted = sorted({d.out_of_spec_status for d in definitions if d.out_of_spec_status})
        known = await self.classifications(wanted)
        owner = found.organization_id
        for n, d in enumerate(definitions):
            c = known.get(d.out_of_spec_status) if d.out_of_spec_status else None
            if d.out_of_spec_status and (c is None or (owner is not None and not classification_usable(owner, c))):
                problems.append(
                    Problem(
                        f"definitions[{n}].outOfSpecStatus",
                        f"unknown classification {d.out_of_spec_status}",
                        E.NOT_FOUND,
                    )
                )
        if problems:
            raise DomainError(problems)
        changed = found.model_copy(update={"characteristic_definitions": list(definitions)})
        await self.store.update("Material", changed)
        return changed

    async def save_composition_list(
        self, composition: CompositionList, by: Principal | None = None, *, replace: bool = False
    ) -> CompositionList:
        """Create a composition list of the caller's organization, or (`replace`) replace one it
        owns whole (the server's admin key: any). Its product and components must be materials
        the caller may see; one it may not see is NOT_FOUND, like an unknown one; a list it sees
        and does not own (a partner's) FORBIDDEN."""
        org = by.organization_id if by is not None and not by.is_admin else None
        if replace:
            found = (await self.composition_lists([composition.id])).get(composition.id)
            if found is None or (org is not None and not composition_usable(org, found)):
                raise DomainError(Problem("id", f"unknown composition list {composition.id}", E.NOT_FOUND))
            if org is not None and found.organization_id != org:
                raise AccessDenied(
                    Problem(
                        "id",
                        f"composition list {composition.id} is not your organization's: only its owner may change it",
                        FORBIDDEN,
                    )
                )
            composition = composition.model_copy(update={"organization_id": found.organization_id})
        else:
            composition = owned(composition, by)
        named = [("materialId", composition.material_id)] + [
            (f"components[{n}].materialId", c.material_id) for n, c in enumerate(composition.components)
        ]
        known = await self.materials(sorted({m for _, m in named}))
        problems = [
            Problem(f, f"unknown material {m}", E.NOT_FOUND)
            for f, m in named
            if m not in known or (org is not None and known[m].organization_id not in (None, org))
        ]
        if problems:
            raise DomainError(problems)
        await self._check_partner(composition.partner_id)
        if replace:
            await self.store.update("CompositionList", composition)
        else:
            await self.store.create("CompositionList", composition)
        return composition

    async def composition_lists(self, ids: Sequence[str]) -> dict[str, CompositionList]:
        return await self.store.get("CompositionList", ids)  # type: ignore[return-value]

    async def create_action_type(self, action_type: ActionType, by: Principal | None = None) -> ActionType:
        action_type = owned(action_type, by)
        await self._check_partner(action_type.partner_id)
        await self.store.create("ActionType", action_type)
        return action_type

    async def update_action_type(
        self, type_id: str, changes: dict[str, Any], by: Principal | None = None
    ) -> ActionType:
        """Change some fields of an action type (`changes`, by field name): its owner's (the
        server's admin key: any). One the caller may not see is NOT_FOUND, like an unknown one;
        one it sees and does not own (a built-in, a partner's) FORBIDDEN. Events recorded keep
        their actions as they were checked."""
        found: ActionType | None = (await self.store.get("ActionType", [type_id])).get(type_id)  # type: ignore[assignment]
        return await self._update_shared("ActionType", "action type", type_id, found, action_type_usable, changes, by)

    async def _update_shared(
        self,
        kind: MasterKind,
        noun: str,
        the_id: str,
        found: Shared | None,
        usable: Callable[[str, Shared], bool],
        changes: dict[str, Any],
        by: Principal | None,
    ) -> Shared:
        """Change some fields of master data that built-ins, an organization's own and a
        partner's share (classifications, action types): its owner's (the server's admin key:
        any). One the caller may not see is NOT_FOUND, like an unknown one; one it sees and does
        not own FORBIDDEN."""
        org = by.organization_id if by is not None and not by.is_admin else None
        if found is None or (org is not None and not usable(org, found)):
            raise DomainError(Problem("id", f"unknown {noun} {the_id}", E.NOT_FOUND))
        if org is not None and found.organization_id != org:
            raise AccessDenied(
                Problem(
                    "id",
                    f"{noun} {the_id} is not your organization's: only its owner "
                    "(or the server's admin key, for a built-in) may change it",
                    FORBIDDEN,
                )
            )
        changed = type(found).model_validate(
            {**found.model_dump(), **changes, "id": found.id, "organization_id": found.organization_id}
        )
        await self._check_partner(changed.partner_id)
        await self.store.update(kind, changed)
        return changed

    async def _check_partner(self, partner_id: str | None) -> None:
        if partner_id is not None and not await self.store.get("Organization", [partner_id]):
            raise DomainError(Problem("partnerId", f"unknown organization {partner_id}", E.NOT_FOUND))

    # -- events -----------------------------------------------------------------------------

    async def record(
        self,
        cmd: EventCommand,
        source: Source = Source.COMMAND,
        by: Principal | None = None,
    ) -> LedgerEntry:
        return (await self.record_many([cmd], source, by))[0]

    async def record_many(
        self, cmds: Sequence[EventCommand], source: Source = Source.COMMAND, by: Principal | None = None
    ) -> list[LedgerEntry]:
        """Record events in one transaction: all, or none with every problem named. Each event,
        and each item it creates, belongs to the organization of `by` (see `owned`)."""
        if by is not None:
            for op in sorted({operation_of(c.type) for c in cmds}):
                require(by, op)
        cmds = [owned(c, by) for c in cmds]
        if len(cmds) > MAX_BATCH:
            raise DomainError(Problem("events", f"at most {MAX_BATCH} events per batch, got {len(cmds)}", E.INVALID))
        if by is not None:
            await check_writes(self.store, by, cmds, source)
        if cmds and source is Source.COMMAND:
            await self._check_references(cmds)
        entries = await self.store.record(cmds, source)
        for entry in entries:
            if not entry.duplicate:
                for listener in self._listeners:
                    await listener(entry)
        return entries

    async def import_events(
        self,
        cmds: Sequence[EventCommand],
        source: Source = Source.COMMAND,
    ) -> BulkReport:
        """Record many events at once through the store's bulk path (`GraphStore.bulk_load`):
        an initial migration, a benchmark. The same rules as `record_many`, planned here on
        what the store holds (every command refused names its event: `events[3]....`), and
        the same items, balances, links and events written, far faster. Refused whole, with
        nothing written: an event that is recorded already or appears twice, a new item that
        exists. Subscribers are not told (no events are published). No other writer may run
        meanwhile: the plan is made outside the store's write transaction.
        """
        cmds = list(cmds)
        if not cmds:
            return BulkReport()
        if source is Source.COMMAND:
            await self._check_references(cmds)
        ids = [event_id_for(c) for c in cmds]
        seen: set[str] = set()
        problems = []
        for n, event_id in enumerate(ids):
            if event_id in seen:
                problems.append(Problem(f"events[{n}].id", f"event {event_id} appears twice", E.ALREADY_EXISTS))
            seen.add(event_id)
        # Events reversed by a correction of this import are planned here; the others are loaded.
        outside = sorted({c.reverses for c in cmds if c.reverses} - seen)
        reversed_events = await self.store.events_by_id(outside) if outside else {}
        state = await self.store.load_state(batch_keys(cmds, reversed_events))
        problems += [
            Problem(f"events[{n}].id", f"event {event_id} is recorded already", E.ALREADY_EXISTS)
            for n, event_id in enumerate(ids)
            if event_id in state.events
        ]
        for n, c in enumerate(cmds):
            problems += [
                Problem(f"events[{n}].newItems[{i}].id", f"item {spec.id} already exists", E.ALREADY_EXISTS)
                for i, spec in enumerate(c.new_items)
                if spec.id in state.items
            ]
        if problems:
            raise DomainError(problems)
        planner = BulkPlanner(state, keep_events={c.reverses for c in cmds if c.reverses})
        return await self.store.bulk_load(planner.plan_all(cmds, source=source), state)

    async def _check_references(self, cmds: Sequence[EventCommand]) -> None:
        """Orders and partners a command names must exist (facts may name any). In a batch of
        several, a problem names its event by index (`events[3].orderId`), as plan_batch does."""
        orders = {c.order_id for c in cmds if c.order_id}
        partners = {c.partner_id for c in cmds if c.partner_id}
        known_orders = set(await self.store.get("Order", sorted(orders))) if orders else set()
        known_partners = set(await self.store.get("Organization", sorted(partners))) if partners else set()
        problems = []
        for n, c in enumerate(cmds):
            prefix = f"events[{n}]." if len(cmds) > 1 else ""
            if c.order_id and c.order_id not in known_orders:
                problems.append(Problem(f"{prefix}orderId", f"unknown order {c.order_id}", E.NOT_FOUND))
            if c.partner_id and c.partner_id not in known_partners:
                problems.append(Problem(f"{prefix}partnerId", f"unknown organization {c.partner_id}", E.NOT_FOUND))
        if problems:
            raise DomainError(problems)

    # -- reads ------------------------------------------------------------------------------

    async def items(self, ids: Sequence[str]) -> dict[str, Item]:
        return await self.store.get("Item", ids)  # type: ignore[return-value]

    async def materials_of(self, item_ids: Sequence[str]) -> dict[str, str | None]:
        """Each known item's material (None when unknown), cached: it never changes."""
        missing = [i for i in item_ids if i not in self._material_of]
        if missing:
            if len(self._material_of) > 100_000:
                self._material_of.clear()
            for i, item in (await self.items(missing)).items():
                self._material_of[i] = item.material_id
        return {i: self._material_of[i] for i in item_ids if i in self._material_of}

    async def materials(self, ids: Sequence[str]) -> dict[str, Material]:
        return await self.store.get("Material", ids)  # type: ignore[return-value]

    async def classifications(self, ids: Sequence[str]) -> dict[str, Classification]:
        return await self.store.get("Classification", ids)  # type: ignore[return-value]

    async def locations(self, ids: Sequence[str]) -> dict[str, Location]:
        return await self.store.get("Location", ids)  # type: ignore[return-value]

    async def organizations(self, ids: Sequence[str]) -> dict[str, Organization]:
        return await self.store.get("Organization", ids)  # type: ignore[return-value]

    async def orders(self, ids: Sequence[str]) -> dict[str, Order]:
        return await self.store.get("Order", ids)  # type: ignore[return-value]

    async def shipments(self, ids: Sequence[str]) -> dict[str, Shipment]:
        return await self.store.get("Shipment", ids)  # type: ignore[return-value]

    async def page(self, kind, after: str | None, first: int, filt: ItemFilter | None = None):  # noqa: ANN001
        if kind == "Item" and filt is not None and filt.characteristic is not None:
            return await self.store.items_by_characteristic(filt, after, min(first, MAX_PAGE))
        return await self.store.page(kind, after, min(first, MAX_PAGE), filt)

    async def balances(
        self,
        filt: BalanceFilter,
        after: str | None = None,
        first: int | None = None,
    ) -> list[Balance]:
        return await self.store.balances(filt, after, first)

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]:
        return await self.store.events(filt, after, min(first, MAX_PAGE))

    async def log_head(self) -> LogHead:
        """The store's event log: its identity and last sequence number (the bus catches up on it)."""
        return await self.store.log_head()

    async def event_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        return await self.store.event_seqs(ids)

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]:
        return await self.store.events_by_id(ids)

    async def events_of_items(self, item_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        return await self.store.events_of_items(item_ids)

    async def resolve_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """The item each identifier names, for those that name one: itself, or the item first
        captured under another spelling of the same GS1 key (an EPC URN and its Digital Link
        URI). One read of the items, one of the aliases when some are not found."""
        found = await self.items(ids)
        # A canonical Digital Link is its own key: it names the item captured under its EPC too.
        keys = {i: k for i in ids if i not in found and ((k := canonical(i)) != i or k.startswith(GS1_RESOLVER + "/"))}
        aliased = await self.store.aliases(sorted(set(keys.values()))) if keys else {}
        targets = await self.items(sorted(set(aliased.values()))) if aliased else {}
        out = {i: found[i] for i in ids if i in found}
        out.update({i: targets[aliased[k]] for i, k in keys.items() if aliased.get(k) in targets})
        return out

    async def findings(self, after: str | None, first: int) -> list[Finding]:
        return await self.store.findings(after, min(first, MAX_PAGE))

    async def check(self) -> IntegrityReport:
        return await self.store.integrity()

    # -- trace ------------------------------------------------------------------------------

    async def neighbours(self, ids: Sequence[str], direction: Direction) -> list[tuple[str, str]]:
        """One hop of lineage from each id, as `(source, target)` pairs: `source -> target`."""
        return await self.store.neighbours(ids, direction)

    async def trace(
        self,
        root: str | Sequence[str],
        direction: Direction,
        max_depth: int | None = None,
        options: TraceOptions | None = None,
    ) -> TraceResult:
        """Every item reached from `root` (or several roots) along lineage (FORWARD) or against
        it (BACKWARD); see services/trace.py."""
        if max_depth is not None:
            options = replace(options or TraceOptions(), max_depth=max_depth)
        roots = [root] if isinstance(root, str) else list(root)
        found = await self.resolve_items(roots)  # a GS1 key's URN or Digital Link: the same item
        return await self.tracer.trace([found[r].id if r in found else r for r in roots], direction, options)
