"""The one door, on the in-memory store: every use case checks the right of the operation in
domain/rights.py first, and an organization changes only what the write rule lets it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tracegraph.domain.auth import ADMIN, FORBIDDEN, RIGHTS, Principal, Role, ShareScope
from tracegraph.domain.errors import NOT_FOUND, DomainError
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem, Source
from tracegraph.domain.models import Location, Material, Organization, Status
from tracegraph.domain.query import BalanceFilter, Direction
from tracegraph.domain.rights import OPERATION_RIGHTS, Operation, allowed
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
    for org in ("A", "B"):
        await admin.create_organization(Organization(id=org, name=org))
    await admin.create_material(Material(id="FLOUR", name="Flour", base_unit="KG"))
    for org in ("A", "B"):
        await admin.create_location(Location(id=f"WH-{org}", name=f"{org}'s store", organization_id=org))
    yield services
    await store.close()


def key(org: str | None, role: Role = Role.OPERATOR) -> Principal:
    return Principal(organization_id=org, role=role, key_id=f"key-{org}-{role.value}")


async def receive(session: Session, lot: str, quantity: float = 10, at: int = 0) -> None:
    await session.record(
        EventCommand(
            type=EventType.RECEIVE,
            id=f"rcv-{lot}",
            event_time=T0.replace(minute=at),
            location_id=f"WH-{session.organization_id}",
            new_items=[NewItem(id=lot, material_id="FLOUR")],
            outputs=[Line(item_id=lot, quantity=quantity)],
        )
    )


async def refusal(call: Awaitable[Any]) -> tuple[str, str]:
    with pytest.raises(DomainError) as e:
        await call
    return e.value.problems[0].code, e.value.problems[0].message


def test_every_operation_names_its_right_and_every_role_holds_read() -> None:
    assert set(OPERATION_RIGHTS) == set(Operation)
    for role in Role:
        assert allowed(key("A", role), Operation.READ)
        assert not allowed(key("A", role), Operation.CREATE_ORGANIZATION)
        assert not allowed(key("A", role), Operation.INTEGRITY)
        for op, right in OPERATION_RIGHTS.items():
            assert allowed(key("A", role), op) == (right is not None and right in RIGHTS[role])
    assert all(allowed(ADMIN, op) for op in Operation)


# Each use case behind an operation's right, called as a role that lacks that right.
USE_CASES: dict[Operation, Callable[[Session], Awaitable[Any]]] = {
    Operation.RECORD: lambda s: s.record(EventCommand(type=EventType.MOVE, inputs=[Line(item_id="X", quantity=1)])),
    Operation.RECLASSIFY: lambda s: s.record(
        EventCommand(type=EventType.RECLASSIFY, status=Status.HOLD, inputs=[Line(item_id="X")])
    ),
    Operation.MASTER_DATA: lambda s: s.create_material(Material(id="SUGAR", name="Sugar", base_unit="KG")),
    Operation.RECALL: lambda s: s.recalls.open(["X"], Direction.FORWARD, "test"),
    Operation.EXPORT: lambda s: s.export_trace("X", Direction.FORWARD),
    Operation.SHARE: lambda s: s.share_item("X", "B", ShareScope.ITEM),
    Operation.INTEGRITY: lambda s: s.check(),
    Operation.CREATE_ORGANIZATION: lambda s: s.create_organization(Organization(id="C", name="C")),
}


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
async def test_a_role_without_the_right_is_refused_before_anything_is_read(services: Services, role: Role) -> None:
    session = services.session(key("A", role))
    for op, use_case in USE_CASES.items():
        if allowed(session.principal, op):
            continue
        code, message = await refusal(use_case(session))
        assert code == FORBIDDEN, (role, op)
        assert role.value in message or "admin" in message


async def test_an_organization_changes_its_own_and_what_was_shipped_to_it(services: Services) -> None:
    a, b = services.session(key("A")), services.session(key("B"))
    await receive(a, "A-LOT")
    move = EventCommand(
        type=EventType.MOVE, from_location_id="WH-B", to_location_id="WH-B", inputs=[Line(item_id="A-LOT", quantity=1)]
    )
    code, message = await refusal(b.record(move))  # B may not see A's lot: unknown to it
    assert code == NOT_FOUND and message == "unknown item A-LOT"
    assert await services.session(ADMIN).balances(BalanceFilter(item_ids=["A-LOT"], include_virtual=False))

    await a.record(
        EventCommand(
            type=EventType.SHIP,
            id="ship-1",
            partner_id="B",
            inputs=[Line(item_id="A-LOT", quantity=4, location_id="WH-A")],
        )
    )
    await b.record(
        EventCommand(
            type=EventType.RECEIVE,
            id="rcv-at-b",
            location_id="WH-B",
            inputs=[Line(item_id="A-LOT", quantity=4)],
            outputs=[Line(item_id="A-LOT", quantity=4)],
        )
    )
    hold = EventCommand(type=EventType.RECLASSIFY, status=Status.HOLD, inputs=[Line(item_id="A-LOT")])
    code, _ = await refusal(b.record(hold))  # it sees the lot, but its status is A's to change
    assert code == FORBIDDEN
    await a.record(hold)
    code, _ = await refusal(b.record(EventCommand(type=EventType.CORRECTION, reverses="ship-1")))
    assert code == FORBIDDEN  # A's event, visible to B (it names B), is A's to correct


async def test_a_fact_on_anothers_item_is_refused_whole(services: Services) -> None:
    a, b = services.session(key("A")), services.session(key("B"))
    await receive(a, "A-LOT")
    facts = [
        EventCommand(type=EventType.OBSERVE, id="fact-1", inputs=[Line(item_id="B-NEW")]),
        EventCommand(type=EventType.SCRAP, id="fact-2", inputs=[Line(item_id="A-LOT", quantity=1)]),
    ]
    code, _ = await refusal(b.record_many(facts, Source.FACT))
    assert code == NOT_FOUND
    admin = services.session(ADMIN)
    assert not await admin.events_by_id(["fact-1", "fact-2"]) and not await admin.items(["B-NEW"])


async def test_an_event_id_is_one_organizations(services: Services) -> None:
    a, b = services.session(key("A")), services.session(key("B"))
    await receive(a, "A-LOT")
    taken = EventCommand(
        type=EventType.RECEIVE,
        id="rcv-A-LOT",
        location_id="WH-B",
        new_items=[NewItem(id="B-LOT", material_id="FLOUR")],
        outputs=[Line(item_id="B-LOT", quantity=1)],
    )
    code, message = await refusal(b.record(taken))
    assert code == NOT_FOUND and "A-LOT" not in message.replace("rcv-A-LOT", "")
    again = await a.record(
        EventCommand(
            type=EventType.RECEIVE,
            id="rcv-A-LOT",
            location_id="WH-A",
            new_items=[NewItem(id="A-LOT", material_id="FLOUR")],
            outputs=[Line(item_id="A-LOT", quantity=10)],
            event_time=T0,
        )
    )
    assert again.duplicate  # the same organization's retry stays idempotent


async def test_a_trace_of_what_the_caller_may_not_see_is_not_found_like_an_unknown_id(services: Services) -> None:
    a, b = services.session(key("A")), services.session(key("B"))
    await receive(a, "A-LOT")
    hidden = await refusal(b.trace("A-LOT", Direction.FORWARD))
    unknown = await refusal(b.trace("NO-SUCH-LOT", Direction.FORWARD))
    assert hidden[0] == unknown[0] == NOT_FOUND
    result, _ = await a.trace("A-LOT", Direction.FORWARD)
    assert result.items == []
