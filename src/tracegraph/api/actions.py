"""Batch actions over GraphQL: the catalogue of action types (master data), the action an event
records, an item's action history and its powder reuse computed from the genealogy."""

from __future__ import annotations

from datetime import datetime

import strawberry
from pydantic import ValidationError

from ..domain import actions as DA
from ..domain import events as DE
from ..domain.actions import DEFAULT_ACTION_TYPES, ParameterType
from ..domain.errors import DomainError
from ..domain.events import EventType
from ..domain.powder import Powder as DPowder
from .context import Info
from .errors import UserError, from_domain, from_validation
from .inputs import as_data
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate
from .refs import load_one, optional_id

strawberry.enum(ParameterType, name="ActionParameterType", description="The type of an action parameter's values.")


@strawberry.type(description="A parameter an action of a type carries (a machine, a build job, a sieve's mesh).")
class ActionParameter:
    name: str = strawberry.field(description="Its name, as events give it (`machine`, `mesh`).")
    type: ParameterType = strawberry.field(description="NUMBER, TEXT or BOOLEAN.")
    unit: str | None = strawberry.field(description="The unit of a number (µm).")
    required: bool = strawberry.field(description="Whether every action of the type must give it.")
    description: str | None = strawberry.field(description="What it is.")

    @classmethod
    def from_model(cls, m: DA.ActionParameter) -> ActionParameter:
        return cls(name=m.name, type=m.type, unit=m.unit, required=m.required, description=m.description)


@strawberry.type(
    description="A kind of batch action (the MES seed: print job, sieve, blend, test, loading and unloading a "
    "printer) and the parameters an action of it carries. PRINT_JOB, SIEVE, BLEND, TEST, LOAD_PRINTER and "
    "UNLOAD_PRINTER exist in every store; an organization defines its own."
)
class ActionType:
    id: strawberry.ID = strawberry.field(description="Its code, the `type` of an event's action.")
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(description="What it is.")
    parameters: list[ActionParameter] = strawberry.field(description="The parameters an action of it carries.")
    uses_material: bool = strawberry.field(
        description="An action of it uses the material up once (a print job): what comes out of its event "
        "has been used once more (`Item.powder`)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner organization it is shared with, which may see and use it."
    )
    built_in: bool = strawberry.field(description="One of the six every store holds, owned by no organization.")

    @classmethod
    def from_model(cls, m: DA.ActionType) -> ActionType:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            description=m.description,
            parameters=[ActionParameter.from_model(p) for p in m.parameters],
            uses_material=m.uses_material,
            partner_id=optional_id(m.partner_id),
            built_in=m.id in DEFAULT_ACTION_TYPES and m.organization_id is None,
        )


