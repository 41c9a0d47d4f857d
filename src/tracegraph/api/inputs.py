"""GraphQL input types. Each maps field for field onto a domain model (`EventCommand`,
`Material`, ...), so the domain's error paths (`outputs[0].quantity`) name input fields."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from ..domain.events import EventType
from ..domain.models import (
    ContainerType,
    ItemKind,
    LocationKind,
    MaterialKind,
    OrderType,
    Status,
    Tracking,
    VirtualKind,
)
from . import enums as _enums  # noqa: F401 - registers the domain enums


def as_data(value: Any) -> Any:
    """An input as plain data for a pydantic model: fields left out or null are dropped (the
    model's defaults apply) and a `conversions` list becomes the mapping the model holds."""
    if isinstance(value, list):
        return [as_data(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None or v is strawberry.UNSET:
                continue
            out[f.name] = {c.unit: c.factor for c in v} if f.name == "conversions" else as_data(v)
        return out
    return value


# -- shared parts ---------------------------------------------------------------------------


@strawberry.input(description="A unit conversion: one `unit` is `factor` base units (1 CASE = 12 KG).")
class ConversionInput:
    unit: str = strawberry.field(description="The unit, e.g. CASE.")
    factor: float = strawberry.field(description="How many base units one of it is; greater than zero.")


@strawberry.input(
    description="A quantity of an item, at a location: the source of an input line, the destination of an output line."
)
class LineInput:
    item_id: str = strawberry.field(description="The item.")
    quantity: float | None = strawberry.field(
        default=None,
        description="How much; in `unit`, else in the item's unit. Left out on an input "
        "line: everything on hand there.",
    )
    unit: str | None = strawberry.field(
        default=None,
        description="The unit of `quantity`: the item's unit, one of its dimension, or one "
        "its lot or material converts.",
    )
    location_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Where: the source of an input, the destination of an output. Defaults "
        "to the event's location (or where the item is, when that is one place).",
    )
    second_quantity: float | None = strawberry.field(
        default=None,
        description="For a catch-weight material: the quantity in its second unit, weighed. Required where "
        "its items arrive (receipts, outputs, a count's gain); left out elsewhere, the same share of what "
        "is on hand is taken.",
    )
    slot: str | None = strawberry.field(
        default=None,
        description="For a component of an assembly (produce of a serial, assemble): the named slot it "
        "fills, e.g. FRONT. Left out, a serial of a slotted material takes the first free slot of its "
        "composition list.",
    )


@strawberry.input(description="An item an event names without a quantity.")
class ItemRefInput:
    item_id: str = strawberry.field(description="The item.")


@strawberry.input(
    description="An item this event brings into existence: a received lot, a produced "
    "serial, a new batch or sub-lot, a container."
)
class NewItemInput:
    id: str = strawberry.field(description="Its identifier: printable ASCII, no spaces, at most 512 characters.")
    kind: ItemKind = strawberry.field(default=ItemKind.LOT, description="What kind of item.")
    material_id: strawberry.ID | None = strawberry.field(
        default=None, description="Its material; required except for a container."
    )
    lot_code: str | None = strawberry.field(default=None, description="The lot number, or the serial number.")
    parent_id: str | None = strawberry.field(default=None, description="The lot of a sub-lot or serial.")
    status: Status | None = strawberry.field(
        default=None, description="Its status, a built-in; RELEASED by default (or `classificationId`)."
    )
    classification_id: str | None = strawberry.field(
        default=None, description="Its classification by code, any you may use; instead of `status`."
    )
    manufactured_at: datetime | None = strawberry.field(default=None, description="When it was made.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it expires; by default from the material's shelf life."
    )
    characteristics: JSON | None = strawberry.field(
        default=None, description="Characteristics as a JSON object of name to number, text or boolean."
    )
    conversions: list[ConversionInput] | None = strawberry.field(
        default=None, description="Unit conversions of this lot, overriding its material's."
    )
    container_type: ContainerType | None = strawberry.field(default=None, description="For a container.")
    allowed_material_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="For a container: the only materials that may be packed into it (packing another is "
        "refused with MATERIAL_NOT_ALLOWED); none given, any material. Its owner changes them with "
        "setAllowedMaterials.",
    )


@strawberry.input(description="A parameter's value in a batch action, as text read as the parameter's type.")
class ActionParameterValueInput:
    name: str = strawberry.field(description="The parameter, e.g. `mesh`.")
    value: str = strawberry.field(description="Its value: `63` for a number, `true` for a boolean, any text.")


@strawberry.input(
    description="The batch action an event records (a print job, a sieve, a blend): its action type and "
    "parameters, checked against the type (UNKNOWN_PARAMETER, PARAMETER_REQUIRED, PARAMETER_TYPE)."
)
class ActionInput:
    type: strawberry.ID = strawberry.field(description="The code of its action type, e.g. SIEVE.")
    parameters: list[ActionParameterValueInput] = strawberry.field(
        default_factory=list, description="Its parameters' values, each named once."
    )


@strawberry.input(description="What every event may carry.")
class EventFieldsInput:
    id: str | None = strawberry.field(
        default=None,
        description="The event's identifier and idempotency key: the same id recorded twice "
        "is written once. Generated when left out.",
    )
    event_time: datetime | None = strawberry.field(default=None, description="When it happened; now when left out.")
    biz_step: str | None = strawberry.field(default=None, description="The business step (CBV).")
    disposition: str | None = strawberry.field(default=None, description="The disposition (CBV).")
    reason: str | None = strawberry.field(default=None, description="Why, in words.")
    recorded_by: str | None = strawberry.field(default=None, description="Who records it.")
    action: ActionInput | None = strawberry.field(
        default=None, description="The batch action it records (a print job, a sieve): see actionTypes."
    )


_LOCATION = "Where it happens; the default location of its lines."
_FROM = "The default source of its input lines."
_TO = "The default destination of its output lines."
_NEW_ITEMS = "Items this event creates; name them in the lines too."
_ORDER = "The order it belongs to."
_COMPOSITION = (
    "The composition list (bill of materials) its inputs are compared with: missing, extra and "
    "wrong-material components and quantities outside the list's tolerance are refused (the list says "
    "REFUSE) or recorded as findings (FINDING)."
)


# -- one input per event type ---------------------------------------------------------------


@strawberry.input(description="Goods received: from a supplier (or `fromLocationId`) into stock.")
class ReceiveInput(EventFieldsInput):
    outputs: list[LineInput] = strawberry.field(description="What arrived, and where.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where it came from; the supplier virtual location by default."
    )
    order_id: strawberry.ID | None = strawberry.field(default=None, description="The purchase order.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The supplier.")


@strawberry.input(description="A portion of lots issued into one batch for one action on the floor.")
class IssueInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="The lots issued, and how much of each.")
    outputs: list[LineInput] = strawberry.field(description="The batch: exactly one line.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)


@strawberry.input(description="A production run (or an assembly): inputs consumed, outputs made.")
class ProduceInput(EventFieldsInput):
    outputs: list[LineInput] = strawberry.field(description="What was made, how much, and where.")
    inputs: list[LineInput] = strawberry.field(default_factory=list, description="What was consumed.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    order_id: strawberry.ID | None = strawberry.field(default=None, description="The production order.")
    composition_id: strawberry.ID | None = strawberry.field(default=None, description=_COMPOSITION)


@strawberry.input(
    description="Components installed into an existing assembly (a serial), which does not move: each "
    "component leaves stock and is linked into the assembly (INSTALLED)."
)
class AssembleInput(EventFieldsInput):
    assembly_id: str = strawberry.field(description="The assembly, an existing item.")
    inputs: list[LineInput] = strawberry.field(
        description="The components installed, how much of each (a serial: one), from where, in which slot."
    )
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    order_id: strawberry.ID | None = strawberry.field(default=None, description="The production order.")
    composition_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The composition list to check against: what the assembly holds after this event may "
        "not exceed it (components still to come are not yet missing).",
    )


@strawberry.input(
    description="Components taken out of an assembly, back into stock; their lineage into the assembly stays."
)
class DisassembleInput(EventFieldsInput):
    assembly_id: str = strawberry.field(description="The assembly.")
    outputs: list[LineInput] = strawberry.field(
        description="The components taken out, how much of each (left out: all of it), and where they go."
    )
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)


