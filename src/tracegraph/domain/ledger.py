"""The ledger rules: turn a command or a fact into the moves, links and changes it writes.

`plan` is pure. A store loads the `LedgerState` that `keys_for` names inside its write
transaction, calls `plan`, and writes the `LedgerEntry` it returns, so the check and the
write see the same balances.

Commands are refused with every problem found (`DomainError`). Facts are recorded whatever
the balances say; each imbalance becomes a `Finding`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from . import errors as E
from .actions import ActionType, EventAction, action_problems, action_type_of
from .characteristics import breaches, reclassification
from .composition import CompositionCheck, CompositionList, Mismatch, MismatchKind, OnMismatch, Used, compare
from .containers import allowed_list, not_allowed
from .errors import DomainError, Problem
from .events import (
    ComponentChange,
    EventCommand,
    EventRecord,
    EventType,
    Finding,
    FindingKind,
    LedgerEntry,
    Line,
    Link,
    LinkKind,
    Move,
    NewItem,
    Source,
    StatusChange,
)
from .models import (
    CUSTOMER,
    DEFAULT_CLASSIFICATIONS,
    INVENTORY_LOSS,
    PRODUCTION,
    SCRAP,
    SUPPLIER,
    UNKNOWN_ORIGIN,
    VIRTUAL_LOCATIONS,
    Characteristic,
    Classification,
    InstalledComponent,
    Item,
    ItemKind,
    Location,
    LocationKind,
    Material,
    Shipment,
    Status,
    Tracking,
    classification_of,
)
from .shelf import days_left, is_expired, too_short_to_ship
from .units import conversion_factor, in_second_unit

EPSILON = 1e-9


# Event types whose inputs are used up in production (a status may forbid that).
_CONSUMING = {EventType.ISSUE, EventType.PRODUCE, EventType.MERGE}
# What each flag of a classification allows, as a refusal says it.
_VERBS = {
    "issue": "issued or consumed",
    "ship": "shipped",
    "pack": "packed",
    "move": "moved",
    "split": "split",
}
_LINK_KIND = {
    EventType.ISSUE: LinkKind.ISSUED,
    EventType.PRODUCE: LinkKind.CONSUMED,
    EventType.SPLIT: LinkKind.SPLIT,
    EventType.MERGE: LinkKind.MERGED,
}
# The code a command refused for each kind of composition mismatch is given.
_MISMATCH_CODES = {
    MismatchKind.MISSING: E.COMPOSITION_MISSING,
    MismatchKind.EXTRA: E.COMPOSITION_EXTRA,
    MismatchKind.WRONG_MATERIAL: E.COMPOSITION_WRONG_MATERIAL,
    MismatchKind.QUANTITY: E.COMPOSITION_QUANTITY,
}


@dataclass(frozen=True)
class StateKeys:
    """What a store must load before it can plan an event."""

    event_ids: frozenset[str]
    item_ids: frozenset[str]  # with every balance of each
    location_ids: frozenset[str]
    material_ids: frozenset[str]  # the materials of the loaded items are loaded too
    serials: frozenset[tuple[str, str]]  # (material, serial number) to look up
    # Classifications the commands name; those of the loaded items are loaded too.
    classification_ids: frozenset[str] = frozenset()
    # Composition lists the commands name (PRODUCE, ASSEMBLE).
    composition_ids: frozenset[str] = frozenset()
    # Action types the commands' batch actions name (domain/actions.py).
    action_type_ids: frozenset[str] = frozenset()


@dataclass
class LedgerState:
    items: dict[str, Item] = field(default_factory=dict)
    materials: dict[str, Material] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    balances: dict[tuple[str, str], float] = field(default_factory=dict)
    # Balances in the second unit of a material tracked in two (absent: zero).
    second_balances: dict[tuple[str, str], float] = field(default_factory=dict)
    serials: dict[tuple[str, str], str] = field(default_factory=dict)  # (material, number) -> item
    events: dict[str, EventRecord] = field(default_factory=dict)
    reversed_ids: set[str] = field(default_factory=set)  # events already reversed
    # The classifications loaded (by id); a built-in missing here is known by its defaults.
    classifications: dict[str, Classification] = field(default_factory=dict)
    # The composition lists loaded (by id).
    compositions: dict[str, CompositionList] = field(default_factory=dict)
    # The action types loaded (by id); a built-in missing here is known by its defaults.
    action_types: dict[str, ActionType] = field(default_factory=dict)

    def copy(self) -> LedgerState:
        """A copy to plan on that leaves this one as it is (the containers are copied, not
        the immutable models in them)."""
        return LedgerState(
            items=dict(self.items),
            materials=dict(self.materials),
            locations=dict(self.locations),
            balances=dict(self.balances),
            second_balances=dict(self.second_balances),
            serials=dict(self.serials),
            events=dict(self.events),
            reversed_ids=set(self.reversed_ids),
            classifications=dict(self.classifications),
            compositions=dict(self.compositions),
            action_types=dict(self.action_types),
        )


def keys_for(cmd: EventCommand, reversed_event: EventRecord | None = None) -> StateKeys:
    lines = [*cmd.inputs, *cmd.outputs]
    items = {line.item_id for line in lines} | {n.id for n in cmd.new_items}
    items |= {n.parent_id for n in cmd.new_items if n.parent_id}
    if cmd.container_id:
        items.add(cmd.container_id)
    locations = {line.location_id for line in lines if line.location_id}
    locations |= {x for x in (cmd.location_id, cmd.from_location_id, cmd.to_location_id) if x}
    locations |= set(VIRTUAL_LOCATIONS.values())
    events = {event_id_for(cmd)}  # a retry without an id is found by its digest
    if cmd.reverses:
        events.add(cmd.reverses)
    if reversed_event is not None:
        items |= {m.item_id for m in reversed_event.moves} | {c.item_id for c in reversed_event.status_changes}
        locations |= {m.from_location_id for m in reversed_event.moves}
        locations |= {m.to_location_id for m in reversed_event.moves}
        items |= {c.assembly_id for c in reversed_event.component_changes}
    serials = {
        (n.material_id, n.lot_code or n.id) for n in cmd.new_items if n.kind is ItemKind.SERIAL and n.material_id
    }
    return StateKeys(
        event_ids=frozenset(events),
        item_ids=frozenset(items),
        location_ids=frozenset(locations),
        material_ids=frozenset(n.material_id for n in cmd.new_items if n.material_id)
        | frozenset(m for n in cmd.new_items for m in n.allowed_material_ids or ()),
        serials=frozenset(serials),
        classification_ids=frozenset(
            ({cmd.status} if cmd.status else set()) | {n.status for n in cmd.new_items if n.status}
        ),
        composition_ids=frozenset({cmd.composition_id} if cmd.composition_id else set()),
        action_type_ids=frozenset({cmd.action.type} if cmd.action else ()),
    )


def classification_ids_of(
    keys: StateKeys, items: dict[str, Item], materials: dict[str, Material] | None = None
) -> list[str]:
    """The classifications a store loads for `keys`: those named, those of the loaded items, and
    those an out-of-spec result moves an item of a loaded material to (its definitions')."""
    moved_to = {
        d.out_of_spec_status
        for m in (materials or {}).values()
        for d in m.characteristic_definitions
        if d.out_of_spec_status
    }
    return sorted(keys.classification_ids | {i.status for i in items.values()} | moved_to)


# Fields added to commands and their lines after ids were first digested from them.
_LATER_COMMAND_FIELDS = ("composition_id", "action")
_LATER_LINE_FIELDS = ("slot", "second_quantity")


def event_id_for(cmd: EventCommand) -> str:
    """The id of an event: the one given, else a digest of its content (a retry records it once)."""
    if cmd.id:
        return cmd.id
    # Fields added later count only when given: a command that gives none of them keeps the
    # digest it had before they existed (a retry across an upgrade is still one event).
    exclude: dict[str, Any] = {"recorded_by": True}
    for f in _LATER_COMMAND_FIELDS:
        if getattr(cmd, f) is None:
            exclude[f] = True
    for name in ("inputs", "outputs"):
        unset = {f for f in _LATER_LINE_FIELDS if all(getattr(line, f) is None for line in getattr(cmd, name))}
        if unset:
            exclude[name] = {"__all__": unset}
    digest = hashlib.sha256(cmd.model_dump_json(exclude=exclude).encode()).hexdigest()
    return f"urn:uuid:tg-{digest[:32]}"


def plan(
    cmd: EventCommand,
    state: LedgerState,
    *,
    source: Source = Source.COMMAND,
    now: datetime | None = None,
) -> LedgerEntry:
    return _Planner(cmd, state, source, now or datetime.now(UTC)).run()


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


K = TypeVar("K")
V = TypeVar("V")


class _Overlay(dict, Generic[K, V]):
    """A dict of this event's changes over the loaded state, which it leaves untouched."""

    def __init__(self, base: dict[K, V]):
        super().__init__()
        self.base = base

    def __missing__(self, key: K) -> V:
        return self.base[key]

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, key) or key in self.base

    def get(self, key: K, default: Any = None) -> Any:
        return dict.get(self, key, default) if dict.__contains__(self, key) else self.base.get(key, default)

    def merged(self) -> dict[K, V]:
        """The loaded state with this event's changes: O(n), for the rare whole-state look."""
        return {**self.base, **dict(dict.items(self))}

    def items(self):
        return self.merged().items()

    def keys(self):
        return self.merged().keys()

    def values(self):
        return self.merged().values()

    def __iter__(self):
        return iter(self.merged())

    def __len__(self) -> int:
        return len(self.merged())


