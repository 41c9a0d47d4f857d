"""Batch actions through the one door, on the in-memory store: MASTER_DATA to create and change
action types, an organization uses its own, the built-ins and those shared with it, changes only
its own; another's is NOT_FOUND; an item's action history and powder reuse as a partner sees
them (events and links it may not see left out)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from test_session import key, refusal

from tracegraph.domain.actions import ActionParameter, ActionType, EventAction, ParameterType
from tracegraph.domain.auth import ADMIN, FORBIDDEN, Role
from tracegraph.domain.errors import NOT_FOUND, DomainError
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import ItemKind, Location, Material, Organization
from tracegraph.services.ledger import Ledger
from tracegraph.services.session import Services, Session
from tracegraph.store.memory import MemoryStore

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    store = MemoryStore()
    await store.open()
    services = Services(Ledger(store))
    admin = services.session(ADMIN)
    for org in ("A", "B", "C"):
        await admin.create_organization(Organization(id=org, name=org))
        await admin.create_location(Location(id=f"WH-{org}", name=f"{org}'s store", organization_id=org))
    await admin.create_location(Location(id="DOCK", name="Shared dock"))
    await admin.create_material(Material(id="PWD", name="Powder", base_unit="KG"))
    yield services
    await store.close()


def dry(partner: str | None = None) -> ActionType:
    return ActionType(
        id="A-DRY",
        name="Dry",
        parameters=[ActionParameter(name="hours", type=ParameterType.NUMBER, required=True)],
        partner_id=partner,
    )


def event(kind: EventType, event_id: str, hours: float, org: str, **fields: object) -> EventCommand:
    return EventCommand(
        type=kind, id=event_id, event_time=T0 + timedelta(hours=hours), location_id=f"WH-{org}", **fields
    )  # type: ignore[arg-type]


def batch(item_id: str) -> NewItem:
    return NewItem(id=item_id, kind=ItemKind.BATCH, material_id="PWD")


async def receive(s: Session, lot: str, qty: float, hours: float = 0) -> None:
    org = s.organization_id or ""
    await s.record(
        event(
            EventType.RECEIVE,
            f"rcv-{lot}",
            hours,
            org,
            new_items=[NewItem(id=lot, material_id="PWD")],
            outputs=[Line(item_id=lot, quantity=qty)],
        )
    )


async def test_creating_and_changing_need_master_data(services: Services) -> None:
    for role in (Role.VIEWER, Role.QUALITY, Role.PARTNER):
        s = services.session(key("A", role))
        assert (await refusal(s.create_action_type(dry())))[0] == FORBIDDEN
        assert (await refusal(s.update_action_type("SIEVE", {"name": "x"})))[0] == FORBIDDEN


async def test_only_the_owner_changes_one_and_the_admin_the_built_ins(services: Services) -> None:
    a, b, c = (services.session(key(o)) for o in "ABC")
    made = await a.create_action_type(dry(partner="B").model_copy(update={"organization_id": "B"}))
    assert made.organization_id == "A"  # whatever the input said
    changed = await a.update_action_type("A-DRY", {"uses_material": True, "name": "Drying"})
    assert (changed.uses_material, changed.name, changed.organization_id, changed.partner_id) == (
        True,
        "Drying",
        "A",
        "B",
    )
    assert (await refusal(b.update_action_type("A-DRY", {"name": "x"})))[0] == FORBIDDEN
    assert await refusal(c.update_action_type("A-DRY", {"name": "x"})) == (NOT_FOUND, "unknown action type A-DRY")
    assert (await refusal(a.update_action_type("SIEVE", {"name": "x"})))[0] == FORBIDDEN
    sieve = await services.session(ADMIN).update_action_type("SIEVE", {"description": "Ours"})
    assert sieve.description == "Ours" and sieve.organization_id is None
    assert set(await b.master("ActionType", ["A-DRY", "SIEVE"])) == {"A-DRY", "SIEVE"}
    assert set(await c.master("ActionType", ["A-DRY", "SIEVE"])) == {"SIEVE"}
    assert "A-DRY" not in [t.id for t in await c.master_page("ActionType", None, 100)]


async def test_a_command_uses_only_action_types_it_may_see(services: Services) -> None:
    a, b, c = (services.session(key(o)) for o in "ABC")
    await a.create_action_type(dry(partner="B"))
    action = EventAction(type="A-DRY", parameters={"hours": "4"})
    for s in (a, b, c):
        org = s.organization_id or ""
        await receive(s, f"LOT-{org}", 10)
        cmd = event(EventType.OBSERVE, f"obs-{org}", 1, org, inputs=[Line(item_id=f"LOT-{org}")], action=action)
        if s is c:
            with pytest.raises(DomainError) as refused:
                await s.record(cmd)
            assert [(p.field, p.code) for p in refused.value.problems] == [("action.type", NOT_FOUND)]
        else:
            assert (await s.record(cmd)).event.action == EventAction(type="A-DRY", parameters={"hours": 4.0})


async def used_powder_shipped_to_b(services: Services) -> tuple[Session, Session]:
    """A prints virgin powder and ships the used powder to B, which blends 60 kg of it with 40 kg
    of its own virgin powder."""
    a, b = services.session(key("A")), services.session(key("B"))
    await receive(a, "V-A", 100)
    await receive(b, "V-B", 100)
    await a.record(
        event(
            EventType.PRODUCE,
            "print",
            1,
            "A",
            new_items=[batch("USED")],
            inputs=[Line(item_id="V-A", quantity=70)],
            outputs=[Line(item_id="USED", quantity=60)],
            action=EventAction(type="PRINT_JOB", parameters={"machine": "M1"}),
        )
    )
    await a.record(
        event(
            EventType.SHIP,
            "ship",
            2,
            "A",
            to_location_id="DOCK",
            partner_id="B",
            inputs=[Line(item_id="USED")],
            action=EventAction(type="UNLOAD_PRINTER", parameters={"machine": "M1"}),
        )
    )
    await b.record(
        event(
            EventType.MERGE,
            "blend",
            3,
            "B",
            new_items=[batch("BLEND")],
            inputs=[Line(item_id="USED", quantity=60, location_id="DOCK"), Line(item_id="V-B", quantity=40)],
            outputs=[Line(item_id="BLEND")],
            action=EventAction(type="BLEND"),
        )
    )
    return a, b


async def test_powder_and_actions_as_each_may_see_them(services: Services) -> None:
    a, b = await used_powder_shipped_to_b(services)
    whole = await services.session(ADMIN).powder("BLEND")
    assert whole is not None
    assert (whole.reuse_count, whole.virgin_fraction, whole.partial) == (1, pytest.approx(0.4), False)
    assert whole.use_event_ids == ["print"]
    # B does not see A's print job: the used powder counts as of unknown history, and it says so.
    seen = await b.powder("BLEND")
    assert seen is not None and seen.partial and seen.use_event_ids == []
    assert (await b.powder("USED")) is not None
    # B sees the actions of the events it may see on the powder A shipped to it: not the print job.
    history = (await b.events_of_items(["USED"]))["USED"]
    assert [e.id for e in history if e.action] == ["ship", "blend"]
    history = (await a.events_of_items(["USED"]))["USED"]
    assert [e.id for e in history if e.action] == ["print", "ship", "blend"]
    # C sees none of it.
    assert await services.session(key("C")).powder("BLEND") is None
