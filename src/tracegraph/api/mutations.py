"""Mutations: commands. Each parses its input into a domain model, makes one ledger call and
returns a payload; a refused command writes nothing and says why in `errors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..domain.errors import DomainError
from ..domain.events import EventCommand, EventType, LedgerEntry
from ..domain.models import Location as DLocation
from ..domain.models import Material as DMaterial
from ..domain.models import Order as DOrder
from .actions import ActionTypeMutations
from .auth import AuthMutations
from .characteristics import DefineCharacteristicsInput, parse_definitions
from .classifications import ClassificationMutations
from .compositions import CompositionMutations
from .context import Info
from .errors import UserError, from_domain, from_validation
from .inputs import (
    AdjustInput,
    AssembleInput,
    CleanInput,
    CorrectInput,
    CreateLocationInput,
    CreateMaterialInput,
    CreateOrderInput,
    DisassembleInput,
    EventInput,
    IssueInput,
    MergeInput,
    MoveInput,
    PackInput,
    ProduceInput,
    ReceiveInput,
    ReclassifyInput,
    ReturnInput,
    ScrapInput,
    SetAllowedMaterialsInput,
    SetCharacteristicsInput,
    ShipInput,
    SplitInput,
    UnpackInput,
    as_data,
)
from .ledger import Event, Item, Order
from .master import Location, Material
from .payloads import (
    AdjustPayload,
    AssemblePayload,
    CleanContainerPayload,
    CorrectPayload,
    CreateLocationPayload,
    CreateMaterialPayload,
    CreateOrderPayload,
    DefineCharacteristicsPayload,
    DisassemblePayload,
    EventPayload,
    IssuePayload,
    MergePayload,
    MovePayload,
    PackPayload,
    ProducePayload,
    ReceivePayload,
    ReclassifyPayload,
    RecordEventsPayload,
    ReturnItemsPayload,
    ScrapPayload,
    SetAllowedMaterialsPayload,
    SetCharacteristicsPayload,
    ShipPayload,
    SplitPayload,
    UnpackPayload,
)
from .recalls import RecallMutations

BATCH_TOO_LARGE = "BATCH_TOO_LARGE"

M = TypeVar("M")
R = TypeVar("R")
P = TypeVar("P", bound=EventPayload)


async def _attempt(
    source: Any,
    build: Callable[[], M],
    call: Callable[[M], Awaitable[R]],
) -> tuple[R | None, list[UserError]]:
    """Build the domain model from the input, then make the ledger call: its result, or the
    errors of whichever step refused."""
    try:
        model = build()
    except ValidationError as e:
        return None, from_validation(e, source)
    try:
        return await call(model), []
    except DomainError as e:
        return None, from_domain(e)


def _one_classification(data: dict[str, Any], loc: tuple[str | int, ...]) -> list[InitErrorDetails]:
    """A `classificationId` given becomes the status the domain knows (an item's status is the
    code of its classification); given with a different `status`, it is an error."""
    given = data.pop("classification_id", None)
    if given is None:
        return []
    if data.get("status") is not None and data["status"] != given:
        error = PydanticCustomError("invalid", "give either `status` or `classificationId`, not both")
        return [{"type": error, "loc": (*loc, "classification_id"), "input": given}]
    data["status"] = given
    return []


def _action_parameters(data: dict[str, Any]) -> list[InitErrorDetails]:
    """An action's parameters, sent as a list of {name, value}, become the mapping the domain
    holds; a name given twice is an error."""
    action = data.get("action")
    if not isinstance(action, dict):
        return []
    values: dict[str, Any] = {}
    errors: list[InitErrorDetails] = []
    for p in action.get("parameters") or []:
        if p["name"] in values:
            error = PydanticCustomError("invalid", "a parameter is given twice")
            errors.append({"type": error, "loc": ("action", "parameters", p["name"]), "input": p["value"]})
        values[p["name"]] = p["value"]
    action["parameters"] = values
    return errors


def command(event_type: EventType, source: Any) -> EventCommand:
    """An event input as the domain's command. Without an event time it happened now, so two
    identical commands are two events; a client that retries passes an `id`."""
    return command_of(event_type, as_data(source))


def command_of(event_type: EventType, data: dict[str, Any]) -> EventCommand:
    """`command` of an input already as plain data."""
    data["type"] = event_type
    data.setdefault("event_time", datetime.now(UTC))
    errors = _one_classification(data, ())
    errors += _action_parameters(data)
    for n, spec in enumerate(data.get("new_items") or []):
        errors += _one_classification(spec, ("new_items", n))
    if errors:
        raise ValidationError.from_exception_data("EventCommand", errors)
    return EventCommand.model_validate(data)


def _as_sent(source: Any, errors: list[UserError], prefix: str = "") -> list[UserError]:
    """Errors on a status the client gave as `classificationId` name that field."""
    sent = {"status": "classificationId"} if getattr(source, "classification_id", None) else {}
    for n, spec in enumerate(getattr(source, "new_items", None) or []):
        if getattr(spec, "classification_id", None):
            sent[f"newItems[{n}].status"] = f"newItems[{n}].classificationId"
    for error in errors:
        if error.field is not None and error.field.removeprefix(prefix) in sent:
            error.field = prefix + sent[error.field.removeprefix(prefix)]
    return errors


async def _record(info: Info, payload: type[P], event_type: EventType, source: Any) -> P:
    entry, errors = await _attempt(source, lambda: command(event_type, source), info.context.session.record)
    return payload.of(entry, _as_sent(source, errors))  # type: ignore[return-value]


async def _record_assembly(
    info: Info, payload: type[P], event_type: EventType, source: AssembleInput | DisassembleInput
) -> P:
    """The assembly is the one output line of an ASSEMBLE, the one input line of a DISASSEMBLE;
    errors on that line name `assemblyId`."""

    def build() -> EventCommand:
        data = as_data(source)
        line = "outputs" if event_type is EventType.ASSEMBLE else "inputs"
        data[line] = [{"item_id": data.pop("assembly_id")}]
        return command_of(event_type, data)

    entry, errors = await _attempt(source, build, info.context.session.record)
    line = "outputs[0]" if event_type is EventType.ASSEMBLE else "inputs[0]"
    for error in errors:
        if error.field is not None and error.field.startswith(line):
            error.field = "assemblyId"
    return payload.of(entry, errors)  # type: ignore[return-value]


@strawberry.type(
    description="Commands. Every mutation returns its errors in its payload; nothing of a "
    "mutation with errors is written."
)
class Mutation(AuthMutations, RecallMutations, ClassificationMutations, CompositionMutations, ActionTypeMutations):
    # -- master data ------------------------------------------------------------------------

    @strawberry.mutation(description="Create a material.")
    async def create_material(self, info: Info, input: CreateMaterialInput) -> CreateMaterialPayload:
        material_, errors = await _attempt(
            input, lambda: DMaterial.model_validate(as_data(input)), info.context.session.create_material
        )
        return CreateMaterialPayload(
            material=Material.from_model(material_) if material_ is not None else None, errors=errors
        )

    @strawberry.mutation(description="Create a location, real or virtual.")
    async def create_location(self, info: Info, input: CreateLocationInput) -> CreateLocationPayload:
        location_, errors = await _attempt(
            input, lambda: DLocation.model_validate(as_data(input)), info.context.session.create_location
        )
        return CreateLocationPayload(
            location=Location.from_model(location_) if location_ is not None else None, errors=errors
        )

    @strawberry.mutation(description="Create a purchase, production or sales order.")
    async def create_order(self, info: Info, input: CreateOrderInput) -> CreateOrderPayload:
        order_, errors = await _attempt(
            input, lambda: DOrder.model_validate(as_data(input)), info.context.session.create_order
        )
        return CreateOrderPayload(order=Order.from_model(order_) if order_ is not None else None, errors=errors)

    @strawberry.mutation(
        description="Set the materials a container allows: packing any other into it is refused "
        "(MATERIAL_NOT_ALLOWED), or recorded with a finding when reported through EPCIS. Null or empty: any "
        "material. Its owner only (FORBIDDEN for another organization's container; NOT_FOUND for a container "
        "or material the caller may not see); needs the master-data right."
    )
    async def set_allowed_materials(self, info: Info, input: SetAllowedMaterialsInput) -> SetAllowedMaterialsPayload:
        session = info.context.session
        item_, errors = await _attempt(
            input,
            lambda: (input.container_id, [str(m) for m in input.material_ids] if input.material_ids else None),
            lambda args: session.set_allowed_materials(*args),
        )
        return SetAllowedMaterialsPayload(item=Item.from_model(item_) if item_ is not None else None, errors=errors)

    @strawberry.mutation(
        description="Define (replace) the characteristics of a material's items: type, unit, value table, "
        "specification limits, required, out-of-spec classification. From then on every write that sets values "
        "is checked: a command breaking a definition is refused (INVALID_CHARACTERISTIC, CHARACTERISTIC_REQUIRED), "
        "a fact kept with a finding; a result outside the limits moves the item to the out-of-spec classification. "
        "Your organization's material only (NOT_FOUND for one you may not see, FORBIDDEN for one owned by no "
        "organization; INVALID for bad definitions); needs the master-data right."
    )
    async def define_characteristics(
        self, info: Info, input: DefineCharacteristicsInput
    ) -> DefineCharacteristicsPayload:
        definitions, errors = parse_definitions(input)
        if errors:
            return DefineCharacteristicsPayload(material=None, errors=errors)
        try:
            material_ = await info.context.session.define_characteristics(str(input.material_id), definitions)
        except DomainError as e:
            errors = from_domain(e)
            for err in errors:
                if err.field is not None and err.field.endswith("outOfSpecStatus"):
                    err.field = err.field.replace("outOfSpecStatus", "outOfSpecClassificationId")
            return DefineCharacteristicsPayload(material=None, errors=errors)
        return DefineCharacteristicsPayload(material=Material.from_model(material_), errors=[])

    # -- events, one mutation per type ------------------------------------------------------

    @strawberry.mutation(description="Record goods received into stock.")
    async def receive(self, info: Info, input: ReceiveInput) -> ReceivePayload:
        return await _record(info, ReceivePayload, EventType.RECEIVE, input)

    @strawberry.mutation(
        description="Issue portions of lots into a batch. Refused when a lot's status forbids "
        "issuing or more is asked than is on hand."
    )
    async def issue(self, info: Info, input: IssueInput) -> IssuePayload:
        return await _record(info, IssuePayload, EventType.ISSUE, input)

    @strawberry.mutation(description="Record a production run or an assembly: inputs consumed, outputs made.")
    async def produce(self, info: Info, input: ProduceInput) -> ProducePayload:
        return await _record(info, ProducePayload, EventType.PRODUCE, input)

    @strawberry.mutation(
        description="Install components into an existing assembly (a serial), which does not move: each leaves "
        "stock, is linked into it (INSTALLED) and shows in its `components`, in its slot if it has one. A slot "
        "that holds a component already is refused (SLOT_OCCUPIED); with `compositionId`, what the assembly "
        "holds afterwards is checked against the list (COMPOSITION_* codes, or findings)."
    )
    async def assemble(self, info: Info, input: AssembleInput) -> AssemblePayload:
        return await _record_assembly(info, AssemblePayload, EventType.ASSEMBLE, input)

    @strawberry.mutation(
        description="Take components out of an assembly, back into stock at each line's location (else "
        "`toLocationId`, the event's location), where their later events trace as usual; their lineage into "
        "the assembly stays (a forward trace from one still reaches it). A component not in the assembly is "
        "refused (NOT_INSTALLED). A swap is a disassemble and an assemble, in one recordEvents batch or two."
    )
    async def disassemble(self, info: Info, input: DisassembleInput) -> DisassemblePayload:
        return await _record_assembly(info, DisassemblePayload, EventType.DISASSEMBLE, input)

    @strawberry.mutation(description="Split an item into sub-lots or units.")
    async def split(self, info: Info, input: SplitInput) -> SplitPayload:
        return await _record(info, SplitPayload, EventType.SPLIT, input)

    @strawberry.mutation(description="Merge or blend items into one.")
    async def merge(self, info: Info, input: MergeInput) -> MergePayload:
        return await _record(info, MergePayload, EventType.MERGE, input)

    @strawberry.mutation(description="Pack items into a container, pallet or case.")
    async def pack(self, info: Info, input: PackInput) -> PackPayload:
        return await _record(info, PackPayload, EventType.PACK, input)

    @strawberry.mutation(description="Take items out of a container.")
    async def unpack(self, info: Info, input: UnpackInput) -> UnpackPayload:
        return await _record(info, UnpackPayload, EventType.UNPACK, input)

    @strawberry.mutation(
        description="Record the cleaning of a permanent container: a trace through containers stops there."
    )
    async def clean_container(self, info: Info, input: CleanInput) -> CleanContainerPayload:
        return await _record(info, CleanContainerPayload, EventType.CLEAN, input)

    @strawberry.mutation(description="Move items between locations.")
    async def move(self, info: Info, input: MoveInput) -> MovePayload:
        return await _record(info, MovePayload, EventType.MOVE, input)

    @strawberry.mutation(description="Ship items. Refused when a status forbids shipping (STATUS_FORBIDS).")
    async def ship(self, info: Info, input: ShipInput) -> ShipPayload:
        return await _record(info, ShipPayload, EventType.SHIP, input)

    @strawberry.mutation(description="Record items returned by a customer.")
    async def return_items(self, info: Info, input: ReturnInput) -> ReturnItemsPayload:
        return await _record(info, ReturnItemsPayload, EventType.RETURN, input)

    @strawberry.mutation(description="Record a cycle count; the difference goes to or comes from inventory loss.")
    async def adjust(self, info: Info, input: AdjustInput) -> AdjustPayload:
        return await _record(info, AdjustPayload, EventType.ADJUST, input)

    @strawberry.mutation(description="Scrap items.")
    async def scrap(self, info: Info, input: ScrapInput) -> ScrapPayload:
        return await _record(info, ScrapPayload, EventType.SCRAP, input)

    @strawberry.mutation(description="Change the status of items, e.g. put a lot on HOLD.")
    async def reclassify(self, info: Info, input: ReclassifyInput) -> ReclassifyPayload:
        return await _record(info, ReclassifyPayload, EventType.RECLASSIFY, input)

    @strawberry.mutation(description="Set characteristics of items (a QC result, a measurement).")
    async def set_characteristics(self, info: Info, input: SetCharacteristicsInput) -> SetCharacteristicsPayload:
        return await _record(info, SetCharacteristicsPayload, EventType.CHARACTERISTICS, input)

    @strawberry.mutation(description="Reverse an earlier event. The event stays in the history.")
    async def correct(self, info: Info, input: CorrectInput) -> CorrectPayload:
        return await _record(info, CorrectPayload, EventType.CORRECTION, input)

    # -- the batch path ---------------------------------------------------------------------

    @strawberry.mutation(
        description="Record events of any type in one transaction, in order, each seeing the "
        "ones before it: all of them, or none. Errors name the event by its index: "
        "`input[3].inputs[0].quantity`. At most TRACEGRAPH_MAX_BATCH_EVENTS events "
        "(10,000 by default): more are refused whole with code BATCH_TOO_LARGE."
    )
    async def record_events(self, info: Info, input: list[EventInput]) -> RecordEventsPayload:
        cap = info.context.settings.max_batch_events
        if len(input) > cap:
            return RecordEventsPayload(
                events=None,
                errors=[
                    UserError(
                        field="input",
                        code=BATCH_TOO_LARGE,
                        message=f"{len(input)} events in one batch; at most {cap} (TRACEGRAPH_MAX_BATCH_EVENTS): "
                        "send them in smaller batches",
                    )
                ],
            )
        commands: list[EventCommand] = []
        errors: list[UserError] = []
        for n, event in enumerate(input):
            try:
                commands.append(command(event.type, event))
            except ValidationError as e:
                errors += from_validation(e, event, prefix=f"input[{n}].")
        if errors:
            return RecordEventsPayload(events=None, errors=errors)
        try:
            entries: list[LedgerEntry] = await info.context.session.record_many(commands)
        except DomainError as e:
            # A batch of one is refused with the problems of its event, unnumbered.
            errors = from_domain(e, rename={"events": "input"})
            if len(commands) == 1:
                for err in errors:
                    err.field = f"input[0].{err.field}" if err.field else "input[0]"
            for n, event in enumerate(input):
                _as_sent(event, errors, prefix=f"input[{n}].")
            return RecordEventsPayload(events=None, errors=errors)
        return RecordEventsPayload(events=[Event.from_model(x.event) for x in entries], errors=[])
