"""Classifications through the one door, on the in-memory store: MASTER_DATA to create and
change them, an organization sees and uses its own, the built-ins and those shared with it,
changes only its own; another's is NOT_FOUND (like an unknown code), FORBIDDEN when it may see
it; FEFO passes over lots whose classification may not be issued; a recall hold leaves lots
already held by a user classification as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from test_session import key, receive, refusal

from tracegraph.domain.auth import ADMIN, FORBIDDEN, Role
from tracegraph.domain.errors import NOT_FOUND, STATUS_FORBIDS, DomainError
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import Classification, Location, Material, Organization
from tracegraph.domain.query import Direction
from tracegraph.domain.shelf import SkipReason
from tracegraph.services.ledger import Ledger
from tracegraph.services.session import Services
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
    await admin.create_material(Material(id="FLOUR", name="Flour", base_unit="KG", shelf_life_days=30))
    for org in ("A", "B", "C"):
        await admin.create_location(Location(id=f"WH-{org}", name=f"{org}'s store", organization_id=org))
    await admin.create_location(Location(id="DOCK", name="Shared dock"))
    yield services
    await store.close()


def quarantine(code: str = "A-QUAR", partner: str | None = None) -> Classification:
    return Classification(
        id=code, name="Quarantine", may_issue=False, may_ship=False, may_pack=False, partner_id=partner
    )


def reclassify(item: str, status: str, event_id: str) -> EventCommand:
    return EventCommand(type=EventType.RECLASSIFY, id=event_id, status=status, inputs=[Line(item_id=item)])


async def test_an_organization_creates_its_own_and_others_do_not_see_it(services: Services) -> None:
    a, b = services.session(key("A")), services.session(key("B"))
    made = await a.create_classification(quarantine().model_copy(update={"organization_id": "B"}))
    assert made.organization_id == "A"  # whatever the input said
    assert set(await a.master("Classification", ["A-QUAR", "HOLD"])) == {"A-QUAR", "HOLD"}
    assert set(await b.master("Classification", ["A-QUAR", "HOLD"])) == {"HOLD"}
    assert [c.id for c in await b.master_page("Classification", None, 100)] == [
        "FAIL",
        "HOLD",
        "QC",
        "RELEASED",
        "REWORK",
    ]
    assert "A-QUAR" in {c.id for c in await a.master_page("Classification", None, 100)}


async def test_creating_and_changing_need_master_data(services: Services) -> None:
    for role in (Role.VIEWER, Role.QUALITY, Role.PARTNER):
        s = services.session(key("A", role))
        assert (await refusal(s.create_classification(quarantine())))[0] == FORBIDDEN
        assert (await refusal(s.update_classification("HOLD", {"may_pack": False})))[0] == FORBIDDEN


async def test_only_the_owner_changes_one_and_the_admin_the_built_ins(services: Services) -> None:
    a, b, c = (services.session(key(o)) for o in "ABC")
    await a.create_classification(quarantine(partner="B"))
    changed = await a.update_classification("A-QUAR", {"may_move": False, "name": "Quarantined"})
    assert (changed.may_move, changed.name, changed.organization_id, changed.partner_id) == (
        False,
        "Quarantined",
        "A",
        "B",
    )
    assert await refusal(b.update_classification("A-QUAR", {"may_ship": True})) == (
        FORBIDDEN,
        "classification A-QUAR is not your organization's: only its owner (or the server's admin key, for a "
        "built-in) may change it",
    )
    code, message = await refusal(c.update_classification("A-QUAR", {"may_ship": True}))
    assert (code, message) == (NOT_FOUND, "unknown classification A-QUAR")
    assert await refusal(c.update_classification("NOPE", {})) == (code, "unknown classification NOPE")
    assert (await refusal(a.update_classification("HOLD", {"may_pack": False})))[0] == FORBIDDEN
    held = await services.session(ADMIN).update_classification("HOLD", {"may_pack": False})
    assert held.may_pack is False and held.organization_id is None
    assert (await refusal(a.create_classification(quarantine("X", partner="NOBODY"))))[0] == NOT_FOUND


async def test_a_command_uses_only_classifications_it_may_see(services: Services) -> None:
    a, b, c = (services.session(key(o)) for o in "ABC")
    await a.create_classification(quarantine(partner="B"))
    for s in (a, b, c):
        await receive(s, f"LOT-{s.organization_id}")
    await a.record(reclassify("LOT-A", "A-QUAR", "rc-a"))
    await b.record(reclassify("LOT-B", "A-QUAR", "rc-b"))  # shared with B
    with pytest.raises(DomainError) as refused:
        await c.record(reclassify("LOT-C", "A-QUAR", "rc-c"))
    assert [(p.field, p.code, p.message) for p in refused.value.problems] == [
        ("status", NOT_FOUND, "unknown classification A-QUAR")
    ]
    with pytest.raises(DomainError) as unknown:
        await c.record(reclassify("LOT-C", "NOPE", "rc-c2"))
    assert [(p.field, p.code, p.message) for p in unknown.value.problems] == [
        ("status", NOT_FOUND, "unknown classification NOPE")
    ]
    new = EventCommand(
        type=EventType.RECEIVE,
        id="rcv-c-q",
        event_time=T0,
        location_id="WH-C",
        new_items=[NewItem(id="LOT-C-Q", material_id="FLOUR", status="A-QUAR")],
        outputs=[Line(item_id="LOT-C-Q", quantity=1)],
    )
    with pytest.raises(DomainError) as hidden:
        await c.record(new)
    assert [(p.field, p.code) for p in hidden.value.problems] == [("newItems[0].status", NOT_FOUND)]
    assert not await c.items(["LOT-C-Q"])  # nothing written
    assert (await c.items(["LOT-C"]))["LOT-C"].status == "RELEASED"


async def test_enforced_on_a_shared_lot_whoever_records(services: Services) -> None:
    """A ships its quarantined lot (this quarantine may ship) to B: B's commands on it follow
    A's classification, which B may not even see."""
    a, b = services.session(key("A")), services.session(key("B"))
    await a.create_classification(quarantine().model_copy(update={"may_ship": True}))
    await receive(a, "LOT-A")
    await a.record(reclassify("LOT-A", "A-QUAR", "rc-a"))
    await a.record(
        EventCommand(
            type=EventType.SHIP,
            id="ship-a",
            event_time=T0 + timedelta(hours=1),
            location_id="WH-A",
            to_location_id="DOCK",
            partner_id="B",
            inputs=[Line(item_id="LOT-A", quantity=4)],
        )
    )
    with pytest.raises(DomainError) as refused:
        await b.record(
            EventCommand(
                type=EventType.ISSUE,
                id="issue-b",
                event_time=T0 + timedelta(hours=2),
                location_id="DOCK",
                inputs=[Line(item_id="LOT-A", quantity=1)],
                new_items=[NewItem(id="BATCH-B", material_id="FLOUR", kind="BATCH")],
                outputs=[Line(item_id="BATCH-B")],
            )
        )
    assert refused.value.problems[0].code == STATUS_FORBIDS
    assert "A-QUAR" in refused.value.problems[0].message


