"""Characteristic definitions on every store: kept on the material and read back, enforced on
the writes that set values (commands refused, nothing written; facts kept with a finding), an
out-of-spec result reclassifying its lot in the same event (a correction undoes it), and items
searched by a characteristic's value or range."""

from __future__ import annotations

from datetime import date

from contract_kit import L, all_findings, assert_consistent, assert_refused, at, bakery, cmd, lot, receive, record

from tracegraph.domain import errors as E
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import CharacteristicDefinition as Def
from tracegraph.domain.models import CharacteristicType as T
from tracegraph.domain.models import Classification, Item, Material
from tracegraph.domain.query import CharacteristicFilter, ItemFilter
from tracegraph.store.port import GraphStore

DEFS = [
    Def(name="moisture", type=T.NUMBER, unit="PCT", min=0, max=14.5, required=True, out_of_spec_status="QUARANTINE"),
    Def(name="grade", type=T.TEXT, values=["A", "B"]),
    Def(name="organic", type=T.BOOLEAN),
    Def(name="tested_on", type=T.DATE, min_date=date(2024, 1, 1), max_date=date(2024, 12, 31)),
]


async def grain_plant(store: GraphStore) -> None:
    await bakery(store)
    await store.create(
        "Classification", Classification(id="QUARANTINE", name="Quarantine", may_issue=False, may_ship=False)
    )
    await store.create("Material", Material(id="GRAIN", name="Grain", organization_id="ACME"))
    grain = (await store.get("Material", ["GRAIN"]))["GRAIN"]
    assert isinstance(grain, Material)
    await store.update("Material", grain.model_copy(update={"characteristic_definitions": DEFS}))


async def item(store: GraphStore, item_id: str) -> Item:
    found = (await store.get("Item", [item_id]))[item_id]
    assert isinstance(found, Item)
    return found


async def test_definitions_are_kept_replaced_and_cleared(store: GraphStore) -> None:
    await grain_plant(store)
    grain = (await store.get("Material", ["GRAIN"]))["GRAIN"]
    assert isinstance(grain, Material) and grain.characteristic_definitions == DEFS
    assert grain.organization_id == "ACME"
    await store.update("Material", grain.model_copy(update={"characteristic_definitions": DEFS[1:2]}))
    again = (await store.get("Material", ["GRAIN"]))["GRAIN"]
    assert isinstance(again, Material) and again.characteristic_definitions == DEFS[1:2]
    await store.update("Material", grain.model_copy(update={"characteristic_definitions": []}))
    cleared = (await store.get("Material", ["GRAIN"]))["GRAIN"]
    assert isinstance(cleared, Material) and cleared.characteristic_definitions == []
    flour = (await store.get("Material", ["FLOUR"]))["FLOUR"]
    assert isinstance(flour, Material) and flour.characteristic_definitions == []


async def test_a_bad_value_is_refused_and_a_fact_of_it_kept_with_a_finding(store: GraphStore) -> None:
    await grain_plant(store)
    bad = cmd(
        "RECEIVE",
        id="rcv-GR-1",
        event_time=at(1),
        location_id="WH",
        new_items=[lot("GR-1", "GRAIN", characteristics={"moisture": "wet"})],
        outputs=[L("GR-1", 100)],
    )
    await assert_refused(store, bad, code=E.INVALID_CHARACTERISTIC, field="newItems[0].characteristics.moisture")
    missing = bad.model_copy(update={"new_items": [lot("GR-1", "GRAIN", characteristics={"grade": "A"})]})
    await assert_refused(store, missing, code=E.CHARACTERISTIC_REQUIRED, field="newItems[0].characteristics.moisture")
    await record(store, bad, source=Source.FACT)
    [finding] = [f for f in await all_findings(store) if f.kind is FindingKind.INVALID_CHARACTERISTIC]
    assert (finding.item_id, finding.event_id) == ("GR-1", "rcv-GR-1") and "not a number" in finding.message
    assert (await item(store, "GR-1")).characteristics == {"moisture": "wet"}
    await assert_refused(
        store,
        cmd("CHARACTERISTICS", id="qc-1", inputs=[L("GR-1")], characteristics={"grade": "Z"}),
        code=E.INVALID_CHARACTERISTIC,
        field="characteristics.grade",
    )
    # Materials without definitions accept any value, as before.
    await receive(store, "FL-1", "FLOUR", 10, hours=1, characteristics={"anything": "goes"})
    await assert_consistent(store)


