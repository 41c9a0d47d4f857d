"""Composition lists and serial assemblies on every store: a list kept, read and replaced; a
production against it refused (REFUSE) or recorded with findings (FINDING, facts); a bike
built over three events; a wheel swapped; the swapped-out wheel traced to where it went."""

from __future__ import annotations

from contract_kit import (
    L,
    all_findings,
    assert_consistent,
    assert_refused,
    at,
    cmd,
    lot,
    on_hand,
    receive,
    record,
)

from tracegraph.domain import errors as E
from tracegraph.domain.assembly import component_stays
from tracegraph.domain.composition import Component, CompositionList, MismatchKind, OnMismatch
from tracegraph.domain.events import FindingKind, Line, LinkKind, NewItem, Source
from tracegraph.domain.models import Item, ItemKind, Location, Material, MaterialKind, Organization, Tracking
from tracegraph.domain.query import Direction
from tracegraph.store.port import GraphStore

BIKE_LIST = CompositionList(
    id="BOM-BIKE",
    material_id="BIKE",
    name="City bike",
    components=[
        Component(material_id="FRAME"),
        Component(material_id="WHEEL", slot="FRONT"),
        Component(material_id="WHEEL", slot="REAR"),
        Component(material_id="SADDLE"),
    ],
    organization_id="ACME",
)


async def bike_shop(store: GraphStore) -> None:
    await store.create("Organization", Organization(id="ACME", name="Acme Bikes"))
    for m in (
        Material(id="FRAME", name="Frame", tracking=Tracking.SERIAL, base_unit="EA"),
        Material(id="WHEEL", name="Wheel", tracking=Tracking.SERIAL, base_unit="EA"),
        Material(id="SADDLE", name="Saddle", base_unit="EA"),
        Material(id="BOLT", name="Bolt", base_unit="EA", conversions={"BOX": 100}),
        Material(id="BIKE", name="Bike", tracking=Tracking.SERIAL, base_unit="EA", kind=MaterialKind.PRODUCT),
    ):
        await store.create("Material", m)
    for loc in ("WH", "LINE", "REPAIR"):
        await store.create("Location", Location(id=loc, name=loc.title()))
    await store.create("CompositionList", BIKE_LIST)
    for serial, material in (
        ("F-1", "FRAME"),
        ("F-2", "FRAME"),
        ("W-1", "WHEEL"),
        ("W-2", "WHEEL"),
        ("W-3", "WHEEL"),
    ):
        await receive(store, serial, material, 1, kind=ItemKind.SERIAL, location="LINE")
    await receive(store, "SAD-1", "SADDLE", 5, location="LINE")
    await receive(store, "BOLTS", "BOLT", 500, location="LINE")


def serial(item_id: str, material_id: str = "BIKE") -> NewItem:
    return lot(item_id, material_id, kind=ItemKind.SERIAL)


def slot_line(item_id: str, slot: str | None = None, quantity: float | None = None) -> Line:
    return Line(item_id=item_id, quantity=quantity, slot=slot)


async def item(store: GraphStore, item_id: str) -> Item:
    found = (await store.get("Item", [item_id]))[item_id]
    assert isinstance(found, Item)
    return found


async def test_a_composition_list_is_kept_read_and_replaced(store: GraphStore) -> None:
    await bike_shop(store)
    assert (await store.get("CompositionList", ["BOM-BIKE"]))["BOM-BIKE"] == BIKE_LIST
    assert [c.id for c in await store.composition_lists_of(["BIKE"])] == ["BOM-BIKE"]
    assert await store.composition_lists_of(["FRAME"]) == []
    changed = BIKE_LIST.model_copy(update={"on_mismatch": OnMismatch.FINDING, "tolerance_percent": 5.0})
    await store.update("CompositionList", changed)
    assert (await store.get("CompositionList", ["BOM-BIKE"]))["BOM-BIKE"] == changed
    assert [c.id for c in await store.page("CompositionList", None, 10)] == ["BOM-BIKE"]


def build(event_id: str, *inputs: Line, composition: str | None = "BOM-BIKE", bike: str = "BIKE-1") -> object:
    return cmd(
        "PRODUCE",
        id=event_id,
        event_time=at(1),
        location_id="LINE",
        composition_id=composition,
        new_items=[serial(bike)],
        inputs=list(inputs),
        outputs=[L(bike, 1)],
    )