@strawberry.input(description="One item split into sub-lots or units.")
class SplitInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="The item split: exactly one line.")
    outputs: list[LineInput] = strawberry.field(description="The parts, and how much each holds.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)


@strawberry.input(description="Items merged or blended into one.")
class MergeInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="The items merged, and how much of each.")
    outputs: list[LineInput] = strawberry.field(description="The result: exactly one line.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)


@strawberry.input(description="Items packed into a container, pallet or case.")
class PackInput(EventFieldsInput):
    container_id: str = strawberry.field(description="The container (create it with `newItems`).")
    inputs: list[LineInput] = strawberry.field(description="What was packed, and how much of each.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)


@strawberry.input(description="Items taken out of a container.")
class UnpackInput(EventFieldsInput):
    container_id: str = strawberry.field(description="The container.")
    inputs: list[ItemRefInput] = strawberry.field(default_factory=list, description="What was taken out.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(
    description="A permanent container (tank, silo, bin) cleaned: what it held before no longer "
    "touches what goes in after (traces `throughContainers`)."
)
class CleanInput(EventFieldsInput):
    container_id: str = strawberry.field(description="The container.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(description="Items moved from one location to another.")
class MoveInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="What moved, how much, and from where.")
    to_location_id: strawberry.ID = strawberry.field(description="Where it went.")
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(
    description="Items shipped to a customer (or `toLocationId`). Refused for a status that forbids shipping."
)
class ShipInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="What left, how much, and from where.")
    shipment_id: strawberry.ID | None = strawberry.field(default=None, description="The shipment it belongs to.")
    to_location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where it went; the customer virtual location by default."
    )
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    order_id: strawberry.ID | None = strawberry.field(default=None, description="The sales order.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The customer.")


