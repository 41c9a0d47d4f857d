"""Master data and traceable items."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .units import MAX_UNIT_LENGTH, normalize_unit

MAX_ID_LENGTH = 512
MAX_NAME_LENGTH = 300
MAX_TEXT_LENGTH = 4000

# An identifier is printable ASCII without spaces: local codes (LOT-2024-001), EPC URNs
# (urn:epc:class:lgtin:4012345.011111.4444) and GS1 Digital Link URIs all qualify.
_ID_RE = re.compile(r"^[\x21-\x7e]+$")


def _check_id(value: str) -> str:
    if not value:
        raise PydanticCustomError("invalid_identifier", "an identifier must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise PydanticCustomError(
            "string_too_long", f"an identifier is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"
        )
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "invalid_identifier", "an identifier may hold printable ASCII characters only, without spaces"
        )
    return value


def _check_unit(value: str) -> str:
    if not value or len(value) > MAX_UNIT_LENGTH or not value.replace("_", "").isalnum():
        raise ValueError(f"is not a unit of measure: {value[:40]!r}")
    return normalize_unit(value)


Identifier = Annotated[str, AfterValidator(_check_id)]
Unit = Annotated[str, AfterValidator(_check_unit)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tracking(str, Enum):
    LOT = "LOT"
    SERIAL = "SERIAL"
    NONE = "NONE"


class MaterialKind(str, Enum):
    RAW = "RAW"
    INTERMEDIATE = "INTERMEDIATE"
    PRODUCT = "PRODUCT"
    PACKAGING = "PACKAGING"
    BY_PRODUCT = "BY_PRODUCT"


class ItemKind(str, Enum):
    LOT = "LOT"
    SUBLOT = "SUBLOT"
    SERIAL = "SERIAL"
    BATCH = "BATCH"
    CONTAINER = "CONTAINER"
    # A material tracked by neither lot nor serial is held as one stock item per material.
    STOCK = "STOCK"


class ContainerType(str, Enum):
    PERMANENT = "PERMANENT"  # tank, silo, tote, bin: reused
    LOGISTIC = "LOGISTIC"  # pallet, case: an SSCC


class LocationKind(str, Enum):
    SITE = "SITE"
    AREA = "AREA"
    LOCATION = "LOCATION"
    VIRTUAL = "VIRTUAL"


class VirtualKind(str, Enum):
    SUPPLIER = "SUPPLIER"
    CUSTOMER = "CUSTOMER"
    PRODUCTION = "PRODUCTION"
    INVENTORY_LOSS = "INVENTORY_LOSS"
    SCRAP = "SCRAP"
    TRANSIT = "TRANSIT"
    UNKNOWN_ORIGIN = "UNKNOWN_ORIGIN"


class Status(str, Enum):
    """The five classifications every store holds (created with it): the codes a status had
    before classifications were master data, and those EPCIS dispositions map to."""

    QC = "QC"
    RELEASED = "RELEASED"
    HOLD = "HOLD"
    FAIL = "FAIL"
    REWORK = "REWORK"


# What each built-in classification allows: (may be issued or consumed, may be shipped). Packing,
# moving and splitting are allowed in all five, as they were before classifications had flags.
STATUS_RULES: dict[Status, tuple[bool, bool]] = {
    Status.RELEASED: (True, True),
    Status.QC: (True, False),
    Status.REWORK: (True, False),
    Status.HOLD: (False, False),
    Status.FAIL: (False, False),
}

_DEFAULT_NAMES = {
    Status.QC: ("Quality control", "Received or made, awaiting inspection: may be issued, not shipped."),
    Status.RELEASED: ("Released", "Inspected and released: may be issued and shipped."),
    Status.HOLD: ("On hold", "Held (a recall, a suspicion): may be neither issued nor shipped."),
    Status.FAIL: ("Failed", "Failed inspection: may be neither issued nor shipped."),
    Status.REWORK: ("Rework", "To be reworked: may be issued (to rework), not shipped."),
}

# An item's status is the id of a classification (a string).
ClassificationId = Identifier


class Classification(Model):
    """An inventory classification (status) and what stock in it may do: be issued or consumed
    (ISSUE, the inputs of PRODUCE and MERGE), shipped, packed, moved or split. Master data: an
    organization's own, or ownerless (the five built-ins); `partner_id` shares it with one
    partner organization, which may then see and use it."""

    id: Identifier
    name: Name
    description: Text | None = None
    may_issue: bool = True
    may_ship: bool = True
    may_pack: bool = True
    may_move: bool = True
    may_split: bool = True
    partner_id: Identifier | None = None
    organization_id: str | None = None


class ClassificationChanges(Model):
    """New values for some fields of a classification; those left out are kept."""

    name: Name | None = None
    description: Text | None = None
    may_issue: bool | None = None
    may_ship: bool | None = None
    may_pack: bool | None = None
    may_move: bool | None = None
    may_split: bool | None = None
    partner_id: Identifier | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


DEFAULT_CLASSIFICATIONS: dict[str, Classification] = {
    s.value: Classification(
        id=s.value,
        name=_DEFAULT_NAMES[s][0],
        description=_DEFAULT_NAMES[s][1],
        may_issue=STATUS_RULES[s][0],
        may_ship=STATUS_RULES[s][1],
    )
    for s in (Status.QC, Status.RELEASED, Status.HOLD, Status.FAIL, Status.REWORK)
}


def classification_of(status: str, known: dict[str, Classification] | None = None) -> Classification:
    """The classification an item's status names: from `known` (what the store holds), else a
    built-in; a status naming none of them (never written by tracegraph) is treated as HOLD."""
    found = (known or {}).get(status) or DEFAULT_CLASSIFICATIONS.get(status)
    if found is not None:
        return found
    return DEFAULT_CLASSIFICATIONS[Status.HOLD.value].model_copy(update={"id": status, "name": status})


def may_issue(status: str, known: dict[str, Classification] | None = None) -> bool:
    return classification_of(status, known).may_issue


def may_ship(status: str, known: dict[str, Classification] | None = None) -> bool:
    return classification_of(status, known).may_ship


def builtin_status(c: Classification) -> Status:
    """The built-in status standing for a classification where only the five can be shown (the
    `status` enum of older clients): itself for a built-in; for another, the built-in that allows
    no more than it does: RELEASED (issue and ship), QC (issue only), HOLD (otherwise)."""
    if c.id in Status.__members__:
        return Status(c.id)
    if c.may_issue and c.may_ship:
        return Status.RELEASED
    return Status.QC if c.may_issue else Status.HOLD


class OrderType(str, Enum):
    PURCHASE = "PURCHASE"
    PRODUCTION = "PRODUCTION"
    SALES = "SALES"


# The well-known virtual locations, created with the store. Partners may have their own.
VIRTUAL_LOCATIONS: dict[VirtualKind, str] = {
    VirtualKind.SUPPLIER: "virtual:supplier",
    VirtualKind.CUSTOMER: "virtual:customer",
    VirtualKind.PRODUCTION: "virtual:production",
    VirtualKind.INVENTORY_LOSS: "virtual:inventory-loss",
    VirtualKind.SCRAP: "virtual:scrap",
    VirtualKind.TRANSIT: "virtual:transit",
    VirtualKind.UNKNOWN_ORIGIN: "virtual:unknown-origin",
}
SUPPLIER = VIRTUAL_LOCATIONS[VirtualKind.SUPPLIER]
CUSTOMER = VIRTUAL_LOCATIONS[VirtualKind.CUSTOMER]
PRODUCTION = VIRTUAL_LOCATIONS[VirtualKind.PRODUCTION]
INVENTORY_LOSS = VIRTUAL_LOCATIONS[VirtualKind.INVENTORY_LOSS]
SCRAP = VIRTUAL_LOCATIONS[VirtualKind.SCRAP]
TRANSIT = VIRTUAL_LOCATIONS[VirtualKind.TRANSIT]
UNKNOWN_ORIGIN = VIRTUAL_LOCATIONS[VirtualKind.UNKNOWN_ORIGIN]


class Organization(Model):
    id: Identifier
    name: Name


class CharacteristicType(str, Enum):
    NUMBER = "NUMBER"
    TEXT = "TEXT"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"  # a value is an ISO 8601 date (2026-03-01) or date and time, as text


MAX_CHARACTERISTIC_NAME = 100
MAX_DEFINITIONS = 100
MAX_VALUE_TABLE = 500


class CharacteristicDefinition(Model):
    """What a characteristic of a material's items holds (domain/characteristics.py): its type,
    unit (numbers), the allowed values (a value table: text and numbers), the specification
    limits (inclusive: `min`/`max` for numbers, `min_date`/`max_date` for dates), whether every
    new item of the material must carry it, and the classification an item moves to when a
    result falls outside the limits (none: it stays where it is)."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_CHARACTERISTIC_NAME)]
    type: CharacteristicType
    unit: Unit | None = None
    description: Text | None = None
    values: list[float | Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]] | None = Field(
        default=None, max_length=MAX_VALUE_TABLE
    )
    min: Annotated[float, Field(allow_inf_nan=False)] | None = None
    max: Annotated[float, Field(allow_inf_nan=False)] | None = None
    min_date: date | None = None
    max_date: date | None = None
    required: bool = False
    out_of_spec_status: Identifier | None = None


