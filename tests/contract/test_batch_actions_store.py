"""Batch actions on every store: the six built-in action types exist from the start (and a
changed one survives a reopen), user-defined ones are created, changed, read and paged, an
event's action is recorded and read back typed, a bad one refuses the command and is kept as a
finding on a fact; the powder reuse of a print line computed through the service."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from contract_kit import (
    Backend,
    L,
    all_findings,
    assert_refused,
    at,
    bakery,
    cmd,
    lot,
    receive,
    record,
)

from tracegraph.domain import errors as E
from tracegraph.domain.actions import DEFAULT_ACTION_TYPES, ActionParameter, ActionType, EventAction, ParameterType
from tracegraph.domain.auth import ADMIN
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import ItemKind
from tracegraph.domain.query import EventFilter
from tracegraph.services.ledger import Ledger
from tracegraph.services.session import Services
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.port import GraphStore

DRY = ActionType(
    id="DRY",
    name="Dry",
    description="Powder dried in an oven",
    parameters=[
        ActionParameter(name="hours", type=ParameterType.NUMBER, unit="h", required=True),
        ActionParameter(name="vacuum", type=ParameterType.BOOLEAN),
    ],
    organization_id="ACME",
)


def sieve_split(action: EventAction, event_id: str = "sieve-1", hours: float = 1) -> object:
    return cmd(
        "SPLIT",
        id=event_id,
        event_time=at(hours),
        location_id="WH",
        new_items=[lot(f"{event_id}-out", "FLOUR", kind=ItemKind.BATCH)],
        inputs=[L("FL-1", 10)],
        outputs=[L(f"{event_id}-out", 10)],
        action=action,
    )


async def test_the_six_built_ins_exist(store: GraphStore) -> None:
    assert await store.get("ActionType", list(DEFAULT_ACTION_TYPES)) == DEFAULT_ACTION_TYPES
    assert [t.id for t in await store.page("ActionType", None, 100)] == sorted(DEFAULT_ACTION_TYPES)


async def test_create_update_get_and_page(store: GraphStore) -> None:
    await store.create("ActionType", DRY)
    assert await store.get("ActionType", ["DRY", "NOPE"]) == {"DRY": DRY}
    with pytest.raises(DomainError) as refused:
        await store.create("ActionType", DRY)
    assert refused.value.problems[0].code == E.ALREADY_EXISTS
    changed = DRY.model_copy(update={"uses_material": True, "parameters": DRY.parameters[:1], "description": None})
    await store.update("ActionType", changed)
    assert (await store.get("ActionType", ["DRY"]))["DRY"] == changed
    with pytest.raises(DomainError) as unknown:
        await store.update("ActionType", changed.model_copy(update={"id": "NOPE"}))
    assert unknown.value.problems[0].code == E.NOT_FOUND
    assert [t.id for t in await store.page("ActionType", "BLEND", 2)] == ["DRY", "LOAD_PRINTER"]


async def test_a_changed_built_in_is_kept_when_the_store_opens_again(store: GraphStore, backend: Backend) -> None:
    if backend.kind == "memory":
        pytest.skip("memory store: nothing outlives a close")
    coarse = DEFAULT_ACTION_TYPES["SIEVE"].model_copy(update={"description": "Our coarse sieve"})
    await store.update("ActionType", coarse)
    again = await backend.reopen(store)
    assert (await again.get("ActionType", ["SIEVE"]))["SIEVE"] == coarse


async def test_an_event_with_an_action_is_recorded_and_read_back(store: GraphStore) -> None:
    await bakery(store)
    await store.create("ActionType", DRY)
    await receive(store, "FL-1", "FLOUR", 100)
    [entry] = await record(store, sieve_split(EventAction(type="SIEVE", parameters={"mesh": "63"})))
    assert entry.event.action == EventAction(type="SIEVE", parameters={"mesh": 63.0})
    dried = EventAction(type="DRY", parameters={"hours": "12", "vacuum": "true"})
    await record(store, sieve_split(dried, "dry-1", hours=2))  # a user action type, loaded to plan
    found = await store.events_by_id(["sieve-1", "dry-1"])
    assert found["sieve-1"].action == EventAction(type="SIEVE", parameters={"mesh": 63.0})
    assert found["dry-1"].action == EventAction(type="DRY", parameters={"hours": 12.0, "vacuum": True})
    assert found["dry-1"].command.action == dried  # as sent
    history = (await store.events_of_items(["FL-1"]))["FL-1"]
    assert [e.action.type for e in history if e.action] == ["SIEVE", "DRY"]


@pytest.mark.parametrize(
    ("action", "field", "code"),
    [
        (EventAction(type="POLISH"), "action.type", E.NOT_FOUND),
        (EventAction(type="SIEVE"), "action.parameters.mesh", E.PARAMETER_REQUIRED),
        (EventAction(type="SIEVE", parameters={"mesh": "fine"}), "action.parameters.mesh", E.PARAMETER_TYPE),
        (
            EventAction(type="SIEVE", parameters={"mesh": "63", "colour": "grey"}),
            "action.parameters.colour",
            E.UNKNOWN_PARAMETER,
        ),
    ],
)
async def test_a_bad_action_refuses_the_command(store: GraphStore, action: EventAction, field: str, code: str) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    await assert_refused(store, sieve_split(action), code=code, field=field)


async def test_a_fact_with_a_bad_action_is_kept_with_a_finding(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100)
    bad = EventAction(type="SIEVE", parameters={"mesh": "fine"})
    await record(store, sieve_split(bad, "fact-1"), source=Source.FACT)
    assert (await store.events_by_id(["fact-1"]))["fact-1"].action == bad
    assert [(f.kind, f.event_id) for f in await all_findings(store)] == [(FindingKind.ACTION_INVALID, "fact-1")]


async def test_powder_reuse_of_a_print_line(store: GraphStore) -> None:
    """Virgin powder printed, the used powder unloaded and sieved, blended 70/30 with virgin."""
    await bakery(store)
    await receive(store, "PWD-V", "FLOUR", 200)
    job = EventAction(type="PRINT_JOB", parameters={"machine": "M1", "buildJob": "J-1"})
    await record(
        store,
        cmd(
            "ISSUE",
            id="load",
            event_time=at(1),
            location_id="LINE",
            new_items=[lot("B1", "FLOUR", kind=ItemKind.BATCH)],
            inputs=[L("PWD-V", 80, location_id="WH")],
            outputs=[L("B1")],
            action=EventAction(type="LOAD_PRINTER", parameters={"machine": "M1"}),
        ),
        cmd(
            "PRODUCE",
            id="print",
            event_time=at(2),
            location_id="LINE",
            new_items=[lot("B2", "FLOUR", kind=ItemKind.BATCH)],
            inputs=[L("B1")],
            outputs=[L("B2", 75)],
            action=job,
        ),
        cmd(
            "SPLIT",
            id="sieve",
            event_time=at(3),
            location_id="LINE",
            new_items=[lot("B3", "FLOUR", kind=ItemKind.BATCH), lot("B3-OS", "FLOUR", kind=ItemKind.BATCH)],
            inputs=[L("B2")],
            outputs=[L("B3", 70), L("B3-OS", 5)],
            action=EventAction(type="SIEVE", parameters={"mesh": "63"}),
        ),
        cmd(
            "ISSUE",
            id="virgin",
            event_time=at(4),
            location_id="LINE",
            new_items=[lot("B4", "FLOUR", kind=ItemKind.BATCH)],
            inputs=[L("PWD-V", 30, location_id="WH")],
            outputs=[L("B4")],
        ),
        cmd(
            "MERGE",
            id="blend",
            event_time=at(5),
            location_id="LINE",
            new_items=[lot("B5", "FLOUR", kind=ItemKind.BATCH)],
            inputs=[L("B3"), L("B4")],
            outputs=[L("B5")],
            action=EventAction(type="BLEND"),
        ),
    )
    session = Services(Ledger(store)).session(ADMIN)
    blend = await session.powder("B5")
    assert blend is not None
    assert blend.reuse_count == 1
    assert blend.mean_reuse_count == pytest.approx(0.7)
    assert blend.virgin_fraction == pytest.approx(0.3)
    assert blend.use_event_ids == ["print"]
    virgin = await session.powder("PWD-V")
    assert virgin is not None and virgin.virgin_fraction == 1.0 and virgin.reuse_count == 0
    assert await session.powder("NOPE") is None


async def test_an_upgraded_store_has_the_built_in_action_types(tmp_path: Path) -> None:
    """A Ladybug store written before action types (tests/fixtures/make_ladybug_b01b110.py) gains
    the table and the built-ins when it opens; its events read back without an action."""
    with tarfile.open(Path(__file__).resolve().parents[1] / "fixtures" / "ladybug-b01b110.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    store = LadybugStore(tmp_path / "ladybug")
    await store.open()
    try:
        assert await store.get("ActionType", list(DEFAULT_ACTION_TYPES)) == DEFAULT_ACTION_TYPES
        events = [e for _, e in await store.events(EventFilter(), None, 100)]
        assert events and all(e.action is None for e in events)
        await store.create("ActionType", DRY)
        assert (await store.get("ActionType", ["DRY"]))["DRY"] == DRY
    finally:
        await store.close()