async def test_fefo_passes_over_lots_whose_classification_may_not_be_issued(services: Services) -> None:
    a = services.session(key("A"))
    await a.create_classification(quarantine())
    await a.create_classification(Classification(id="A-OK", name="Approved", may_issue=True, may_ship=False))
    for n, lot in enumerate(("LOT-1", "LOT-2", "LOT-3")):
        await receive(a, lot, at=n)
    await a.record(reclassify("LOT-1", "A-QUAR", "rc-1"))
    await a.record(reclassify("LOT-2", "A-OK", "rc-2"))
    proposal = await a.fefo("FLOUR", "WH-A", 15, at=T0 + timedelta(days=1))
    assert [(p.item.id, p.quantity) for p in proposal.picks] == [("LOT-2", 10.0), ("LOT-3", 5.0)]
    assert [(s.item.id, s.reason) for s in proposal.skipped] == [("LOT-1", SkipReason.STATUS_FORBIDS)]
    shipping = await a.fefo("FLOUR", "WH-A", 5, at=T0 + timedelta(days=1), shipping=True)
    assert [p.item.id for p in shipping.picks] == ["LOT-3"]


async def test_a_recall_hold_keeps_lots_a_user_classification_holds(services: Services) -> None:
    a = services.session(key("A", Role.ADMIN))
    await a.create_classification(quarantine())
    await receive(a, "LOT-1")
    await receive(a, "LOT-2", at=1)
    await a.record(reclassify("LOT-1", "A-QUAR", "rc-1"))
    recalls = a.recalls
    recall = await recalls.open(["LOT-1", "LOT-2"], Direction.FORWARD, "suspect flour")
    result = await recalls.hold(recall.id)
    assert result.held == ["LOT-2"]
    items = await a.items(["LOT-1", "LOT-2"])
    assert (items["LOT-1"].status, items["LOT-2"].status) == ("A-QUAR", "HOLD")