class Material(Model):
    id: Identifier
    name: Name
    tracking: Tracking = Tracking.LOT
    base_unit: Unit = "KG"
    kind: MaterialKind = MaterialKind.RAW
    shelf_life_days: int | None = Field(default=None, ge=0, le=100_000)
    # Shipping needs at least this many days left before a lot's expiry (a customer's
    # minimum remaining shelf life); None: any lot not yet expired may ship.
    min_remaining_shelf_life_days: int | None = Field(default=None, ge=0, le=100_000)
    # A lot is "near expiry" this many days before it expires (nearExpiry, lotsNearingExpiry).
    expiry_warning_days: int | None = Field(default=None, ge=0, le=100_000)
    # unit -> how many base units one of it is, e.g. {"CASE": 12.0}
    conversions: dict[Unit, Annotated[float, Field(gt=0)]] = Field(default_factory=dict, max_length=50)
    # Tracked in two units (domain/units.py `SecondUnit`): every balance of its items is kept in
    # the base unit and in this one too. Derived by each lot's own conversion, unless
    # `catch_weight`: then both quantities are recorded (weighed) on every receipt and output.
    second_unit: Unit | None = None
    catch_weight: bool = False
    # What its items' characteristics hold (type, unit, value table, specification limits);
    # none: any value, as before definitions existed.
    characteristic_definitions: list[CharacteristicDefinition] = Field(default_factory=list, max_length=MAX_DEFINITIONS)
    organization_id: str | None = None