async def test_a_production_against_its_list_is_checked_and_kept(store: GraphStore) -> None:
    await bike_shop(store)
    [entry] = await record(
        store,
        build("make-1", L("F-1"), slot_line("W-1", "FRONT"), L("W-2"), L("SAD-1", 1)),  # W-2 takes REAR
    )
    assert entry.event.composition_check is not None and entry.event.composition_check.ok
    bike = await item(store, "BIKE-1")
    assert {(c.item_id, c.slot) for c in bike.components} == {
        ("F-1", None),
        ("W-1", "FRONT"),
        ("W-2", "REAR"),
        ("SAD-1", None),
    }
    await assert_consistent(store)


async def test_a_production_that_does_not_match_is_refused(store: GraphStore) -> None:
    await bike_shop(store)
    # No saddle: missing; bolts: not on the list; a frame in a wheel's slot.
    error = await assert_refused(
        store,
        build("make-1", L("F-1"), slot_line("W-1", "FRONT"), slot_line("F-2", "REAR"), L("BOLTS", 4)),
        code=E.COMPOSITION_MISSING,
        field="compositionId",
    )
    codes = {(p.code, p.field) for p in error.problems}
    assert (E.COMPOSITION_EXTRA, "inputs[3].itemId") in codes
    assert (E.COMPOSITION_WRONG_MATERIAL, "inputs[2].itemId") in codes
    assert "SADDLE" in str(error) and "BOLT" in str(error)
    # Two saddles: outside the 2 % tolerance.
    await assert_refused(
        store,
        build("make-2", L("F-1"), L("W-1"), L("W-2"), L("SAD-1", 2)),
        code=E.COMPOSITION_QUANTITY,
        field="inputs[3].itemId",
    )
    await assert_refused(store, build("make-3", L("F-1"), composition="NO-SUCH-LIST"), code=E.NOT_FOUND)


async def test_a_list_set_to_finding_and_a_fact_record_the_mismatch_as_findings(store: GraphStore) -> None:
    await bike_shop(store)
    await store.update("CompositionList", BIKE_LIST.model_copy(update={"on_mismatch": OnMismatch.FINDING}))
    [entry] = await record(store, build("make-1", L("F-1"), L("W-1"), L("W-2")))
    check = entry.event.composition_check
    assert check is not None and [m.material_id for m in check.of(MismatchKind.MISSING)] == ["SADDLE"]
    [found] = [f for f in await all_findings(store) if f.kind is FindingKind.COMPOSITION_MISMATCH]
    assert found.event_id == "make-1" and "SADDLE" in found.message
    # A fact is recorded whatever the list says.
    await store.update("CompositionList", BIKE_LIST)
    await record(store, build("fact-2", L("F-2"), L("W-3"), bike="BIKE-2"), source=Source.FACT)
    found_now = [f for f in await all_findings(store) if f.kind is FindingKind.COMPOSITION_MISMATCH]
    assert {f.event_id for f in found_now} == {"make-1", "fact-2"}
    # Without a list, as before: no check.
    [plain] = await record(store, build("make-3", L("SAD-1", 1), composition=None, bike="BIKE-3"))
    assert plain.event.composition_check is None


def assemble(event_id: str, hours: float, *inputs: Line, composition: str | None = "BOM-BIKE") -> object:
    return cmd(
        "ASSEMBLE",
        id=event_id,
        event_time=at(hours),
        location_id="LINE",
        composition_id=composition,
        inputs=list(inputs),
        outputs=[L("BIKE-1")],
    )


async def built_over_three_events(store: GraphStore) -> None:
    await bike_shop(store)
    await record(store, build("make-1", L("F-1"), composition=None))  # the frame: the bike's serial
    await record(store, assemble("fit-wheels", 2, slot_line("W-1", "FRONT"), slot_line("W-2", "REAR")))
    await record(store, assemble("fit-saddle", 3, L("SAD-1", 1)))