def _text(value: DA.ParameterValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return value


@strawberry.type(description="A parameter's value in an action.")
class ActionParameterValue:
    name: str = strawberry.field(description="The parameter.")
    value: str = strawberry.field(description="Its value as text (`63`, `true`, `M290-1`).")
    number: float | None = strawberry.field(description="Its value, when a number.")


@strawberry.type(description="A batch action an event recorded: its type and parameters.")
class BatchAction:
    type_id: strawberry.ID = strawberry.field(description="The code of its action type.")
    parameters: list[ActionParameterValue] = strawberry.field(description="Its parameters' values.")
    machine: str | None = strawberry.field(description="Its `machine` parameter, if given.")
    event_id: str = strawberry.field(description="The event that recorded it.")
    event_type: EventType = strawberry.field(description="What that event did.")
    event_time: datetime = strawberry.field(description="When it happened.")
    location_id: strawberry.ID | None = strawberry.field(description="Where it happened.")

    @strawberry.field(description="Its action type (null for one the caller may not see, or unknown in a fact).")
    async def type(self, info: Info) -> ActionType | None:
        return await load_one(info.context.loaders.action_types, str(self.type_id), ActionType.from_model)

    @classmethod
    def of(cls, e: DE.EventRecord) -> BatchAction | None:
        a = e.action
        if a is None:
            return None
        return cls(
            type_id=strawberry.ID(a.type),
            parameters=[
                ActionParameterValue(
                    name=name,
                    value=_text(v),
                    number=float(v) if isinstance(v, float) and not isinstance(v, bool) else None,
                )
                for name, v in a.parameters.items()
            ],
            machine=a.machine,
            event_id=e.id,
            event_type=e.type,
            event_time=e.event_time,
            location_id=optional_id(e.location_id),
        )


@strawberry.type(description="A share of an item's mass and how many times it has been used.")
class PowderShare:
    uses: int = strawberry.field(description="How many uses (print jobs) this share went through.")
    fraction: float = strawberry.field(description="Its share of the item's mass, 0 to 1.")


@strawberry.type(
    description="How often an item's material has been used, computed from its genealogy: a lineage link "
    "made by an event whose action type uses material (PRINT_JOB) adds one use to what flows along it; an item "
    "mixes its inputs by the quantity each brought; a lot with no inputs (received from a supplier) is virgin. "
    "Only links and events the caller may see count."
)
class Powder:
    reuse_count: int = strawberry.field(
        description="The most any share of it has been used: a blend's count is its most-used part's."
    )
    mean_reuse_count: float = strawberry.field(description="The mass-weighted mean number of uses.")
    virgin_fraction: float = strawberry.field(description="The share of its mass never used, 0 to 1.")
    shares: list[PowderShare] = strawberry.field(description="Its mass by number of uses, fewest first.")
    use_event_ids: list[str] = strawberry.field(description="The using events in its genealogy, in time order.")
    cycle: bool = strawberry.field(
        description="Recorded data has a cycle in its genealogy; the link closing it was left out."
    )
    partial: bool = strawberry.field(
        description="Part of its genealogy is not the caller's to see (another organization's events): "
        "the counts cover what it may see, material of hidden origin counting as virgin."
    )

    @classmethod
    def from_model(cls, m: DPowder) -> Powder:
        return cls(
            reuse_count=m.reuse_count,
            mean_reuse_count=m.mean_reuse_count,
            virgin_fraction=m.virgin_fraction,
            shares=[PowderShare(uses=n, fraction=f) for n, f in m.shares.items()],
            use_event_ids=list(m.use_event_ids),
            cycle=m.cycle,
            partial=m.partial,
        )


# -- inputs and payloads ----------------------------------------------------------------------


@strawberry.input(description="A parameter of an action type.")
class ActionParameterInput:
    name: str = strawberry.field(description="Its name: letters, digits and _, not starting with a digit.")
    type: ParameterType = strawberry.field(default=ParameterType.TEXT, description="NUMBER, TEXT or BOOLEAN.")
    unit: str | None = strawberry.field(default=None, description="The unit of a number.")
    required: bool = strawberry.field(default=False, description="Whether every action must give it.")
    description: str | None = strawberry.field(default=None, description="What it is.")


@strawberry.input(description="A new action type.")
class CreateActionTypeInput:
    id: strawberry.ID = strawberry.field(description="Its code: printable ASCII, no spaces (e.g. HEAT_TREAT).")
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(default=None, description="What it is.")
    parameters: list[ActionParameterInput] = strawberry.field(
        default_factory=list, description="The parameters an action of it carries, each named once."
    )
    uses_material: bool = strawberry.field(
        default=False, description="An action of it uses the material up once (for reuse counting)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="A partner organization to share it with (it may then see and use it)."
    )


@strawberry.input(description="New values for an action type; fields left out (or null) are kept.")
class UpdateActionTypeInput:
    id: strawberry.ID = strawberry.field(description="The action type to change.")
    name: str | None = strawberry.field(default=None, description="Its new name.")
    description: str | None = strawberry.field(default=None, description="Its new description.")
    parameters: list[ActionParameterInput] | None = strawberry.field(
        default=None, description="Its new parameters (all of them)."
    )
    uses_material: bool | None = strawberry.field(default=None, description="Whether it uses the material up.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="A partner to share it with.")


@strawberry.type(description="The result of createActionType.")
class CreateActionTypePayload:
    action_type: ActionType | None = strawberry.field(description="The action type created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of updateActionType.")
class UpdateActionTypePayload:
    action_type: ActionType | None = strawberry.field(description="The action type as changed.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


@strawberry.type
class ActionTypeMutations:
    @strawberry.mutation(
        description="Create an action type of your organization (the server's admin key: of none, visible to "
        "all). Needs the MASTER_DATA right."
    )
    async def create_action_type(self, info: Info, input: CreateActionTypeInput) -> CreateActionTypePayload:
        try:
            model = DA.ActionType.model_validate(as_data(input))
        except ValidationError as e:
            return CreateActionTypePayload(action_type=None, errors=from_validation(e, input))
        try:
            made = await info.context.session.create_action_type(model)
        except DomainError as e:
            return CreateActionTypePayload(action_type=None, errors=from_domain(e))
        return CreateActionTypePayload(action_type=ActionType.from_model(made), errors=[])

    @strawberry.mutation(
        description="Change an action type your organization owns (the server's admin key: any, the built-ins "
        "included). Needs the MASTER_DATA right; events recorded keep their actions as they were checked."
    )
    async def update_action_type(self, info: Info, input: UpdateActionTypeInput) -> UpdateActionTypePayload:
        data = as_data(input)
        data.pop("id", None)
        try:
            changes = DA.ActionTypeChanges.model_validate(data)
        except ValidationError as e:
            return UpdateActionTypePayload(action_type=None, errors=from_validation(e, input))
        try:
            changed = await info.context.session.update_action_type(str(input.id), changes.given())
        except DomainError as e:
            return UpdateActionTypePayload(action_type=None, errors=from_domain(e))
        return UpdateActionTypePayload(action_type=ActionType.from_model(changed), errors=[])


@strawberry.type
class ActionTypeQueries:
    @strawberry.field(description="An action type by its code (one you may see).")
    async def action_type(self, info: Info, id: strawberry.ID) -> ActionType | None:
        return await load_one(info.context.loaders.action_types, str(id), ActionType.from_model)

    @strawberry.field(
        description="Action types ordered by code: the built-ins, your organization's own and those shared with it."
    )
    async def action_types(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[ActionType]:
        session = info.context.session
        return await paginate(
            "actionType",
            first,
            after,
            lambda after_id, n: session.master_page("ActionType", after_id, n),
            lambda m: m.id,
            ActionType.from_model,
        )
