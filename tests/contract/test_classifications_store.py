"""Classifications as master data, on every store: the five built-ins exist from the start
(and survive a reopen unchanged when an admin changed them), user-defined ones are created,
changed, read and paged, and the ledger enforces every flag of an item's classification:
commands refused whole, facts recorded with a finding."""

from __future__ import annotations

import pytest
from contract_kit import (
    CUSTOMER,
    Backend,
    L,
    all_findings,
    assert_consistent,
    assert_refused,
    bakery,
    cmd,
    lot,
    on_hand,
    receive,
    record,
)

from tracegraph.domain import errors as E
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import DEFAULT_CLASSIFICATIONS, Classification, ItemKind, Status
from tracegraph.store.port import GraphStore

QUARANTINE = Classification(
    id="QUARANTINE",
    name="Quarantine",
    description="Suspect: may be moved to the quarantine area, nothing else",
    may_issue=False,
    may_ship=False,
    may_pack=False,
    may_move=True,
    may_split=False,
    organization_id="ACME",
)


@pytest.fixture
async def stocked(store: GraphStore) -> GraphStore:
    await bakery(store)
    await store.create("Classification", QUARANTINE)
    await receive(store, "FL-1", "FLOUR", 100)
    await receive(store, "FL-Q", "FLOUR", 100, status="QUARANTINE", event_id="rcv-q")
    await record(
        store,
        cmd(
            "RECEIVE",
            id="rcv-box",
            location_id="WH",
            new_items=[lot("BOX", "FLOUR", kind=ItemKind.CONTAINER)],
            outputs=[L("BOX", 1)],
        ),
    )
    return store


async def test_the_five_built_ins_exist_with_their_flags(store: GraphStore) -> None:
    got = await store.get("Classification", list(DEFAULT_CLASSIFICATIONS))
    assert got == DEFAULT_CLASSIFICATIONS
    flags = {c.id: (c.may_issue, c.may_ship, c.may_pack, c.may_move, c.may_split) for c in got.values()}
    assert flags == {
        "RELEASED": (True, True, True, True, True),
        "QC": (True, False, True, True, True),
        "REWORK": (True, False, True, True, True),
        "HOLD": (False, False, True, True, True),
        "FAIL": (False, False, True, True, True),
    }
    page = await store.page("Classification", None, 100)
    assert [c.id for c in page] == sorted(DEFAULT_CLASSIFICATIONS)


async def test_create_update_get_and_page(store: GraphStore) -> None:
    await store.create("Classification", QUARANTINE)
    assert await store.get("Classification", ["QUARANTINE", "NOPE"]) == {"QUARANTINE": QUARANTINE}
    with pytest.raises(DomainError) as refused:
        await store.create("Classification", QUARANTINE)
    assert refused.value.problems[0].code == E.ALREADY_EXISTS
    changed = QUARANTINE.model_copy(update={"may_ship": True, "description": None, "name": "Quarantined"})
    await store.update("Classification", changed)
    assert (await store.get("Classification", ["QUARANTINE"]))["QUARANTINE"] == changed
    with pytest.raises(DomainError) as unknown:
        await store.update("Classification", changed.model_copy(update={"id": "NOPE"}))
    assert unknown.value.problems[0].code == E.NOT_FOUND
    assert [c.id for c in await store.page("Classification", "HOLD", 2)] == ["QC", "QUARANTINE"]


async def test_a_changed_built_in_is_kept_when_the_store_opens_again(store: GraphStore, backend: Backend) -> None:
    if backend.kind == "memory":
        pytest.skip("memory store: nothing outlives a close")
    strict_qc = DEFAULT_CLASSIFICATIONS["QC"].model_copy(update={"may_issue": False})
    await store.update("Classification", strict_qc)
    again = await backend.reopen(store)
    assert (await again.get("Classification", ["QC"]))["QC"] == strict_qc


async def test_an_item_status_is_a_classification(stocked: GraphStore) -> None:
    items = await stocked.get("Item", ["FL-1", "FL-Q"])
    assert items["FL-1"].status == Status.RELEASED == "RELEASED"  # type: ignore[attr-defined]
    assert items["FL-Q"].status == "QUARANTINE"  # type: ignore[attr-defined]
    entry = (await record(stocked, cmd("RECLASSIFY", id="rc-1", inputs=[L("FL-1")], status="QUARANTINE")))[0]
    assert [(c.from_status, c.to_status) for c in entry.event.status_changes] == [("RELEASED", "QUARANTINE")]
    assert (await stocked.get("Item", ["FL-1"]))["FL-1"].status == "QUARANTINE"  # type: ignore[attr-defined]
    # A correction puts the item back in the classification it had.
    await record(stocked, cmd("CORRECTION", id="undo-rc-1", reverses="rc-1"))
    assert (await stocked.get("Item", ["FL-1"]))["FL-1"].status == "RELEASED"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (cmd("RECLASSIFY", inputs=[L("FL-1")], status="NOPE"), "status"),
        (
            cmd("RECEIVE", location_id="WH", new_items=[lot("X-1", "FLOUR", status="NOPE")], outputs=[L("X-1", 1)]),
            "newItems[0].status",
        ),
    ],
)
async def test_an_unknown_classification_is_not_found(stocked: GraphStore, command: object, field: str) -> None:
    error = await assert_refused(stocked, command, code=E.NOT_FOUND, field=field)  # type: ignore[arg-type]
    assert any("unknown classification NOPE" in p.message for p in error.problems)