@strawberry.input(description="Items returned by a customer (or from `fromLocationId`) into stock.")
class ReturnInput(EventFieldsInput):
    outputs: list[LineInput] = strawberry.field(description="What came back, and where it went.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where it came from; the customer virtual location by default."
    )
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)
    shipment_id: strawberry.ID | None = strawberry.field(default=None, description="The shipment it came from.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The customer.")


@strawberry.input(
    description="A cycle count: each line gives the quantity counted at a location; the "
    "difference is booked against inventory loss."
)
class AdjustInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="What was counted, where: the quantity is required.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(description="Items scrapped.")
class ScrapInput(EventFieldsInput):
    inputs: list[LineInput] = strawberry.field(description="What was scrapped, how much, and from where.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)


@strawberry.input(
    description="A status change: to a built-in status (QC, RELEASED, HOLD, FAIL, REWORK) or to any "
    "classification you may use (`classificationId`); give one of the two."
)
class ReclassifyInput(EventFieldsInput):
    inputs: list[ItemRefInput] = strawberry.field(description="The items.")
    status: Status | None = strawberry.field(default=None, description="Their new status, a built-in.")
    classification_id: str | None = strawberry.field(
        default=None, description="Their new classification by code (unknown: NOT_FOUND); instead of `status`."
    )
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(description="New values of characteristics; the others are kept.")
class SetCharacteristicsInput(EventFieldsInput):
    inputs: list[ItemRefInput] = strawberry.field(description="The items.")
    characteristics: JSON = strawberry.field(
        description='A JSON object of name to number, text or boolean, e.g. {"moisture": 12.5}.'
    )
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(
    description="A correction: reverses an earlier event; its moves run backwards, its status "
    "changes are undone, its lineage is voided. History is kept."
)
class CorrectInput(EventFieldsInput):
    reverses: str = strawberry.field(description="The event to reverse.")
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)