async def test_an_assembly_is_built_over_three_events(store: GraphStore) -> None:
    await built_over_three_events(store)
    bike = await item(store, "BIKE-1")
    assert {(c.item_id, c.slot, c.event_id) for c in bike.components} == {
        ("F-1", None, "make-1"),
        ("W-1", "FRONT", "fit-wheels"),
        ("W-2", "REAR", "fit-wheels"),
        ("SAD-1", None, "fit-saddle"),
    }
    assert await on_hand(store, "BIKE-1") == {"LINE": 1, "virtual:production": -1}  # it never moved
    assert await on_hand(store, "W-1") == {"virtual:production": 1, "virtual:supplier": -1}
    links = await store.links(["W-1"], Direction.FORWARD)
    assert [(x.target_id, x.kind, x.event_id) for x in links] == [("BIKE-1", LinkKind.INSTALLED, "fit-wheels")]
    # A slot holds one serial; a wheel of the list's slot takes only a wheel.
    await assert_refused(store, assemble("again", 4, slot_line("W-3", "FRONT")), code=E.SLOT_OCCUPIED)
    await assert_refused(store, assemble("bolts", 4, L("BOLTS", 2)), code=E.COMPOSITION_EXTRA)
    await assert_refused(
        store, assemble("too-many", 4, L("SAD-1", 1)), code=E.COMPOSITION_QUANTITY, field="inputs[0].itemId"
    )
    await assert_consistent(store)


def take_out(event_id: str, hours: float, item_id: str, to: str = "REPAIR") -> object:
    return cmd(
        "DISASSEMBLE",
        id=event_id,
        event_time=at(hours),
        location_id="LINE",
        inputs=[L("BIKE-1")],
        outputs=[L(item_id, location_id=to)],
    )


async def test_a_wheel_is_swapped_and_traced_to_where_it_went(store: GraphStore) -> None:
    await built_over_three_events(store)
    # The swap, in one batch: the rear wheel out to repair, a new one in.
    await record(store, take_out("out-rear", 5, "W-2"), assemble("in-rear", 5, slot_line("W-3", "REAR")))
    bike = await item(store, "BIKE-1")
    assert {(c.item_id, c.slot) for c in bike.components if c.slot} == {("W-1", "FRONT"), ("W-3", "REAR")}
    assert await on_hand(store, "W-2") == {"REPAIR": 1, "virtual:supplier": -1}
    history = component_stays("BIKE-1", (await store.events_of_items(["BIKE-1"]))["BIKE-1"])
    rear = [(s.item_id, s.installed_by, s.removed_by) for s in history if s.slot == "REAR"]
    assert rear == [("W-2", "fit-wheels", "out-rear"), ("W-3", "in-rear", None)]
    # The wheel taken out goes on: into another bike.
    await record(
        store,
        build("make-2", L("F-2"), composition=None, bike="BIKE-2"),
        cmd(
            "ASSEMBLE",
            id="fit-2",
            event_time=at(6),
            location_id="REPAIR",
            inputs=[slot_line("W-2", "FRONT")],
            outputs=[L("BIKE-2")],
        ),
    )
    walk = await store.walk(["W-2"], Direction.FORWARD)
    assert set(walk.reached) == {"BIKE-1", "BIKE-2"}
    # Taking out what is not in it is refused.
    await assert_refused(store, take_out("out-again", 7, "W-2"), code=E.NOT_INSTALLED)
    await assert_consistent(store)


async def test_correcting_an_assembly_puts_its_components_back(store: GraphStore) -> None:
    await built_over_three_events(store)
    await record(store, cmd("CORRECTION", id="undo-saddle", event_time=at(4), reverses="fit-saddle"))
    bike = await item(store, "BIKE-1")
    assert "SAD-1" not in {c.item_id for c in bike.components}
    assert await on_hand(store, "SAD-1") == {"LINE": 5, "virtual:supplier": -5}
    await assert_consistent(store)


async def test_the_bulk_path_checks_against_the_list_too(store: GraphStore) -> None:
    from tracegraph.services.ledger import Ledger

    await bike_shop(store)
    report = await Ledger(store).import_events(
        [
            build("make-1", L("F-1"), slot_line("W-1", "FRONT"), L("W-2"), L("SAD-1", 1)),
            assemble("noop", 2, L("SAD-1", 1), composition=None),
        ]
    )
    assert report.events == 2
    bike = await item(store, "BIKE-1")
    assert ("W-2", "REAR") in {(c.item_id, c.slot) for c in bike.components}
    assert "SAD-1" in {c.item_id for c in bike.components if c.event_id == "noop"}
    await assert_consistent(store)
