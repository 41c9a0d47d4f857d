"""Batch actions (domain/actions.py): the built-in catalogue, and an event's action checked
against its type by the planner (commands refused naming the field, facts kept with findings)."""

from __future__ import annotations

import pytest
from ledger_world import L, NewItem, World, at, bakery, cmd
from pydantic import ValidationError

from tracegraph.domain import errors as E
from tracegraph.domain.actions import (
    DEFAULT_ACTION_TYPES,
    ActionParameter,
    ActionType,
    EventAction,
    ParameterType,
    action_problems,
)
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.ledger import event_id_for, keys_for
from tracegraph.domain.models import ItemKind


def sieve(mesh: object = "63", **more: object) -> EventAction:
    return EventAction(type="SIEVE", parameters={"mesh": mesh, **more})  # type: ignore[dict-item]


def split(action: EventAction | None, **fields: object) -> object:
    return cmd(
        "SPLIT",
        location_id="WH",
        new_items=[NewItem(id="FL-1a", material_id="FLOUR", kind=ItemKind.BATCH)],
        inputs=[L("FL-1", 10)],
        outputs=[L("FL-1a", 10)],
        event_time=at(5),
        action=action,
        **fields,
    )


def test_the_built_ins() -> None:
    assert set(DEFAULT_ACTION_TYPES) == {"PRINT_JOB", "SIEVE", "BLEND", "TEST", "LOAD_PRINTER", "UNLOAD_PRINTER"}
    assert [t for t in DEFAULT_ACTION_TYPES.values() if t.uses_material] == [DEFAULT_ACTION_TYPES["PRINT_JOB"]]
    mesh = DEFAULT_ACTION_TYPES["SIEVE"].parameter("mesh")
    assert mesh is not None and (mesh.type, mesh.unit, mesh.required) == (ParameterType.NUMBER, "µm", True)
    assert {p.name for p in DEFAULT_ACTION_TYPES["PRINT_JOB"].parameters} == {"machine", "buildJob"}
    assert DEFAULT_ACTION_TYPES["UNLOAD_PRINTER"].parameter("machine") is not None


def test_an_action_type_names_each_parameter_once() -> None:
    with pytest.raises(ValidationError):
        ActionType(id="X", name="x", parameters=[ActionParameter(name="a"), ActionParameter(name="a")])
    with pytest.raises(ValidationError):
        ActionParameter(name="has space")


def test_values_are_read_as_their_types() -> None:
    t = ActionType(
        id="CURE",
        name="Cure",
        parameters=[
            ActionParameter(name="hours", type=ParameterType.NUMBER),
            ActionParameter(name="vacuum", type=ParameterType.BOOLEAN),
            ActionParameter(name="oven"),
        ],
    )
    checked, problems = action_problems(
        EventAction(type="CURE", parameters={"hours": " 4.5", "vacuum": "TRUE", "oven": "O-2"}), t
    )
    assert problems == []
    assert checked.parameters == {"hours": 4.5, "vacuum": True, "oven": "O-2"}
    checked, problems = action_problems(EventAction(type="CURE", parameters={"hours": 3, "vacuum": False}), t)
    assert problems == [] and checked.parameters == {"hours": 3.0, "vacuum": False}
    for bad in ({"hours": "four"}, {"hours": "nan"}, {"hours": True}, {"vacuum": "yes"}, {"oven": 2.0}):
        _, problems = action_problems(EventAction(type="CURE", parameters=bad), t)  # type: ignore[arg-type]
        assert [(f, c) for f, _, c in problems] == [(f"action.parameters.{next(iter(bad))}", E.PARAMETER_TYPE)]


def test_a_command_with_a_good_action_records_it_typed() -> None:
    w = bakery()
    entry = w.apply(split(sieve("63")))
    assert entry.event.action == EventAction(type="SIEVE", parameters={"mesh": 63.0})
    assert entry.event.command.action == sieve("63")  # as sent


@pytest.mark.parametrize(
    ("action", "field", "code"),
    [
        (EventAction(type="POLISH"), "action.type", E.NOT_FOUND),
        (EventAction(type="SIEVE"), "action.parameters.mesh", E.PARAMETER_REQUIRED),
        (sieve("fine"), "action.parameters.mesh", E.PARAMETER_TYPE),
        (sieve("63", colour="grey"), "action.parameters.colour", E.UNKNOWN_PARAMETER),
    ],
)
def test_a_command_with_a_bad_action_is_refused(action: EventAction, field: str, code: str) -> None:
    w = bakery()
    with pytest.raises(DomainError) as info:
        w.plan(split(action))
    assert [(p.field, p.code) for p in info.value.problems] == [(field, code)]
    assert action.type in info.value.problems[0].message


def test_every_problem_is_named_at_once() -> None:
    w = bakery()
    with pytest.raises(DomainError) as info:
        w.plan(split(EventAction(type="PRINT_JOB", parameters={"buildJob": "J-1", "speed": "3"})))
    assert sorted((p.field, p.code) for p in info.value.problems) == [
        ("action.parameters.machine", E.PARAMETER_REQUIRED),
        ("action.parameters.speed", E.UNKNOWN_PARAMETER),
    ]


def test_a_fact_with_a_bad_action_is_kept_with_findings() -> None:
    w = bakery()
    bad = EventAction(type="SIEVE", parameters={"mesh": "fine", "colour": "grey"})
    entry = w.apply(split(bad, id="E-FACT"), Source.FACT)
    assert entry.event.action == bad  # as given
    assert [f.kind for f in entry.findings] == [FindingKind.ACTION_INVALID] * 2
    assert all(f.event_id == "E-FACT" for f in entry.findings)
    entry = w.apply(split(EventAction(type="POLISH"), id="E-FACT-2"), Source.FACT)
    assert [f.kind for f in entry.findings] == [FindingKind.ACTION_INVALID]


def test_a_user_action_type_loaded_into_the_state() -> None:
    w: World = bakery()
    mine = ActionType(
        id="DRY",
        name="Dry",
        parameters=[ActionParameter(name="hours", type=ParameterType.NUMBER, required=True)],
        organization_id="ORG-A",
    )
    action = EventAction(type="DRY", parameters={"hours": "12"})
    assert keys_for(split(action)).action_type_ids == {"DRY"}  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        w.plan(split(action))
    w.state.action_types["DRY"] = mine
    assert w.apply(split(action)).event.action == EventAction(type="DRY", parameters={"hours": 12.0})


def test_a_changed_built_in_applies_as_loaded() -> None:
    w = bakery()
    w.state.action_types["SIEVE"] = DEFAULT_ACTION_TYPES["SIEVE"].model_copy(update={"parameters": []})
    with pytest.raises(DomainError) as info:
        w.plan(split(sieve("63")))
    assert [p.code for p in info.value.problems] == [E.UNKNOWN_PARAMETER]


def test_an_event_without_an_action_keeps_its_generated_id() -> None:
    # The digest of an event without an id is what it was before events carried actions.
    plain = split(None)
    assert event_id_for(plain) == event_id_for(plain.model_copy(update={"action": None}))  # type: ignore[attr-defined]
    assert '"action"' not in plain.model_dump_json(exclude={"recorded_by", "action"})  # type: ignore[attr-defined]
    assert event_id_for(split(sieve())) != event_id_for(plain)  # type: ignore[arg-type]