@strawberry.input(
    description="Any event, for recordEvents: `type` says which; the fields it needs are "
    "those of the matching mutation's input."
)
class EventInput(EventFieldsInput):
    type: EventType = strawberry.field(description="What the event does.")
    inputs: list[LineInput] = strawberry.field(default_factory=list, description="Its input lines.")
    outputs: list[LineInput] = strawberry.field(default_factory=list, description="Its output lines.")
    new_items: list[NewItemInput] = strawberry.field(default_factory=list, description=_NEW_ITEMS)
    location_id: strawberry.ID | None = strawberry.field(default=None, description=_LOCATION)
    from_location_id: strawberry.ID | None = strawberry.field(default=None, description=_FROM)
    to_location_id: strawberry.ID | None = strawberry.field(default=None, description=_TO)
    container_id: str | None = strawberry.field(default=None, description="For PACK and UNPACK.")
    # ASSEMBLE: the assembly is the one output line; DISASSEMBLE: the one input line.
    status: Status | None = strawberry.field(default=None, description="For RECLASSIFY: a built-in status.")
    classification_id: str | None = strawberry.field(
        default=None, description="For RECLASSIFY: the new classification by code, instead of `status`."
    )
    characteristics: JSON | None = strawberry.field(default=None, description="For CHARACTERISTICS.")
    reverses: str | None = strawberry.field(default=None, description="For CORRECTION.")
    composition_id: strawberry.ID | None = strawberry.field(default=None, description="For PRODUCE and ASSEMBLE.")
    order_id: strawberry.ID | None = strawberry.field(default=None, description=_ORDER)
    shipment_id: strawberry.ID | None = strawberry.field(default=None, description="The shipment.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The partner.")


# -- master data ----------------------------------------------------------------------------


@strawberry.input(description="A new material.")
class CreateMaterialInput:
    id: strawberry.ID = strawberry.field(description="Its identifier: printable ASCII, no spaces.")
    name: str = strawberry.field(description="Its name.")
    tracking: Tracking = strawberry.field(default=Tracking.LOT, description="Lots, serials, or untracked.")
    base_unit: str = strawberry.field(default="KG", description="The unit its quantities are kept in.")
    kind: MaterialKind = strawberry.field(default=MaterialKind.RAW, description="Its role.")
    shelf_life_days: int | None = strawberry.field(
        default=None,
        description="Days from manufacture (or receipt) to expiry: a new lot's expiry when none is given.",
    )
    min_remaining_shelf_life_days: int | None = strawberry.field(
        default=None,
        description="Shipping needs at least this many days left before a lot's expiry "
        "(else SHELF_LIFE_TOO_SHORT); null: any lot not yet expired may ship.",
    )
    expiry_warning_days: int | None = strawberry.field(
        default=None,
        description="A lot is near expiry this many days before it expires (nearExpiry, lotsNearingExpiry).",
    )
    conversions: list[ConversionInput] = strawberry.field(
        default_factory=list, description="Units that convert into the base unit, e.g. 1 CASE = 12 KG."
    )
    second_unit: str | None = strawberry.field(
        default=None,
        description="Track it in two units: every balance is kept in this one too, derived by each lot's "
        "own conversion (a lot's `conversions`, else the material's) unless `catchWeight`.",
    )
    catch_weight: bool = strawberry.field(
        default=False,
        description="Both quantities are weighed: every receipt and output gives `secondQuantity` in `secondUnit`.",
    )


@strawberry.input(description="A new location. One with `virtual` set is a virtual location.")
class CreateLocationInput:
    id: strawberry.ID = strawberry.field(description="Its identifier: printable ASCII, no spaces.")
    name: str = strawberry.field(description="Its name.")
    kind: LocationKind = strawberry.field(default=LocationKind.LOCATION, description="Its level in the tree.")
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="The enclosing location.")
    virtual: VirtualKind | None = strawberry.field(default=None, description="For a virtual location.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The partner it belongs to.")


@strawberry.input(description="A new order.")
class CreateOrderInput:
    id: strawberry.ID = strawberry.field(description="Its identifier: printable ASCII, no spaces.")
    type: OrderType = strawberry.field(description="Purchase, production or sales.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The partner it is with.")
    reference: str | None = strawberry.field(default=None, description="A reference, e.g. the partner's number.")


@strawberry.input(description="The materials a container allows.")
class SetAllowedMaterialsInput:
    container_id: str = strawberry.field(description="The container, one of the caller's organization.")
    material_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The only materials that may be packed into it from now on; null or empty: any material.",
    )