class _Planner:
    def __init__(self, cmd: EventCommand, state: LedgerState, source: Source, now: datetime):
        self.cmd = cmd
        self.state = state
        self.source = source
        self.now = _aware(now)
        self.event_id = event_id_for(cmd)
        self.event_time = _aware(cmd.event_time) if cmd.event_time else self.now
        self.problems: list[Problem] = []
        self.findings: list[Finding] = []
        # Overlays on the loaded state, not copies: planning one event of a batch of n costs
        # what the event touches, not n (copies made a 10,000-event batch quadratic).
        self.items: _Overlay[str, Item] = _Overlay(state.items)
        self.new_items: dict[str, Item] = {}
        self.updated: dict[str, Item] = {}
        self.new_locations: dict[str, Location] = {}
        self.balances: _Overlay[tuple[str, str], float] = _Overlay(state.balances)
        self.second_balances: _Overlay[tuple[str, str], float] = _Overlay(state.second_balances)
        self.moves: list[Move] = []
        self.links: list[Link] = []
        self.status_changes: list[StatusChange] = []
        self.component_changes: list[ComponentChange] = []
        self.composition_check: CompositionCheck | None = None
        # What `transform` took and gave: (item, location, quantity) of each input and output line.
        self.taken: list[tuple[int, tuple[Item, str, float]]] = []
        self.given: list[tuple[Item, str, float]] = []

    @property
    def is_fact(self) -> bool:
        return self.source is Source.FACT

    # -- reporting --------------------------------------------------------------------------

    def problem(self, field: str | None, message: str, code: str) -> None:
        self.problems.append(Problem(field, message, code))

    def breach(
        self,
        kind: FindingKind,
        field: str,
        message: str,
        code: str,
        item: str | None = None,
        location: str | None = None,
        quantity: float | None = None,
    ) -> None:
        """An invariant a command may not break and a fact may: a problem or a finding."""
        if self.is_fact:
            n = len(self.findings)
            self.findings.append(
                Finding(
                    id=f"{self.event_id}#{n}",
                    kind=kind,
                    message=message,
                    event_id=self.event_id,
                    item_id=item,
                    location_id=location,
                    quantity=quantity,
                )
            )
        else:
            self.problem(field, message, code)

    def finding(self, kind: FindingKind, message: str, item: str | None = None) -> None:
        """A finding kept whatever the event's source (a command a setting lets through)."""
        self.findings.append(
            Finding(
                id=f"{self.event_id}#{len(self.findings)}",
                kind=kind,
                message=message,
                event_id=self.event_id,
                item_id=item,
            )
        )

    # -- entry point ------------------------------------------------------------------------

    def run(self) -> LedgerEntry:
        cmd = self.cmd
        if self.event_id in self.state.events:
            return LedgerEntry(event=self.state.events[self.event_id], duplicate=True)
        self.create_items()
        handler = getattr(self, f"plan_{cmd.type.value.lower()}")
        handler()
        action = self.check_action()
        self.check_serials()
        if self.problems:
            raise DomainError(self.problems)
        touched = []
        for x in [
            *(m.item_id for m in self.moves),
            *(l.source_id for l in self.links),
            *(l.target_id for l in self.links),
            *(c.item_id for c in self.status_changes),
            *(line.item_id for line in [*cmd.inputs, *cmd.outputs]),
            *([cmd.container_id] if cmd.container_id else []),
        ]:
            if x not in touched:
                touched.append(x)
        for item_id in touched:
            item = self.items.get(item_id)
            if item and (item.first_event_time is None or self.event_time < _aware(item.first_event_time)):
                self.set_item(item.model_copy(update={"first_event_time": self.event_time}))
        record = EventRecord(
            id=self.event_id,
            type=cmd.type,
            source=self.source,
            event_time=self.event_time,
            recorded_at=self.now,
            location_id=cmd.location_id,
            order_id=cmd.order_id,
            shipment_id=cmd.shipment_id,
            partner_id=cmd.partner_id,
            biz_step=cmd.biz_step,
            disposition=cmd.disposition,
            reason=cmd.reason,
            recorded_by=cmd.recorded_by,
            organization_id=cmd.organization_id,
            reverses=cmd.reverses,
            item_ids=touched,
            moves=self.moves,
            links=self.links,
            status_changes=self.status_changes,
            component_changes=self.component_changes,
            composition_check=self.composition_check,
            action=action,
            command=cmd,
        )
        shipment = None
        if cmd.type is EventType.SHIP and cmd.shipment_id:
            shipment = Shipment(
                id=cmd.shipment_id,
                order_id=cmd.order_id,
                partner_id=cmd.partner_id,
                destination_id=self.ship_destination(),
                shipped_at=self.event_time,
                organization_id=cmd.organization_id,
            )
        return LedgerEntry(
            event=record,
            new_items=list(self.new_items.values()),
            updated_items=[i for k, i in self.updated.items() if k not in self.new_items],
            new_locations=list(self.new_locations.values()),
            findings=self.findings,
            shipment=shipment,
        )

    # -- batch actions ----------------------------------------------------------------------

    def check_action(self) -> EventAction | None:
        """The event's batch action checked against its type (domain/actions.py): its values as
        their parameters' types; a command with a bad one is refused, a fact kept as given with
        a finding for each problem."""
        action = self.cmd.action
        if action is None:
            return None
        checked, problems = action_problems(action, action_type_of(action.type, self.state.action_types))
        for field_, message, code in problems:
            self.breach(FindingKind.ACTION_INVALID, field_, message, code)
        return checked

    # -- items and locations ----------------------------------------------------------------

    def set_item(self, item: Item) -> None:
        self.items[item.id] = item
        if item.id in self.new_items:
            self.new_items[item.id] = item
        else:
            self.updated[item.id] = item

    def create_items(self) -> None:
        seen_serials: set[tuple[str, str]] = set()
        for i, spec in enumerate(self.cmd.new_items):
            f = f"newItems[{i}]"
            if spec.id in self.items or spec.id in self.new_items:
                if not self.is_fact:
                    self.problem(f"{f}.id", f"item {spec.id} already exists", E.ALREADY_EXISTS)
                continue
            material = self.state.materials.get(spec.material_id) if spec.material_id else None
            if spec.material_id and material is None and not self.is_fact:
                self.problem(f"{f}.materialId", f"unknown material {spec.material_id}", E.NOT_FOUND)
                continue
            if material is None and not self.is_fact and spec.kind is not ItemKind.CONTAINER:
                self.problem(f"{f}.materialId", "a material is required", E.INVALID)
                continue
            kind = spec.kind
            if material is not None and not self.is_fact:
                if material.tracking is Tracking.SERIAL and kind not in (ItemKind.SERIAL, ItemKind.CONTAINER):
                    self.problem(
                        f"{f}.kind", f"material {material.id} is tracked by serial: items must be SERIAL", E.INVALID
                    )
                if material.tracking is not Tracking.SERIAL and kind is ItemKind.SERIAL:
                    self.problem(f"{f}.kind", f"material {material.id} is not tracked by serial", E.INVALID)
            if (
                spec.parent_id
                and spec.parent_id not in self.items
                and spec.parent_id not in self.new_items
                and not self.is_fact
            ):
                self.problem(f"{f}.parentId", f"unknown item {spec.parent_id}", E.NOT_FOUND)
            if kind is ItemKind.SERIAL and spec.material_id:
                key = (spec.material_id, spec.lot_code or spec.id)
                if key in self.state.serials or key in seen_serials:
                    self.breach(
                        FindingKind.DUPLICATE_SERIAL,
                        f"{f}.lotCode",
                        f"serial {key[1]} of material {key[0]} already exists",
                        E.DUPLICATE_SERIAL,
                        item=spec.id,
                    )
                    if not self.is_fact:
                        continue
                seen_serials.add(key)
            if spec.status is not None:
                self.known_classification(spec.status, f"{f}.status")
            expires = spec.expires_at or self.inherited_expiry(spec.parent_id)
            if expires is None and material is not None and material.shelf_life_days is not None:
                expires = (spec.manufactured_at or self.event_time) + timedelta(days=material.shelf_life_days)
            unit = material.base_unit if material is not None else (spec.unit or self.first_unit(spec.id))
            if (
                material is not None
                and material.second_unit is not None
                and not material.catch_weight
                and not self.is_fact
                and in_second_unit(1.0, unit, material.second_unit, spec.conversions, material.conversions) is None
            ):
                self.problem(
                    f"{f}.conversions",
                    f"material {material.id} is kept in {unit} and {material.second_unit}: give the lot how many "
                    f"{unit} one {material.second_unit} is (the material converts none)",
                    E.UNKNOWN_UNIT,
                )
            item = Item(
                id=spec.id,
                kind=kind,
                material_id=spec.material_id,
                unit=unit,
                lot_code=spec.lot_code,
                parent_id=spec.parent_id,
                status=spec.status or Status.RELEASED.value,
                manufactured_at=spec.manufactured_at,
                expires_at=expires,
                characteristics=spec.characteristics,
                conversions=spec.conversions,
                container_type=spec.container_type,
                allowed_material_ids=self.allowed_materials(spec, f),
                organization_id=self.cmd.organization_id,
                created_by_event=self.event_id,
            )
            # A part of a lot (a sub-lot, a split's output) carries its lot's results: the
            # required characteristics are asked of new lots, serials and batches only.
            whole = spec.parent_id is None and self.cmd.type is not EventType.SPLIT
            item = self.judge_characteristics(
                item, material, spec.characteristics, f"{f}.characteristics", new_item=whole
            )
            self.new_items[item.id] = item
            self.items[item.id] = item

    def judge_characteristics(
        self,
        item: Item,
        material: Material | None,
        values: dict[str, Characteristic],
        field: str,
        *,
        new_item: bool,
    ) -> Item:
        """Values set on an item checked against its material's definitions (domain/
        characteristics.py): a broken rule refuses a command and is a finding of a fact; a result
        outside the specification limits moves the item to the definition's out-of-spec
        classification, in this event. A material without definitions: the item as it is."""
        if material is None or not material.characteristic_definitions:
            return item
        for b in breaches(material, values, new_item=new_item):
            self.breach(
                FindingKind.INVALID_CHARACTERISTIC, f"{field}.{b.name}", f"{item.id}: {b.message}", b.code, item=item.id
            )
        moved = reclassification(material, values)
        if moved is None or moved[0] == item.status:
            return item
        self.status_changes.append(StatusChange(item_id=item.id, from_status=item.status, to_status=moved[0]))
        return item.model_copy(update={"status": moved[0]})

    def allowed_materials(self, spec: NewItem, field: str) -> list[str] | None:
        """The materials a new container allows (domain/containers.py): a command may give them
        for a container only, each a known material."""
        allowed = allowed_list(spec.allowed_material_ids)
        if allowed and not self.is_fact:
            if spec.kind is not ItemKind.CONTAINER:
                self.problem(f"{field}.allowedMaterialIds", "only a container has allowed materials", E.INVALID)
            for n, material_id in enumerate(spec.allowed_material_ids or ()):
                if material_id not in self.state.materials:
                    self.problem(f"{field}.allowedMaterialIds[{n}]", f"unknown material {material_id}", E.NOT_FOUND)
        return allowed

    def inherited_expiry(self, parent_id: str | None) -> datetime | None:
        """A part of older material keeps its expiry: a sub-lot or serial that of its lot; the
        output of a split that of its input, of a merge or blend the earliest of its inputs.
        (A production's outputs are new material: their material's shelf life counts.)"""
        sources: list[str] = []
        if parent_id:
            sources = [parent_id]
        elif self.cmd.type in (EventType.SPLIT, EventType.MERGE):
            sources = [line.item_id for line in self.cmd.inputs]
        found = [
            _aware(item.expires_at)
            for i in sources
            if (item := self.items.get(i)) is not None and item.expires_at is not None
        ]
        return min(found) if found else None

    def first_unit(self, item_id: str) -> str:
        for line in [*self.cmd.inputs, *self.cmd.outputs]:
            if line.item_id == item_id and line.unit:
                return line.unit
        return "EA"

    def item(self, item_id: str, field: str, *, incoming: bool = False) -> Item | None:
        """The item a line names. A fact may name an item never seen: it is created here."""
        item = self.items.get(item_id)
        if item is not None:
            return item
        if not self.is_fact:
            self.problem(field, f"unknown item {item_id}", E.NOT_FOUND)
            return None
        item = Item(
            id=item_id,
            kind=ItemKind.LOT,
            unit=self.first_unit(item_id),
            origin_known=incoming,
            organization_id=self.cmd.organization_id,
            created_by_event=self.event_id,
        )
        self.new_items[item_id] = item
        self.items[item_id] = item
        return item

    def location(self, location_id: str | None, field: str) -> str | None:
        if location_id is None:
            if self.is_fact:
                return UNKNOWN_ORIGIN
            self.problem(field, "a location is required", E.INVALID)
            return None
        if location_id in self.state.locations or location_id in self.new_locations:
            return location_id
        if not self.is_fact:
            self.problem(field, f"unknown location {location_id}", E.NOT_FOUND)
            return None
        self.new_locations[location_id] = Location(id=location_id, name=location_id, kind=LocationKind.LOCATION)
        return location_id

    def is_virtual(self, location_id: str) -> bool:
        loc = self.state.locations.get(location_id)
        return loc is not None and loc.is_virtual

    def only_location(self, item: Item) -> str | None:
        """Where an item is, when it is on hand in exactly one real location."""
        places = [
            loc for (i, loc), q in self.balances.items() if i == item.id and q > EPSILON and not self.is_virtual(loc)
        ]
        return places[0] if len(places) == 1 else None

    # -- quantities -------------------------------------------------------------------------

    def to_item_unit(self, line: Line, item: Item, field: str) -> float | None:
        """The line's quantity in the item's unit, or None (with a problem) if it has none."""
        qty = line.quantity
        if qty is None:
            return None
        if item.kind is ItemKind.SERIAL and line.unit is None and qty != 1 and not self.is_fact:
            self.problem(f"{field}.quantity", "a serial is one unit: quantity must be 1", E.INVALID_QUANTITY)
            return None
        unit = line.unit or item.unit
        material = self.state.materials.get(item.material_id) if item.material_id else None
        factor = conversion_factor(unit, item.unit, item.conversions, material.conversions if material else {})
        if factor is None:
            if self.is_fact:
                self.breach(
                    FindingKind.UNIT_MISMATCH,
                    f"{field}.unit",
                    f"{unit} does not convert into {item.unit}, the unit of {item.id}; kept as given",
                    E.UNKNOWN_UNIT,
                    item=item.id,
                    quantity=qty,
                )
                return qty
            self.problem(
                f"{field}.unit",
                f"unknown unit {unit} for item {item.id} (kept in {item.unit}; declare a conversion)",
                E.UNKNOWN_UNIT,
            )
            return None
        if item.kind is ItemKind.SERIAL and item.unit == "EA" and abs(qty * factor - 1) > EPSILON and not self.is_fact:
            self.problem(f"{field}.quantity", "a serial is one unit: quantity must be 1", E.INVALID_QUANTITY)
            return None
        return qty * factor

    def positive(self, line: Line, field: str, *, allow_zero: bool = False) -> bool:
        if line.quantity is None:
            return True
        if line.quantity < 0 or (line.quantity == 0 and not allow_zero):
            self.problem(
                f"{field}.quantity",
                f"quantity must be {'zero or more' if allow_zero else 'greater than zero'}, got {line.quantity:g}",
                E.INVALID_QUANTITY,
            )
            return False
        return True

    def take(self, line: Line, field: str, default_location: str | None) -> tuple[Item, str, float] | None:
        """An input line: the item, its source location and the quantity it gives up."""
        if not self.positive(line, field):
            return None
        item = self.item(line.item_id, f"{field}.itemId")
        if item is None:
            return None
        loc_id = line.location_id or default_location or self.only_location(item)
        if loc_id is None and not self.is_fact:
            self.problem(
                f"{field}.locationId",
                f"item {item.id} is not on hand in exactly one location: name the location",
                E.INVALID,
            )
            return None
        loc = self.location(loc_id, f"{field}.locationId")
        if loc is None:
            return None
        on_hand = self.balances.get((item.id, loc), 0.0)
        qty = self.to_item_unit(line, item, field)
        if qty is None:
            if line.quantity is not None:
                return None
            qty = on_hand if on_hand > EPSILON else (1.0 if self.is_fact else 0.0)
            if qty <= 0:
                self.problem(f"{field}.quantity", f"nothing of {item.id} is on hand at {loc}", E.INSUFFICIENT_STOCK)
                return None
        if self.is_fact and not item.origin_known and item.id in self.new_items and not self.is_virtual(loc):
            # First seen in this fact: its other side comes from an unknown origin.
            self.moves.append(Move(item_id=item.id, from_location_id=UNKNOWN_ORIGIN, to_location_id=loc, quantity=qty))
            self.shift(item.id, UNKNOWN_ORIGIN, loc, qty)
            self.breach(
                FindingKind.UNKNOWN_ORIGIN,
                field,
                f"{item.id} first seen in event {self.event_id}, with no recorded origin",
                E.NOT_FOUND,
                item=item.id,
                location=loc,
                quantity=qty,
            )
            on_hand = self.balances.get((item.id, loc), 0.0)
        if not self.is_virtual(loc) and qty > on_hand + EPSILON * max(1.0, qty):
            self.breach(
                FindingKind.NEGATIVE_ON_HAND,
                f"{field}.quantity",
                f"{qty:g} {item.unit} of {item.id} requested at {loc}, {on_hand:g} on hand",
                E.INSUFFICIENT_STOCK,
                item=item.id,
                location=loc,
                quantity=qty - on_hand,
            )
        first = item.first_event_time
        if first is not None and self.event_time < _aware(first):
            self.breach(
                FindingKind.CONSUMED_BEFORE_RECEIPT,
                field,
                f"{item.id} used at {self.event_time.isoformat()}, before its first event "
                f"at {_aware(first).isoformat()}",
                E.INVALID,
                item=item.id,
                location=loc,
            )
        return item, loc, qty

    def give(
        self,
        line: Line,
        field: str,
        default_location: str | None,
        default_qty: float | None = None,
    ) -> tuple[Item, str, float] | None:
        """An output line: the item, its destination and the quantity it receives."""
        if not self.positive(line, field):
            return None
        item = self.item(line.item_id, f"{field}.itemId", incoming=True)
        if item is None:
            return None
        loc = self.location(line.location_id or default_location, f"{field}.locationId")
        if loc is None:
            return None
        qty = self.to_item_unit(line, item, field)
        if qty is None:
            if line.quantity is not None:
                return None
            # A serial is one unit, whatever its inputs add up to (an assembly of three parts).
            qty = 1.0 if item.kind is ItemKind.SERIAL else default_qty
            if qty is None:
                self.problem(f"{field}.quantity", "a quantity is required", E.INVALID_QUANTITY)
                return None
        return item, loc, qty

    def shift(self, item_id: str, src: str, dst: str, qty: float, second: float | None = None) -> None:
        self.balances[(item_id, src)] = self.balances.get((item_id, src), 0.0) - qty
        self.balances[(item_id, dst)] = self.balances.get((item_id, dst), 0.0) + qty
        if second is not None:
            self.second_balances[(item_id, src)] = self.second_balances.get((item_id, src), 0.0) - second
            self.second_balances[(item_id, dst)] = self.second_balances.get((item_id, dst), 0.0) + second

    def move(
        self,
        item: Item,
        src: str,
        dst: str,
        qty: float,
        line: Line | None = None,
        field: str = "inputs",
        *,
        second: float | None = None,
    ) -> None:
        """Move `qty` of an item (in its unit) from `src` to `dst`; for a material tracked in two
        units, its second quantity too: `second` when known (a reversal), else the line's (catch
        weight), else derived (see `second_quantity`)."""
        if qty < 0 or (qty == 0 and not second):
            return
        if second is None:
            second = self.second_quantity(item, src, qty, line, field)
        self.moves.append(
            Move(item_id=item.id, from_location_id=src, to_location_id=dst, quantity=qty, second_quantity=second)
        )
        self.shift(item.id, src, dst, qty, second)

    def material_of(self, item: Item) -> Material | None:
        return self.state.materials.get(item.material_id) if item.material_id else None

    def second_quantity(self, item: Item, src: str, qty: float, line: Line | None, field: str) -> float | None:
        """What a move of `qty` of an item from `src` moves in its material's second unit (None for
        a material tracked in one). Derived by the lot's own conversion (domain/units.py); for a
        catch-weight material the line's weighed `secondQuantity`, else the same share of what is
        on hand at `src` — material arriving from a virtual location (a receipt, a production's
        output, a count's gain) must be weighed: a command without it is refused."""
        given = line.second_quantity if line is not None else None
        material = self.material_of(item)
        if material is None or material.second_unit is None:
            if given is not None and not self.is_fact:
                self.problem(
                    f"{field}.secondQuantity",
                    f"material {item.material_id or '(none)'} of {item.id} is tracked in one unit: give quantity only",
                    E.INVALID_QUANTITY,
                )
            return None
        if not material.catch_weight:
            if given is not None and not self.is_fact:
                self.problem(
                    f"{field}.secondQuantity",
                    f"material {material.id} is not catch weight: its {material.second_unit} quantity is derived "
                    f"from {item.unit} by the lot's conversion; give quantity only",
                    E.INVALID_QUANTITY,
                )
            return in_second_unit(qty, item.unit, material.second_unit, item.conversions, material.conversions)
        if given is not None:
            if given < 0 or (given == 0 and qty > EPSILON):
                self.problem(
                    f"{field}.secondQuantity",
                    f"secondQuantity must be greater than zero, got {given:g}",
                    E.INVALID_QUANTITY,
                )
                return None
            on_hand2 = self.second_balances.get((item.id, src), 0.0)
            if not self.is_virtual(src) and given > on_hand2 + EPSILON * max(1.0, given):
                self.breach(
                    FindingKind.NEGATIVE_ON_HAND,
                    f"{field}.secondQuantity",
                    f"{given:g} {material.second_unit} of {item.id} requested at {src}, {on_hand2:g} on hand",
                    E.INSUFFICIENT_STOCK,
                    item=item.id,
                    location=src,
                    quantity=given - on_hand2,
                )
            return given
        on_hand = self.balances.get((item.id, src), 0.0)
        if not self.is_virtual(src) and on_hand > EPSILON:
            on_hand2 = self.second_balances.get((item.id, src), 0.0)
            return on_hand2 if qty >= on_hand - EPSILON * max(1.0, qty) else on_hand2 * qty / on_hand
        if self.is_fact:  # not weighed: the nominal conversion, where there is one
            return in_second_unit(qty, item.unit, material.second_unit, item.conversions, material.conversions)
        self.problem(
            f"{field}.secondQuantity",
            f"material {material.id} is catch weight: {item.id} arriving at {self.cmd.type.value} is weighed, "
            f"give its secondQuantity in {material.second_unit} beside its quantity in {item.unit}",
            E.INVALID_QUANTITY,
        )
        return None

    def check_serials(self) -> None:
        """A serial is one unit: after the event it may be on hand in one real place, once."""
        for item_id in dict.fromkeys(m.item_id for m in self.moves):
            item = self.items.get(item_id)
            if item is None or item.kind is not ItemKind.SERIAL:
                continue
            total = sum(
                q for (i, loc), q in self.balances.items() if i == item_id and q > EPSILON and not self.is_virtual(loc)
            )
            if total > 1 + EPSILON:
                self.breach(
                    FindingKind.DUPLICATE_SERIAL,
                    "inputs",
                    f"serial {item_id} would be on hand {total:g} times; a serial is one unit",
                    E.DUPLICATE_SERIAL,
                    item=item_id,
                    quantity=total,
                )

    def classification(self, status: str) -> Classification:
        return classification_of(status, self.state.classifications)

    def known_classification(self, status: str, field: str) -> bool:
        """Whether a classification a command names exists (a fact may name any)."""
        if status in self.state.classifications or status in DEFAULT_CLASSIFICATIONS or self.is_fact:
            return True
        self.problem(field, f"unknown classification {status}", E.NOT_FOUND)
        return False

    def check_status(self, item: Item, field: str, *, action: str) -> None:
        """Whether the item's classification lets it be issued (or consumed), shipped, packed,
        moved or split: a command that does what it forbids is refused, a fact kept with a finding."""
        c = self.classification(item.status)
        if getattr(c, f"may_{action}"):
            return
        verb = _VERBS[action]
        named = c.id if c.name in (c.id, "") else f"{c.id} ({c.name})"
        self.breach(
            FindingKind.STATUS_VIOLATION,
            f"{field}.itemId",
            f"{item.id} is classified {named}: it may not be {verb}",
            E.STATUS_FORBIDS,
            item=item.id,
        )

    def check_expiry(self, item: Item, field: str, *, shipping: bool) -> None:
        """Judged at the event's time: an expired lot may be neither issued, consumed nor
        shipped; a shipped lot must have its material's minimum remaining shelf life left."""
        if item.expires_at is None:
            return
        expires = _aware(item.expires_at).isoformat()
        when = self.event_time.isoformat()
        if is_expired(item, self.event_time):
            verb = "shipped" if shipping else "issued or consumed"
            self.breach(
                FindingKind.EXPIRED,
                f"{field}.itemId",
                f"{item.id} expired at {expires}: it may not be {verb} at {when}",
                E.EXPIRED,
                item=item.id,
            )
            return
        material = self.state.materials.get(item.material_id) if item.material_id else None
        if shipping and too_short_to_ship(item, material, self.event_time):
            assert material is not None and material.min_remaining_shelf_life_days is not None
            self.breach(
                FindingKind.SHELF_LIFE_TOO_SHORT,
                f"{field}.itemId",
                f"{item.id} expires at {expires}, {days_left(item.expires_at, self.event_time):.1f} days after "
                f"{when}: material {material.id} ships with at least "
                f"{material.min_remaining_shelf_life_days} days of shelf life left",
                E.SHELF_LIFE_TOO_SHORT,
                item=item.id,
            )

    def require(self, lines: list[Line], name: str, *, at_least: int = 1, at_most: int | None = None) -> bool:
        if len(lines) < at_least or (at_most is not None and len(lines) > at_most):
            bound = f"exactly {at_least}" if at_most == at_least else f"at least {at_least}"
            if at_most is not None and at_most != at_least:
                bound = f"between {at_least} and {at_most}"
            self.problem(name, f"a {self.cmd.type.value} event needs {bound} {name}", E.INVALID)
            return False
        return True

    # -- event types ------------------------------------------------------------------------

    def default_source(self) -> str | None:
        return self.cmd.from_location_id or self.cmd.location_id

    def default_destination(self) -> str | None:
        return self.cmd.to_location_id or self.cmd.location_id

    def plan_receive(self, origin: str = SUPPLIER) -> None:
        self.require(self.cmd.outputs, "outputs")
        src = self.location(self.cmd.from_location_id or origin, "fromLocationId")
        for i, line in enumerate(self.cmd.outputs):
            got = self.give(line, f"outputs[{i}]", self.default_destination())
            if got and src:
                item, loc, qty = got
                self.move(item, src, loc, qty, line, f"outputs[{i}]")

    def plan_return(self) -> None:
        self.plan_receive(origin=CUSTOMER)

    def transform(self, *, one_input: bool = False, one_output: bool = False) -> None:
        cmd = self.cmd
        self.require(
            cmd.inputs, "inputs", at_least=0 if cmd.type is EventType.PRODUCE else 1, at_most=1 if one_input else None
        )
        self.require(cmd.outputs, "outputs", at_least=1, at_most=1 if one_output else None)
        taken: list[tuple[Item, str, float]] = []
        for i, line in enumerate(cmd.inputs):
            got = self.take(line, f"inputs[{i}]", self.default_source())
            if got is None:
                continue
            if cmd.type in _CONSUMING:
                self.check_status(got[0], f"inputs[{i}]", action="issue")
                self.check_expiry(got[0], f"inputs[{i}]", shipping=False)
            elif cmd.type is EventType.SPLIT:
                self.check_status(got[0], f"inputs[{i}]", action="split")
            taken.append(got)
            self.taken.append((i, got))
            # Moved at once, so a second line of the same item sees what the first took.
            self.move(got[0], got[1], PRODUCTION, got[2], line, f"inputs[{i}]")
        given: list[tuple[Item, str, float]] = []
        lines: list[tuple[Line, str]] = []
        default_qty = None
        if len(cmd.outputs) == 1 and taken and len({t[0].unit for t in taken}) == 1:
            default_qty = sum(t[2] for t in taken)
        for i, line in enumerate(cmd.outputs):
            same_unit = (
                default_qty is not None
                and self.items.get(line.item_id) is not None
                and self.items[line.item_id].unit == taken[0][0].unit
            )
            got = self.give(line, f"outputs[{i}]", self.default_destination(), default_qty if same_unit else None)
            if got:
                given.append(got)
                lines.append((line, f"outputs[{i}]"))
        self.given = given
        if self.problems:
            return
        for (item, loc, qty), (line, at) in zip(given, lines, strict=True):
            self.move(item, PRODUCTION, loc, qty, line, at)
        kind = _LINK_KIND[cmd.type]
        # Each input is shared among the outputs in proportion to what each received (in equal
        # parts when the outputs are kept in different units): a link's quantity is the part of
        # its source that went into its target.
        same_unit = len({item.unit for item, _, _ in given}) == 1
        made = sum(q for _, _, q in given)
        for src, _, qty in taken:
            for dst, _, out_qty in given:
                if src.id != dst.id:
                    share = out_qty / made if same_unit and made > EPSILON else 1 / len(given)
                    self.links.append(Link(source_id=src.id, target_id=dst.id, kind=kind, quantity=qty * share))

    def plan_issue(self) -> None:
        self.transform(one_output=True)

    def plan_produce(self) -> None:
        self.transform()
        if self.problems and not self.is_fact:
            return
        slots: dict[int, str] = {}
        if self.cmd.composition_id:
            composition = self.composition()
            if composition is not None:
                products = [(item, q) for item, _, q in self.given if item.material_id == composition.material_id]
                made = sum(q for _, q in products) if products else 1.0
                wrong = [] if products else [item for item, _, _ in self.given]
                used = [
                    Used(item.id, item.material_id, qty, self.cmd.inputs[i].slot, i) for i, (item, _, qty) in self.taken
                ]
                slots = self.check_composition(composition, used, made, wrong, partial=False)
        # A serial made of its inputs is an assembly: they are its components, which a later
        # DISASSEMBLE may take out again.
        if len(self.given) == 1 and self.given[0][0].kind is ItemKind.SERIAL and self.taken:
            self.install(self.given[0][0], [(i, got, self.cmd.inputs[i].slot or slots.get(i)) for i, got in self.taken])

    # -- assemblies (domain/composition.py) ---------------------------------------------------

    def composition(self) -> CompositionList | None:
        cid = self.cmd.composition_id
        if cid is None:
            return None
        found = self.state.compositions.get(cid)
        if found is None and not self.is_fact:
            self.problem("compositionId", f"unknown composition list {cid}", E.NOT_FOUND)
        return found

    def component_factor(self, component: Any) -> float | None:
        """A component's quantity in its material's base unit, per unit of its own."""
        material = self.state.materials.get(component.material_id)
        if component.unit is None or material is None:
            return 1.0
        return conversion_factor(component.unit, material.base_unit, {}, material.conversions)

    def check_composition(
        self,
        composition: CompositionList,
        used: list[Used],
        made: float,
        wrong_products: list[Item],
        *,
        partial: bool,
    ) -> dict[int, str]:
        """Compare the event with its list; each mismatch refuses a command when the list says
        REFUSE, else (and for a fact) becomes a finding. The slot given to each input line."""
        outcome = compare(composition, used, made, self.component_factor, partial=partial)
        mismatches = [
            Mismatch(
                kind=MismatchKind.WRONG_MATERIAL,
                message=f"composition list {composition.id} is for material {composition.material_id}; "
                f"{item.id} is of material {item.material_id or 'unknown'}",
                material_id=item.material_id,
                item_id=item.id,
            )
            for item in wrong_products
        ]
        check = CompositionCheck(composition_id=composition.id, mismatches=[*mismatches, *outcome.check.mismatches])
        self.composition_check = check
        refuse = composition.on_mismatch is OnMismatch.REFUSE and not self.is_fact
        for m in check.mismatches:
            if refuse:
                field = f"inputs[{m.line}].itemId" if m.line is not None else "compositionId"
                self.problem(field, m.message, _MISMATCH_CODES[m.kind])
            else:
                self.finding(FindingKind.COMPOSITION_MISMATCH, m.message, item=m.item_id)
        return outcome.slots

    def install(self, assembly: Item, parts: list[tuple[int, tuple[Item, str, float], str | None]]) -> None:
        held = list(assembly.components)
        for _, (item, _, qty), slot in parts:
            held.append(
                InstalledComponent(
                    item_id=item.id, material_id=item.material_id, slot=slot, quantity=qty, event_id=self.event_id
                )
            )
            self.component_changes.append(
                ComponentChange(
                    assembly_id=assembly.id, item_id=item.id, material_id=item.material_id, slot=slot, quantity=qty
                )
            )
        self.set_item(self.items[assembly.id].model_copy(update={"components": held}))

    def plan_assemble(self) -> None:
        """Components installed into an existing assembly, which does not move: each leaves
        stock (into production) and is linked into it (INSTALLED)."""
        cmd = self.cmd
        self.require(cmd.inputs, "inputs")
        self.require(cmd.outputs, "outputs", at_least=1, at_most=1)
        if len(cmd.outputs) != 1:
            return
        if cmd.outputs[0].quantity is not None and not self.is_fact:
            self.problem("outputs[0].quantity", "the assembly does not move: give no quantity", E.INVALID_QUANTITY)
        assembly = self.item(cmd.outputs[0].item_id, "outputs[0].itemId", incoming=True)
        taken: list[tuple[int, tuple[Item, str, float]]] = []
        for i, line in enumerate(cmd.inputs):
            got = self.take(line, f"inputs[{i}]", self.default_source())
            if got is None:
                continue
            if assembly is not None and got[0].id == assembly.id:
                self.problem(f"inputs[{i}].itemId", f"{assembly.id} cannot be installed into itself", E.INVALID)
                continue
            self.check_status(got[0], f"inputs[{i}]", action="issue")
            self.check_expiry(got[0], f"inputs[{i}]", shipping=False)
            taken.append((i, got))
            self.move(got[0], got[1], PRODUCTION, got[2])
        if assembly is None or (self.problems and not self.is_fact):
            return
        occupied = {c.slot: c.item_id for c in assembly.components if c.slot}
        fresh: list[tuple[int, tuple[Item, str, float]]] = []
        for i, got in taken:
            slot = cmd.inputs[i].slot
            if slot is not None and slot in occupied:
                self.breach(
                    FindingKind.COMPOSITION_MISMATCH,
                    f"inputs[{i}].slot",
                    f"slot {slot} of {assembly.id} holds {occupied[slot]}: take it out first (DISASSEMBLE)",
                    E.SLOT_OCCUPIED,
                    item=got[0].id,
                )
                continue
            if slot is not None:
                occupied[slot] = got[0].id
            fresh.append((i, got))
        slots: dict[int, str] = {}
        composition = self.composition()
        if composition is not None:
            held = [Used(c.item_id, c.material_id, c.quantity or 1.0, c.slot) for c in assembly.components]
            new = [Used(item.id, item.material_id, qty, cmd.inputs[i].slot, i) for i, (item, _, qty) in fresh]
            wrong = [assembly] if assembly.material_id != composition.material_id else []
            slots = self.check_composition(composition, held + new, 1.0, wrong, partial=True)
        for _, (item, _, qty) in fresh:
            self.links.append(Link(source_id=item.id, target_id=assembly.id, kind=LinkKind.INSTALLED, quantity=qty))
        self.install(assembly, [(i, got, cmd.inputs[i].slot or slots.get(i)) for i, got in fresh])

    def plan_disassemble(self) -> None:
        """Components taken out of an assembly (the one input, which does not move), each back
        into stock at its line's location (else `toLocationId`, the event's location). Their
        INSTALLED links stay: a trace still finds the assembly they were in."""
        cmd = self.cmd
        self.require(cmd.inputs, "inputs", at_least=1, at_most=1)
        self.require(cmd.outputs, "outputs")
        if len(cmd.inputs) != 1:
            return
        assembly = self.item(cmd.inputs[0].item_id, "inputs[0].itemId", incoming=True)
        if assembly is None:
            return
        held = list(assembly.components)
        for i, line in enumerate(cmd.outputs):
            f = f"outputs[{i}]"
            if not self.positive(line, f):
                continue
            item = self.item(line.item_id, f"{f}.itemId", incoming=True)
            loc = self.location(line.location_id or self.default_destination(), f"{f}.locationId")
            if item is None or loc is None:
                continue
            there = [c for c in held if c.item_id == item.id]
            installed = sum(c.quantity if c.quantity is not None else 1.0 for c in there)
            qty = self.to_item_unit(line, item, f) if line.quantity is not None else (installed if there else 1.0)
            if qty is None:
                continue
            if not there or qty > installed + EPSILON * max(1.0, qty):
                self.breach(
                    FindingKind.COMPOSITION_MISMATCH,
                    f"{f}.itemId",
                    f"{item.id} is not in assembly {assembly.id}"
                    if not there
                    else f"{qty:g} {item.unit} of {item.id} taken out of {assembly.id}, which holds {installed:g}",
                    E.NOT_INSTALLED,
                    item=item.id,
                )
                if not self.is_fact:
                    continue
            held = _take_out(held, item.id, qty)
            self.move(item, PRODUCTION, loc, qty)
            self.component_changes.append(
                ComponentChange(
                    assembly_id=assembly.id,
                    item_id=item.id,
                    installed=False,
                    material_id=item.material_id,
                    slot=there[0].slot if there else line.slot,
                    quantity=qty,
                )
            )
        self.set_item(self.items[assembly.id].model_copy(update={"components": held}))

    def plan_split(self) -> None:
        self.transform(one_input=True)

    def plan_merge(self) -> None:
        self.transform(one_output=True)

    def container(self) -> Item | None:
        cid = self.cmd.container_id
        if cid is None:
            self.problem("containerId", "a container is required", E.INVALID)
            return None
        return self.item(cid, "containerId", incoming=True)

    def plan_pack(self) -> None:
        self.require(self.cmd.inputs, "inputs")
        box = self.container()
        for i, line in enumerate(self.cmd.inputs):
            got = self.take(line, f"inputs[{i}]", self.default_source())
            if got:
                self.check_status(got[0], f"inputs[{i}]", action="pack")
                if box is not None:
                    self.check_allowed(box, got[0], f"inputs[{i}]")
            if got and box is not None and got[0].id != box.id:
                self.links.append(Link(source_id=got[0].id, target_id=box.id, kind=LinkKind.PACKED, quantity=got[2]))

    def check_allowed(self, box: Item, item: Item, field: str) -> None:
        """A container with allowed materials takes no other (domain/containers.py)."""
        why = not_allowed(box, item)
        if why is not None:
            self.breach(
                FindingKind.MATERIAL_NOT_ALLOWED,
                f"{field}.itemId",
                why,
                E.MATERIAL_NOT_ALLOWED,
                item=item.id,
            )

    def plan_unpack(self) -> None:
        self.container()
        for i, line in enumerate(self.cmd.inputs):
            self.item(line.item_id, f"inputs[{i}].itemId")

    def plan_clean(self) -> None:
        box = self.container()
        if box is not None and box.kind is not ItemKind.CONTAINER and not self.is_fact:
            self.problem("containerId", f"{box.id} is not a container", E.INVALID)

    def plan_observe(self) -> None:
        for i, line in enumerate([*self.cmd.inputs, *self.cmd.outputs]):
            self.item(line.item_id, f"items[{i}].itemId", incoming=True)
        if self.cmd.container_id:
            self.container()

    def send(self, destination: str | None, field: str, *, shipping: bool = False, moving: bool = False) -> None:
        self.require(self.cmd.inputs, "inputs")
        dst = self.location(destination, field)
        for i, line in enumerate(self.cmd.inputs):
            got = self.take(line, f"inputs[{i}]", self.default_source())
            if got is None or dst is None:
                continue
            item, loc, qty = got
            if shipping:
                self.check_status(item, f"inputs[{i}]", action="ship")
                self.check_expiry(item, f"inputs[{i}]", shipping=True)
            elif moving:
                self.check_status(item, f"inputs[{i}]", action="move")
            if loc == dst:
                self.problem(field, f"{item.id} is already at {dst}", E.INVALID)
                continue
            self.move(item, loc, dst, qty, line, f"inputs[{i}]")

    def plan_move(self) -> None:
        self.send(self.cmd.to_location_id, "toLocationId", moving=True)

    def ship_destination(self) -> str:
        return self.cmd.to_location_id or CUSTOMER

    def plan_ship(self) -> None:
        self.send(self.ship_destination(), "toLocationId", shipping=True)

    def plan_scrap(self) -> None:
        self.send(SCRAP, "toLocationId")

    def plan_adjust(self) -> None:
        """A count: each line gives the quantity counted at a location; the difference is booked."""
        self.require(self.cmd.inputs, "inputs")
        for i, line in enumerate(self.cmd.inputs):
            field = f"inputs[{i}]"
            if line.quantity is None:
                self.problem(f"{field}.quantity", "the counted quantity is required", E.INVALID_QUANTITY)
                continue
            if not self.positive(line, field, allow_zero=True):
                continue
            item = self.item(line.item_id, f"{field}.itemId", incoming=True)
            loc = self.location(line.location_id or self.cmd.location_id, f"{field}.locationId")
            if item is None or loc is None:
                continue
            counted = self.to_item_unit(line, item, field)
            if counted is None:
                continue
            delta = counted - self.balances.get((item.id, loc), 0.0)
            second = self.counted_second(item, loc, line, field)
            if second is None:  # one unit, or the second derived by the move
                if delta > 0:
                    self.move(item, INVENTORY_LOSS, loc, delta, line, field)
                elif delta < 0:
                    self.move(item, loc, INVENTORY_LOSS, -delta, line, field)
            elif delta >= 0 and second >= 0:
                self.move(item, INVENTORY_LOSS, loc, delta, second=second)
            elif delta <= 0 and second <= 0:
                self.move(item, loc, INVENTORY_LOSS, -delta, second=-second)
            else:  # more of one unit, less of the other: one move each
                self.move(item, INVENTORY_LOSS, loc, max(delta, 0.0), second=max(second, 0.0))
                self.move(item, loc, INVENTORY_LOSS, max(-delta, 0.0), second=max(-second, 0.0))

    def counted_second(self, item: Item, loc: str, line: Line, field: str) -> float | None:
        """What a count changes of a balance in a catch-weight material's second unit: the counted
        second quantity less what is on hand; None (the move works it out) where none was given."""
        material = self.material_of(item)
        if line.second_quantity is None or material is None or not material.catch_weight:
            return None
        if line.second_quantity < 0:
            self.problem(
                f"{field}.secondQuantity", "the counted secondQuantity must be zero or more", E.INVALID_QUANTITY
            )
            return None
        return line.second_quantity - self.second_balances.get((item.id, loc), 0.0)

    def plan_reclassify(self) -> None:
        self.require(self.cmd.inputs, "inputs")
        if self.cmd.status is None:
            self.problem("status", "the new status is required", E.INVALID)
            return
        if not self.known_classification(self.cmd.status, "status"):
            return
        for i, line in enumerate(self.cmd.inputs):
            item = self.item(line.item_id, f"inputs[{i}].itemId")
            if item is not None and item.status != self.cmd.status:
                self.status_changes.append(
                    StatusChange(item_id=item.id, from_status=item.status, to_status=self.cmd.status)
                )
                self.set_item(item.model_copy(update={"status": self.cmd.status}))

    def plan_characteristics(self) -> None:
        self.require(self.cmd.inputs, "inputs")
        if not self.cmd.characteristics:
            self.problem("characteristics", "at least one characteristic is required", E.INVALID)
            return
        for i, line in enumerate(self.cmd.inputs):
            item = self.item(line.item_id, f"inputs[{i}].itemId")
            if item is not None:
                material = self.state.materials.get(item.material_id) if item.material_id else None
                given = self.cmd.characteristics
                item = self.judge_characteristics(item, material, given, "characteristics", new_item=False)
                values = {**item.characteristics, **given}
                self.set_item(item.model_copy(update={"characteristics": values}))

    def plan_correction(self) -> None:
        """Reverse an earlier event: its moves run backwards, its status changes are undone."""
        target_id = self.cmd.reverses
        if target_id is None:
            self.problem("reverses", "the event to reverse is required", E.INVALID)
            return
        target = self.state.events.get(target_id)
        if target is None:
            self.problem("reverses", f"unknown event {target_id}", E.NOT_FOUND)
            return
        if target_id in self.state.reversed_ids:
            self.problem("reverses", f"event {target_id} is already reversed", E.CONFLICT)
            return
        if target.type is EventType.CORRECTION:
            self.problem("reverses", f"event {target_id} is a correction: record the event again instead", E.INVALID)
            return
        for m in target.moves:
            item = self.items.get(m.item_id)
            if item is None:
                continue
            on_hand = self.balances.get((m.item_id, m.to_location_id), 0.0)
            if not self.is_virtual(m.to_location_id) and m.quantity > on_hand + EPSILON * max(1.0, m.quantity):
                self.breach(
                    FindingKind.NEGATIVE_ON_HAND,
                    "reverses",
                    f"reversing {target_id} takes {m.quantity:g} {item.unit} of {m.item_id} "
                    f"from {m.to_location_id}, where {on_hand:g} is on hand",
                    E.INSUFFICIENT_STOCK,
                    item=m.item_id,
                    location=m.to_location_id,
                    quantity=m.quantity,
                )
            self.move(item, m.to_location_id, m.from_location_id, m.quantity, second=m.second_quantity)
        for c in target.status_changes:
            item = self.items.get(c.item_id)
            if item is not None and item.status == c.to_status:
                self.status_changes.append(
                    StatusChange(item_id=item.id, from_status=c.to_status, to_status=c.from_status)
                )
                self.set_item(item.model_copy(update={"status": c.from_status}))
        for change in target.component_changes:  # an installation undone, a removal put back
            assembly = self.items.get(change.assembly_id)
            if assembly is None:
                continue
            undone = change.model_copy(update={"installed": not change.installed})
            if change.installed:
                held = _take_out(list(assembly.components), change.item_id, change.quantity or 1.0)
            else:
                back = InstalledComponent(
                    item_id=change.item_id,
                    material_id=change.material_id,
                    slot=change.slot,
                    quantity=change.quantity,
                    event_id=self.event_id,
                )
                held = [*assembly.components, back]
            self.component_changes.append(undone)
            self.set_item(assembly.model_copy(update={"components": held}))


