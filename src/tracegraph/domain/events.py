"""Events: the commands and facts that change the ledger, and what the ledger records of them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, NamedTuple

from pydantic import Field

from .actions import EventAction
from .composition import CompositionCheck, Slot
from .models import (
    Characteristic,
    ContainerType,
    Identifier,
    Item,
    ItemKind,
    Location,
    Model,
    Name,
    Shipment,
    Text,
    Unit,
)

MAX_LINES = 1000
MAX_ALLOWED_MATERIALS = 100


class EventType(str, Enum):
    RECEIVE = "RECEIVE"
    ISSUE = "ISSUE"  # lot -> batch
    PRODUCE = "PRODUCE"  # consume inputs, create outputs; also assemble
    SPLIT = "SPLIT"  # into sub-lots or units
    MERGE = "MERGE"  # merge or blend
    PACK = "PACK"
    UNPACK = "UNPACK"
    MOVE = "MOVE"
    SHIP = "SHIP"
    RETURN = "RETURN"
    ADJUST = "ADJUST"  # cycle count
    SCRAP = "SCRAP"
    RECLASSIFY = "RECLASSIFY"  # status change
    CHARACTERISTICS = "CHARACTERISTICS"
    CORRECTION = "CORRECTION"  # reverses an earlier event
    OBSERVE = "OBSERVE"  # a sighting, no quantity changes (EPCIS OBSERVE)
    CLEAN = "CLEAN"  # a permanent container cleaned: what it held before no longer touches what follows
    # Components installed into an existing assembly (inputs: the components; the one output:
    # the assembly, which does not move) and taken out of it again (the one input: the
    # assembly; outputs: the components, each back into stock where its line says).
    ASSEMBLE = "ASSEMBLE"
    DISASSEMBLE = "DISASSEMBLE"


class Source(str, Enum):
    COMMAND = "COMMAND"  # a GraphQL mutation, checked against the ledger
    FACT = "FACT"  # a reported fact (EPCIS): checked for form, imbalances kept as findings


class LinkKind(str, Enum):
    ISSUED = "ISSUED"
    CONSUMED = "CONSUMED"
    SPLIT = "SPLIT"
    MERGED = "MERGED"
    PACKED = "PACKED"
    INSTALLED = "INSTALLED"  # a component installed into an assembly (ASSEMBLE); kept once it is taken out
    # Not stored: a trace's link between two occupants of one permanent container, between
    # cleanings (see domain/trace.py).
    CONTACT = "CONTACT"


Quantity = Annotated[float, Field(allow_inf_nan=False)]


class Line(Model):
    """A quantity of an item, at a location (the source for inputs, the destination for outputs)."""

    item_id: Identifier
    quantity: Quantity | None = None
    unit: Unit | None = None
    location_id: Identifier | None = None
    # For a catch-weight material: the quantity in its second unit, weighed (domain/units.py).
    second_quantity: Quantity | None = None
    # A component's slot in the assembly (PRODUCE of a serial, ASSEMBLE): "FRONT", "right engine".
    slot: Slot | None = None


class NewItem(Model):
    """An item this event brings into existence (a received lot, a produced serial, a new batch)."""

    id: Identifier
    kind: ItemKind = ItemKind.LOT
    material_id: Identifier | None = None
    lot_code: Annotated[str, Field(max_length=200)] | None = None
    parent_id: Identifier | None = None
    status: Identifier | None = None  # the id of its classification; RELEASED by default
    manufactured_at: datetime | None = None
    expires_at: datetime | None = None
    characteristics: dict[Annotated[str, Field(max_length=100)], Characteristic] = Field(
        default_factory=dict, max_length=100
    )
    conversions: dict[Unit, Annotated[float, Field(gt=0)]] = Field(default_factory=dict, max_length=50)
    container_type: ContainerType | None = None
    # For a container: the only materials that may be packed into it; none given, any.
    allowed_material_ids: list[Identifier] | None = Field(default=None, max_length=MAX_ALLOWED_MATERIALS)
    unit: Unit | None = None  # for items without a material (facts)


class EventCommand(Model):
    """Everything an event may say. Which fields an event type needs is the ledger's business."""

    type: EventType
    id: Identifier | None = None  # also the idempotency key
    event_time: datetime | None = None
    location_id: Identifier | None = None  # where it happened
    from_location_id: Identifier | None = None
    to_location_id: Identifier | None = None
    inputs: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    outputs: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    new_items: list[NewItem] = Field(default_factory=list, max_length=MAX_LINES)
    container_id: Identifier | None = None
    status: Identifier | None = None  # RECLASSIFY: the id of the new classification
    characteristics: dict[Annotated[str, Field(max_length=100)], Characteristic] = Field(
        default_factory=dict, max_length=100
    )
    reverses: Identifier | None = None
    # PRODUCE, ASSEMBLE: the composition list its inputs are compared with (domain/composition.py).
    composition_id: Identifier | None = None
    order_id: Identifier | None = None
    shipment_id: Identifier | None = None
    partner_id: Identifier | None = None
    biz_step: Text | None = None
    disposition: Text | None = None
    reason: Text | None = None
    recorded_by: Name | None = None
    organization_id: str | None = None
    # The batch action it records (a print job, a sieve): its type and parameters (domain/actions.py).
    action: EventAction | None = None
    # What a fact carried beyond the ledger's fields (an EPCIS event as captured), kept as is.
    extensions: dict[str, Any] = Field(default_factory=dict)