@pytest.mark.parametrize(
    ("command", "verb"),
    [
        (
            cmd(
                "ISSUE",
                location_id="WH",
                inputs=[L("FL-Q", 5)],
                new_items=[lot("B-1", "FLOUR", kind="BATCH")],
                outputs=[L("B-1")],
            ),
            "issued",
        ),
        (
            cmd(
                "PRODUCE",
                location_id="WH",
                inputs=[L("FL-Q", 5)],
                new_items=[lot("D-1", "DOUGH")],
                outputs=[L("D-1", 5)],
            ),
            "issued",
        ),
        (cmd("SHIP", location_id="WH", inputs=[L("FL-Q", 5)]), "shipped"),
        (cmd("PACK", location_id="WH", container_id="BOX", inputs=[L("FL-Q", 5)]), "packed"),
        (
            cmd(
                "SPLIT",
                location_id="WH",
                inputs=[L("FL-Q", 5)],
                new_items=[lot("FL-Q-A", "FLOUR", kind="SUBLOT", parent_id="FL-Q")],
                outputs=[L("FL-Q-A")],
            ),
            "split",
        ),
    ],
)
async def test_commands_its_flags_forbid_are_refused_naming_lot_and_classification(
    stocked: GraphStore, command: object, verb: str
) -> None:
    error = await assert_refused(stocked, command, code=E.STATUS_FORBIDS, field="inputs[0].itemId")  # type: ignore[arg-type]
    message = next(p.message for p in error.problems if p.code == E.STATUS_FORBIDS)
    assert "FL-Q" in message and "QUARANTINE" in message and verb in message


async def test_what_its_flags_allow_goes_through(stocked: GraphStore) -> None:
    await record(stocked, cmd("MOVE", id="mv-q", location_id="WH", to_location_id="DOCK", inputs=[L("FL-Q", 40)]))
    assert await on_hand(stocked, "FL-Q") == {"WH": 60.0, "DOCK": 40.0, "virtual:supplier": -100.0}
    # A count and a scrap stay allowed whatever the classification, as before.
    await record(stocked, cmd("SCRAP", id="scrap-q", location_id="DOCK", inputs=[L("FL-Q", 40)]))
    # The built-in flags of pack, move and split allow them: a HOLD lot is still packed.
    await record(stocked, cmd("RECLASSIFY", id="hold-1", inputs=[L("FL-1")], status="HOLD"))
    await record(stocked, cmd("PACK", id="pack-1", location_id="WH", container_id="BOX", inputs=[L("FL-1", 5)]))
    await assert_consistent(stocked)


async def test_a_flag_changed_applies_from_then_on(stocked: GraphStore) -> None:
    ship = cmd("SHIP", id="ship-q", location_id="WH", inputs=[L("FL-Q", 5)])
    await assert_refused(stocked, ship, code=E.STATUS_FORBIDS)
    await stocked.update("Classification", QUARANTINE.model_copy(update={"may_ship": True}))
    await record(stocked, ship)
    assert (await on_hand(stocked, "FL-Q"))[CUSTOMER] == 5.0


async def test_a_batch_with_one_forbidden_move_writes_nothing(stocked: GraphStore) -> None:
    await stocked.update("Classification", QUARANTINE.model_copy(update={"may_move": False}))
    await assert_refused(
        stocked,
        cmd("MOVE", id="mv-ok", location_id="WH", to_location_id="DOCK", inputs=[L("FL-1", 1)]),
        cmd("MOVE", id="mv-no", location_id="WH", to_location_id="DOCK", inputs=[L("FL-Q", 1)]),
        code=E.STATUS_FORBIDS,
        field="events[1].inputs[0].itemId",
    )


async def test_facts_are_recorded_with_a_finding(stocked: GraphStore) -> None:
    await record(
        stocked,
        cmd("PACK", id="fact-pack", location_id="WH", container_id="BOX", inputs=[L("FL-Q", 5)]),
        cmd("SHIP", id="fact-ship", location_id="WH", inputs=[L("FL-Q", 5)]),
        source=Source.FACT,
    )
    found = [(f.kind, f.event_id, f.item_id) for f in await all_findings(stocked)]
    assert (FindingKind.STATUS_VIOLATION, "fact-pack", "FL-Q") in found
    assert (FindingKind.STATUS_VIOLATION, "fact-ship", "FL-Q") in found
    assert (await on_hand(stocked, "FL-Q"))[CUSTOMER] == 5.0