def _take_out(held: list[InstalledComponent], item_id: str, qty: float) -> list[InstalledComponent]:
    """An assembly's components with `qty` of an item taken out (earliest installed first)."""
    out: list[InstalledComponent] = []
    left = qty
    for c in held:
        if c.item_id != item_id or left <= EPSILON:
            out.append(c)
            continue
        have = c.quantity if c.quantity is not None else 1.0
        if have > left + EPSILON:
            out.append(c.model_copy(update={"quantity": have - left}))
        left -= have
    return out


def batch_keys(cmds: list[EventCommand], reversed_events: dict[str, EventRecord]) -> StateKeys:
    """The union of what every command of a batch needs loaded."""
    parts = [keys_for(c, reversed_events.get(c.reverses) if c.reverses else None) for c in cmds]
    return StateKeys(
        event_ids=frozenset().union(*(k.event_ids for k in parts)),
        item_ids=frozenset().union(*(k.item_ids for k in parts)),
        location_ids=frozenset().union(*(k.location_ids for k in parts)),
        material_ids=frozenset().union(*(k.material_ids for k in parts)),
        serials=frozenset().union(*(k.serials for k in parts)),
        classification_ids=frozenset().union(*(k.classification_ids for k in parts)),
        composition_ids=frozenset().union(*(k.composition_ids for k in parts)),
        action_type_ids=frozenset().union(*(k.action_type_ids for k in parts)),
    )


