"""Batch actions (the MES seed): what a batch went through on the floor, typed.

In the MES seed, material is issued from lots as batches "for a specific Action (Print Job,
Testing, Blending, ...)", and a batch's life is the list of actions it underwent. Here an
action type is master data: an id, a name, the parameters an action of it carries (each with a
name, a type NUMBER, TEXT or BOOLEAN, a unit and whether it is required), and whether it uses
the material up once for reuse counting (`uses_material`: a print job does, a sieve does not;
see domain/powder.py). Six are built in and created with every store (PRINT_JOB, SIEVE, BLEND,
TEST, LOAD_PRINTER, UNLOAD_PRINTER); an organization defines its own, and only it (or the
server's admin key) changes them, as with classifications.

An event may carry one action (`EventAction`: its type id and parameter values). The ledger
checks it against its type (`action_problems`): an unknown type, a required parameter left out,
a value of the wrong type or a parameter the type does not have refuse a command, each naming
its field (`action.type`, `action.parameters.mesh`), and become findings of a fact, which is
kept with its action as given.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Annotated, Any

from pydantic import Field, model_validator

from . import errors as E
from .models import MAX_TEXT_LENGTH, Identifier, Model, Name, Text

MAX_PARAMETERS = 50
MAX_PARAMETER_NAME = 100

ParameterName = Annotated[str, Field(min_length=1, max_length=MAX_PARAMETER_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# A parameter's value as an event carries it: a number, a boolean or a text (from GraphQL, always
# a text, read as the parameter's type).
ParameterValue = float | bool | Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class ParameterType(str, Enum):
    NUMBER = "NUMBER"
    TEXT = "TEXT"
    BOOLEAN = "BOOLEAN"


class ActionParameter(Model):
    """A parameter an action of a type carries (a machine, a build job, a sieve's mesh)."""

    name: ParameterName
    type: ParameterType = ParameterType.TEXT
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    required: bool = False
    description: Text | None = None


def _unique_names(parameters: list[ActionParameter]) -> list[ActionParameter]:
    seen: set[str] = set()
    for p in parameters:
        if p.name in seen:
            raise ValueError(f"parameter {p.name} is named twice")
        seen.add(p.name)
    return parameters


Parameters = Annotated[list[ActionParameter], Field(max_length=MAX_PARAMETERS)]


class ActionType(Model):
    """A kind of batch action and its parameters. Master data: an organization's own, or
    ownerless (the built-ins); `partner_id` shares it with one partner organization."""

    id: Identifier
    name: Name
    description: Text | None = None
    parameters: Parameters = Field(default_factory=list)
    # An action of this type uses the material up once (a print job): what comes out of it has
    # been through one use more (domain/powder.py).
    uses_material: bool = False
    partner_id: Identifier | None = None
    organization_id: str | None = None

    @model_validator(mode="after")
    def _names(self) -> ActionType:
        _unique_names(self.parameters)
        return self

    def parameter(self, name: str) -> ActionParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


class ActionTypeChanges(Model):
    """New values for some fields of an action type; those left out are kept."""

    name: Name | None = None
    description: Text | None = None
    parameters: Parameters | None = None
    uses_material: bool | None = None
    partner_id: Identifier | None = None

    @model_validator(mode="after")
    def _names(self) -> ActionTypeChanges:
        _unique_names(self.parameters or [])
        return self

    def given(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in type(self).model_fields if getattr(self, k) is not None}


class EventAction(Model):
    """The action an event records: its type and its parameters' values, by name."""

    type: Identifier
    parameters: dict[ParameterName, ParameterValue] = Field(default_factory=dict, max_length=MAX_PARAMETERS)

    @property
    def machine(self) -> str | None:
        value = self.parameters.get("machine")
        return None if value is None else str(value)


def _machine(required: bool) -> ActionParameter:
    return ActionParameter(name="machine", required=required, description="The printer or machine.")


_BUILD_JOB = ActionParameter(name="buildJob", description="The build job.")

DEFAULT_ACTION_TYPES: dict[str, ActionType] = {
    t.id: t
    for t in (
        ActionType(
            id="PRINT_JOB",
            name="Print job",
            description="Powder printed on a machine: what comes out of it has been used once more.",
            parameters=[_machine(True), _BUILD_JOB],
            uses_material=True,
        ),
        ActionType(
            id="SIEVE",
            name="Sieve",
            description="Powder sieved through a mesh (oversize and spatter taken out).",
            parameters=[
                ActionParameter(
                    name="mesh", type=ParameterType.NUMBER, unit="µm", required=True, description="The mesh opening."
                )
            ],
        ),
        ActionType(id="BLEND", name="Blend", description="Batches blended into one (used with virgin powder)."),
        ActionType(
            id="TEST",
            name="Test",
            description="A sample tested (chemistry, flow, particle size).",
            parameters=[ActionParameter(name="method", description="The test method.")],
        ),
        ActionType(
            id="LOAD_PRINTER",
            name="Load printer",
            description="A batch loaded into a printer.",
            parameters=[_machine(True)],
        ),
        ActionType(
            id="UNLOAD_PRINTER",
            name="Unload printer",
            description="Powder unloaded from a printer (into a permanent container).",
            parameters=[_machine(True), _BUILD_JOB],
        ),
    )
}


def action_type_of(type_id: str, known: dict[str, ActionType] | None = None) -> ActionType | None:
    """The action type an id names: from `known` (what the store holds), else a built-in."""
    return (known or {}).get(type_id) or DEFAULT_ACTION_TYPES.get(type_id)


def _typed(value: ParameterValue, kind: ParameterType) -> ParameterValue | None:
    """A value as its parameter's type, or None when it is not one."""
    if kind is ParameterType.TEXT:
        return value if isinstance(value, str) else None
    if kind is ParameterType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float | int):
        return float(value)
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def action_problems(action: EventAction, known: ActionType | None) -> tuple[EventAction, list[tuple[str, str, str]]]:
    """The action with its values read as their parameters' types, and what is wrong with it:
    (field, message, code) for an unknown type (NOT_FOUND), a required parameter left out
    (PARAMETER_REQUIRED), a value not of its parameter's type (PARAMETER_TYPE) or a parameter
    the type does not have (UNKNOWN_PARAMETER). With problems, the action is returned as given."""
    if known is None:
        return action, [("action.type", f"unknown action type {action.type}", E.NOT_FOUND)]
    problems: list[tuple[str, str, str]] = []
    values: dict[str, ParameterValue] = {}
    for name, value in action.parameters.items():
        field = f"action.parameters.{name}"
        spec = known.parameter(name)
        if spec is None:
            named = ", ".join(p.name for p in known.parameters) or "none"
            problems.append(
                (
                    field,
                    f"action type {known.id} has no parameter {name} (its parameters: {named})",
                    E.UNKNOWN_PARAMETER,
                )
            )
            continue
        typed = _typed(value, spec.type)
        if typed is None:
            problems.append(
                (
                    field,
                    f"{name} of {known.id} is a {spec.type.value.lower()}, got {str(value)[:40]!r}",
                    E.PARAMETER_TYPE,
                )
            )
            continue
        values[name] = typed
    for spec in known.parameters:
        if spec.required and spec.name not in action.parameters:
            problems.append(
                (f"action.parameters.{spec.name}", f"action type {known.id} needs {spec.name}", E.PARAMETER_REQUIRED)
            )
    if problems:
        return action, problems
    return action.model_copy(update={"parameters": values}), []