async def test_an_out_of_spec_result_reclassifies_and_a_correction_undoes_it(store: GraphStore) -> None:
    await grain_plant(store)
    await receive(store, "GR-1", "GRAIN", 100, hours=1, characteristics={"moisture": 12.0})
    assert (await item(store, "GR-1")).status == "RELEASED"
    [entry] = await record(
        store,
        cmd("CHARACTERISTICS", id="qc-1", event_time=at(2), inputs=[L("GR-1")], characteristics={"moisture": 15.1}),
    )
    assert [(c.item_id, c.from_status, c.to_status) for c in entry.event.status_changes] == [
        ("GR-1", "RELEASED", "QUARANTINE")
    ]
    found = await item(store, "GR-1")
    assert found.status == "QUARANTINE" and found.characteristics["moisture"] == 15.1
    issue = cmd("ISSUE", id="iss-1", event_time=at(3), location_id="WH", inputs=[L("GR-1", 5)], outputs=[L("FL-1", 5)])
    await assert_refused(store, issue, code=E.STATUS_FORBIDS)
    [undo] = await record(store, cmd("CORRECTION", id="undo-qc-1", event_time=at(4), reverses="qc-1"))
    assert [(c.from_status, c.to_status) for c in undo.event.status_changes] == [("QUARANTINE", "RELEASED")]
    assert (await item(store, "GR-1")).status == "RELEASED"
    await assert_consistent(store)


async def test_a_batch_sees_the_classification_its_result_moved_a_lot_to(store: GraphStore) -> None:
    await grain_plant(store)
    await receive(store, "GR-1", "GRAIN", 100, hours=1, characteristics={"moisture": 12.0})
    await receive(store, "DO-1", "DOUGH", 1, hours=1)
    qc = cmd("CHARACTERISTICS", id="qc-1", event_time=at(2), inputs=[L("GR-1")], characteristics={"moisture": 20.0})
    issue = cmd(
        "PRODUCE", id="mix-1", event_time=at(3), location_id="WH", inputs=[L("GR-1", 5)], outputs=[L("DO-1", 5)]
    )
    await assert_refused(store, qc, issue, code=E.STATUS_FORBIDS)
    # A new lot received out of spec is classified in its receipt.
    entry = await receive(store, "GR-2", "GRAIN", 50, hours=2, characteristics={"moisture": 16.0})
    assert entry.new_items[0].status == "QUARANTINE"
    assert [c.to_status for c in entry.event.status_changes] == ["QUARANTINE"]


async def test_items_searched_by_a_characteristics_value_or_range(store: GraphStore) -> None:
    await grain_plant(store)
    values = {
        "GR-1": {"moisture": 11.0, "grade": "A", "organic": True, "tested_on": "2024-03-01"},
        "GR-2": {"moisture": 12.5, "grade": "B", "organic": False, "tested_on": "2024-06-01"},
        "GR-3": {"moisture": 14.0, "grade": "A", "tested_on": "2024-09-01"},
        "GR-4": {"moisture": 16.0, "grade": "B"},
    }
    for n, (item_id, chars) in enumerate(values.items()):
        await receive(store, item_id, "GRAIN", 10, hours=n, characteristics=chars)
    await receive(store, "FL-1", "FLOUR", 10, hours=1, characteristics={"moisture": 12.5, "grade": "A"})

    async def search(first: int = 100, after: str | None = None, **f: object) -> list[str]:
        filt = ItemFilter(material_id="GRAIN", characteristic=CharacteristicFilter(**f))  # type: ignore[arg-type]
        return [i.id for i in await store.items_by_characteristic(filt, after, first)]

    assert await search(name="grade", equals="A") == ["GR-1", "GR-3"]
    assert await search(name="moisture", equals=12.5) == ["GR-2"]
    assert await search(name="moisture", equals=12) == []
    assert await search(name="organic", equals=True) == ["GR-1"]
    assert await search(name="organic", equals=False) == ["GR-2"]
    assert await search(name="moisture", min=12.5, max=14.0) == ["GR-2", "GR-3"]
    assert await search(name="moisture", min=14.5) == ["GR-4"]
    assert await search(name="tested_on", min_date=date(2024, 5, 1)) == ["GR-2", "GR-3"]
    assert await search(name="colour") == []
    # Paged by id: two at a time.
    assert await search(first=2, name="moisture", min=0) == ["GR-1", "GR-2"]
    assert await search(first=2, after="GR-2", name="moisture", min=0) == ["GR-3", "GR-4"]
    # The reclassified lot is found by its status too.
    by_status = ItemFilter(
        material_id="GRAIN", status="QUARANTINE", characteristic=CharacteristicFilter(name="moisture", min=0)
    )
    assert [i.id for i in await store.items_by_characteristic(by_status, None, 10)] == ["GR-4"]