def advance(state: LedgerState, entry: LedgerEntry) -> None:
    """Apply an entry's effects to a loaded state, so the next event of a batch sees them."""
    if entry.duplicate:
        return
    for item in [*entry.new_items, *entry.updated_items]:
        state.items[item.id] = item
        if item.kind is ItemKind.SERIAL and item.material_id and item.id in {i.id for i in entry.new_items}:
            # A fact may repeat a serial (kept as a finding): the first item keeps the number.
            state.serials.setdefault((item.material_id, item.lot_code or item.id), item.id)
    for loc in entry.new_locations:
        state.locations[loc.id] = loc
    for key, delta in entry.balance_deltas().items():
        state.balances[key] = state.balances.get(key, 0.0) + delta
    for key, delta in entry.second_deltas().items():
        state.second_balances[key] = state.second_balances.get(key, 0.0) + delta
    state.events[entry.event.id] = entry.event
    if entry.event.reverses:
        state.reversed_ids.add(entry.event.reverses)


def plan_batch(
    cmds: list[EventCommand],
    state: LedgerState,
    *,
    source: Source = Source.COMMAND,
    now: datetime | None = None,
) -> list[LedgerEntry]:
    """Plan events in order on one loaded state; a command refused refuses the batch.

    Problems are reported with the index of the event they belong to (`events[3].inputs[0]...`)
    when the batch holds more than one event.
    """
    entries: list[LedgerEntry] = []
    problems: list[Problem] = []
    for n, cmd in enumerate(cmds):
        try:
            entry = plan(cmd, state, source=source, now=now)
        except DomainError as e:
            if len(cmds) == 1:
                raise
            problems += [
                Problem(f"events[{n}].{p.field}" if p.field else f"events[{n}]", p.message, p.code) for p in e.problems
            ]
            continue
        advance(state, entry)
        entries.append(entry)
    if problems:
        raise DomainError(problems)
    return entries


def plan_requests(
    requests: list[tuple[list[EventCommand], Source]],
    state: LedgerState,
    *,
    now: datetime | None = None,
) -> list[list[LedgerEntry] | DomainError]:
    """Plan several independent requests (each a batch, all or nothing) on one loaded state, in
    order: each sees what the ones before it recorded, and one refused leaves the others and the
    state as they would be without it. For writing many requests in one transaction."""
    out: list[list[LedgerEntry] | DomainError] = []
    for cmds, source in requests:
        trial = state.copy() if len(requests) > 1 else state
        try:
            entries = plan_batch(cmds, trial, source=source, now=now)
        except DomainError as e:
            out.append(e)
            continue
        if trial is not state:
            state.__dict__.update(trial.__dict__)
        out.append(entries)
    return out