class Move(Model):
    """A double-entry move of an item's quantity (in the item's unit) between two locations."""

    item_id: str
    from_location_id: str
    to_location_id: str
    quantity: float
    # The same quantity in the second unit of a material tracked in two units (else None).
    second_quantity: float | None = None


class Link(Model):
    """`source -> target`: material of source is in target. Quantity is the source's, in its unit."""

    source_id: str
    target_id: str
    kind: LinkKind
    quantity: float | None = None


class ComponentChange(Model):
    """A component installed into an assembly (`installed`) or taken out of it by an event."""

    assembly_id: str
    item_id: str
    installed: bool = True
    material_id: str | None = None
    slot: str | None = None
    quantity: float | None = None


class StatusChange(Model):
    """An item's classification changed: the ids of the one before and the one after."""

    item_id: str
    from_status: str
    to_status: str


class FindingKind(str, Enum):
    NEGATIVE_ON_HAND = "NEGATIVE_ON_HAND"
    UNKNOWN_ORIGIN = "UNKNOWN_ORIGIN"
    CONSUMED_BEFORE_RECEIPT = "CONSUMED_BEFORE_RECEIPT"
    STATUS_VIOLATION = "STATUS_VIOLATION"  # a lot issued, shipped, packed, moved or split against its classification
    EXPIRED = "EXPIRED"  # a lot issued, consumed or shipped at or after its expiry
    SHELF_LIFE_TOO_SHORT = "SHELF_LIFE_TOO_SHORT"  # shipped with less than its material's minimum left
    UNIT_MISMATCH = "UNIT_MISMATCH"
    DUPLICATE_SERIAL = "DUPLICATE_SERIAL"
    MATERIAL_NOT_ALLOWED = "MATERIAL_NOT_ALLOWED"  # packed into a container that does not allow its material
    # A characteristic its material's definitions refuse (wrong type, not in the value table,
    # not defined), or a required one missing on a new item.
    INVALID_CHARACTERISTIC = "INVALID_CHARACTERISTIC"
    # A production or assembly that does not match its composition list (on a list set to
    # FINDING, or a reported fact), a component taken out of an assembly it is not in, a
    # slot given twice.
    COMPOSITION_MISMATCH = "COMPOSITION_MISMATCH"
    ACTION_INVALID = "ACTION_INVALID"  # a batch action its action type does not allow (domain/actions.py)


class Finding(Model):
    """An imbalance a reported fact brought into the ledger, kept for `tracegraph check`."""

    id: str
    kind: FindingKind
    message: str
    event_id: str
    item_id: str | None = None
    location_id: str | None = None
    quantity: float | None = None


class EventRecord(Model):
    """An event as the ledger keeps it: immutable once recorded."""

    id: str
    type: EventType
    source: Source
    event_time: datetime
    recorded_at: datetime
    location_id: str | None = None
    order_id: str | None = None
    shipment_id: str | None = None
    partner_id: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    reason: str | None = None
    recorded_by: str | None = None
    organization_id: str | None = None
    reverses: str | None = None
    item_ids: list[str] = Field(default_factory=list)
    moves: list[Move] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    status_changes: list[StatusChange] = Field(default_factory=list)
    component_changes: list[ComponentChange] = Field(default_factory=list)
    composition_check: CompositionCheck | None = None
    # Its batch action, its values read as their parameters' types (a fact's: as given).
    action: EventAction | None = None
    command: EventCommand


class LedgerEntry(Model):
    """Everything one event writes, in one transaction."""

    event: EventRecord
    new_items: list[Item] = Field(default_factory=list)
    updated_items: list[Item] = Field(default_factory=list)
    new_locations: list[Location] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    shipment: Shipment | None = None
    duplicate: bool = False  # the event was recorded before: nothing to write
    # Its place in the store's commit order (the `seq` of `events`), once the store wrote it.
    seq: int | None = None

    def numbered(self, seq: int) -> LedgerEntry:
        return self.model_copy(update={"seq": seq})

    def balance_deltas(self) -> dict[tuple[str, str], float]:
        deltas: dict[tuple[str, str], float] = {}
        for m in self.event.moves:
            deltas[(m.item_id, m.from_location_id)] = deltas.get((m.item_id, m.from_location_id), 0.0) - m.quantity
            deltas[(m.item_id, m.to_location_id)] = deltas.get((m.item_id, m.to_location_id), 0.0) + m.quantity
        return deltas

    def second_deltas(self) -> dict[tuple[str, str], float]:
        """What the moves change of balances in a second unit (moves of items tracked in two)."""
        deltas: dict[tuple[str, str], float] = {}
        for m in self.event.moves:
            if m.second_quantity is None:
                continue
            deltas[(m.item_id, m.from_location_id)] = (
                deltas.get((m.item_id, m.from_location_id), 0.0) - m.second_quantity
            )
            deltas[(m.item_id, m.to_location_id)] = deltas.get((m.item_id, m.to_location_id), 0.0) + m.second_quantity
        return deltas


class LogHead(NamedTuple):
    """A store's event log: its identity (server instances that share a store share its log)
    and the sequence number of its last committed event (0: none yet)."""

    log: str
    seq: int


def numbered(entries: list[LedgerEntry], last_seq: int) -> list[LedgerEntry]:
    """`entries` with their commit sequence numbers, those written (not duplicates) numbered in
    order after `last_seq`, as the stores write them."""
    out = []
    for entry in entries:
        if not entry.duplicate:
            last_seq += 1
            entry = entry.numbered(last_seq)
        out.append(entry)
    return out
