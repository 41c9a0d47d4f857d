"""Containers on every store: a container's allowed materials kept, changed and enforced on
pack (commands refused, nothing written; facts recorded with a finding), and its occupancy
read back from its events."""

from __future__ import annotations

from contract_kit import L, all_findings, assert_consistent, assert_refused, at, bakery, cmd, receive, record

from tracegraph.domain import errors as E
from tracegraph.domain.containers import contents, stays
from tracegraph.domain.events import FindingKind, NewItem, Source
from tracegraph.domain.models import ContainerType, Item, ItemKind
from tracegraph.store.port import GraphStore


async def tank_plant(store: GraphStore, allowed: list[str] | None = ["FLOUR"]) -> None:  # noqa: B006
    await bakery(store)
    await receive(store, "FL-1", "FLOUR", 100, hours=0)
    await receive(store, "SU-1", "SUGAR", 50, hours=0)
    tank = NewItem(
        id="TANK", kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT, allowed_material_ids=allowed
    )
    await record(
        store,
        cmd("RECEIVE", id="rcv-TANK", event_time=at(0), location_id="WH", new_items=[tank], outputs=[L("TANK", 1)]),
    )


async def tank(store: GraphStore) -> Item:
    found = (await store.get("Item", ["TANK"]))["TANK"]
    assert isinstance(found, Item)
    return found


def pack(item_id: str, hours: float, event_id: str) -> object:
    return cmd(
        "PACK", id=event_id, event_time=at(hours), location_id="WH", container_id="TANK", inputs=[L(item_id, 10)]
    )


async def test_a_container_keeps_its_allowed_materials_and_they_may_change(store: GraphStore) -> None:
    await tank_plant(store)
    assert (await tank(store)).allowed_material_ids == ["FLOUR"]
    assert await store.set_allowed_materials("TANK", ["FLOUR", "SUGAR"])
    assert (await tank(store)).allowed_material_ids == ["FLOUR", "SUGAR"]
    assert await store.set_allowed_materials("TANK", None)
    assert (await tank(store)).allowed_material_ids is None
    assert not await store.set_allowed_materials("NO-SUCH-TANK", ["FLOUR"])
    lot = (await store.get("Item", ["FL-1"]))["FL-1"]
    assert isinstance(lot, Item) and lot.allowed_material_ids is None


async def test_packing_a_material_not_allowed_is_refused_and_a_fact_of_it_found(store: GraphStore) -> None:
    await tank_plant(store)
    await record(store, pack("FL-1", 1, "pack-flour"))
    error = await assert_refused(store, pack("SU-1", 2, "pack-sugar"), code=E.MATERIAL_NOT_ALLOWED)
    assert "SU-1" in str(error) and "SUGAR" in str(error) and "TANK" in str(error)
    await record(store, pack("SU-1", 2, "fact-sugar"), source=Source.FACT)
    [finding] = [f for f in await all_findings(store) if f.kind is FindingKind.MATERIAL_NOT_ALLOWED]
    assert (finding.item_id, finding.event_id) == ("SU-1", "fact-sugar")
    # Once the owner allows sugar, a command packs it.
    await store.set_allowed_materials("TANK", ["FLOUR", "SUGAR"])
    await record(store, pack("SU-1", 3, "pack-sugar"))
    await assert_consistent(store)


async def test_a_containers_occupancy_from_its_events(store: GraphStore) -> None:
    await tank_plant(store, None)
    await record(store, pack("FL-1", 1, "p1"), pack("SU-1", 2, "p2"))
    await record(store, cmd("UNPACK", id="u1", event_time=at(3), container_id="TANK", inputs=[L("FL-1")]))
    await record(store, pack("FL-1", 4, "p3"))
    events = (await store.events_of_items(["TANK"]))["TANK"]
    history = stays("TANK", events)
    assert [(s.item_id, s.packed_by, s.unpacked_by, s.quantity) for s in history] == [
        ("FL-1", "p1", "u1", 10),
        ("SU-1", "p2", None, 10),
        ("FL-1", "p3", None, 10),
    ]
    assert {(c.item_id, c.since) for c in contents(history)} == {("SU-1", at(2)), ("FL-1", at(4))}


async def test_a_move_keeps_a_container_list_changed_after_it_was_made(store: GraphStore) -> None:
    """`setAllowedMaterials` is no event: a move (or a backup and its restore) copies the list
    once the container's events are replayed."""
    from tracegraph.services.moving import move_ledger
    from tracegraph.store.memory import MemoryStore

    await tank_plant(store)
    assert await store.set_allowed_materials("TANK", ["FLOUR", "SUGAR"])
    target = MemoryStore()
    await target.open()
    try:
        report = await move_ledger(store, target)
        assert report.verified, report.problems
        moved = (await target.get("Item", ["TANK"]))["TANK"]
        assert isinstance(moved, Item) and moved.allowed_material_ids == ["FLOUR", "SUGAR"]
    finally:
        await target.close()