class Location(Model):
    id: Identifier
    name: Name
    kind: LocationKind = LocationKind.LOCATION
    parent_id: Identifier | None = None
    virtual: VirtualKind | None = None
    partner_id: Identifier | None = None
    organization_id: str | None = None

    @property
    def is_virtual(self) -> bool:
        return self.virtual is not None


Characteristic = float | bool | Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class InstalledComponent(Model):
    """A component in an assembly now: installed by an event (PRODUCE of a serial, ASSEMBLE),
    in a named slot or not, until a DISASSEMBLE takes it out (domain/composition.py)."""

    item_id: str
    material_id: str | None = None
    slot: str | None = None
    quantity: float | None = None  # in the component's unit
    event_id: str


class Item(Model):
    """A traceable node: a lot, sub-lot, serial, batch, container or untracked stock."""

    id: Identifier
    kind: ItemKind
    material_id: str | None = None  # unknown for items first seen in a partner's fact
    unit: Unit = "EA"  # the unit every quantity of this item is kept in
    lot_code: str | None = None  # lot number, or serial number for a serial
    parent_id: str | None = None  # the lot of a sub-lot or serial
    status: str = Status.RELEASED.value  # the id of its classification
    manufactured_at: datetime | None = None
    expires_at: datetime | None = None
    characteristics: dict[str, Characteristic] = Field(default_factory=dict)
    conversions: dict[str, float] = Field(default_factory=dict)
    container_type: ContainerType | None = None
    # For a container: the only materials that may be packed into it (a tank kept for one
    # product, against contamination). None: any material (see domain/containers.py).
    allowed_material_ids: list[str] | None = None
    origin_known: bool = True
    organization_id: str | None = None
    created_by_event: str | None = None
    first_event_time: datetime | None = None
    # For an assembly: the components in it now (domain/composition.py).
    components: list[InstalledComponent] = Field(default_factory=list)


class Order(Model):
    id: Identifier
    type: OrderType
    partner_id: Identifier | None = None
    reference: Text | None = None
    organization_id: str | None = None


class Shipment(Model):
    id: Identifier
    order_id: str | None = None
    partner_id: str | None = None
    destination_id: str | None = None
    shipped_at: datetime | None = None
    organization_id: str | None = None


class Balance(Model):
    """Quantity of an item at a location, in the item's unit: the sum of its moves there; and,
    for a material tracked in two units, the sum of their quantities in its second unit."""

    item_id: str
    location_id: str
    quantity: float
    second_quantity: float = 0.0
    material_id: str | None = None
    unit: str = "EA"
    virtual: bool = False


def as_props(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
