"""Characteristic definitions (domain/characteristics.py) and their checks in the planner."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_world import L, NewItem, World, at, bakery, cmd

from tracegraph.domain import errors as E
from tracegraph.domain.characteristics import breaches, definition_problems, in_spec, reclassification, results
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.ledger import StateKeys, classification_ids_of
from tracegraph.domain.models import CharacteristicDefinition as Def
from tracegraph.domain.models import CharacteristicType as T
from tracegraph.domain.models import Material

DEFS = [
    Def(name="moisture", type=T.NUMBER, unit="PCT", min=0, max=14.5, required=True, out_of_spec_status="HOLD"),
    Def(name="grade", type=T.TEXT, values=["A", "B"]),
    Def(name="sieve_mesh", type=T.NUMBER, values=[63, 106]),
    Def(name="organic", type=T.BOOLEAN),
    Def(name="tested_on", type=T.DATE, min_date=date(2024, 1, 1), max_date=date(2024, 12, 31)),
]
GRAIN = Material(id="GRAIN", name="Grain", characteristic_definitions=DEFS)


def world() -> World:
    w = bakery()
    w.material("GRAIN", characteristic_definitions=DEFS)
    w.lot("GR-1", "GRAIN", 500.0, "WH", characteristics={"moisture": 12.0})
    return w


def receive(*specs: NewItem, **fields: object) -> object:
    return cmd(
        "RECEIVE",
        location_id="WH",
        new_items=list(specs),
        outputs=[L(s.id, 100) for s in specs],
        event_time=at(5),
        **fields,
    )


def grain(id: str = "GR-2", **values: object) -> NewItem:  # noqa: A002
    return NewItem(id=id, material_id="GRAIN", characteristics=values)


# -- the rules alone ---------------------------------------------------------------------------


def test_values_that_fit_break_no_rule() -> None:
    values = {"moisture": 13.0, "grade": "A", "sieve_mesh": 63.0, "organic": True, "tested_on": "2024-05-01"}
    assert breaches(GRAIN, values, new_item=True) == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("moisture", "wet", "not a number"),
        ("moisture", True, "not a number"),
        ("grade", "C", "value table"),
        ("grade", 1.0, "not text"),
        ("sieve_mesh", 75.0, "value table"),
        ("organic", "yes", "neither true nor false"),
        ("tested_on", "May 1st", "not an ISO 8601 date"),
        ("colour", "gold", "defines no characteristic colour"),
    ],
)
def test_a_value_breaking_its_definition(name: str, value: object, says: str) -> None:
    [b] = breaches(GRAIN, {"moisture": 12.0, name: value}, new_item=False)
    assert b.name == name and b.code == E.INVALID_CHARACTERISTIC and says in b.message


def test_a_required_characteristic_is_asked_of_new_items_only() -> None:
    [b] = breaches(GRAIN, {"grade": "A"}, new_item=True)
    assert (b.name, b.code) == ("moisture", E.CHARACTERISTIC_REQUIRED)
    assert breaches(GRAIN, {"grade": "A"}, new_item=False) == []


def test_without_definitions_anything_goes() -> None:
    plain = Material(id="SALT", name="Salt")
    assert breaches(plain, {"anything": "at all", "n": 1.0}, new_item=True) == []
    assert reclassification(plain, {"moisture": 99.0}) is None


def test_limits_are_inclusive_and_a_table_or_text_has_none() -> None:
    moisture, grade, tested = DEFS[0], DEFS[1], DEFS[4]
    assert in_spec(moisture, 14.5) and in_spec(moisture, 0.0) and in_spec(moisture, 14.6) is False
    assert in_spec(tested, "2024-12-31") and in_spec(tested, "2025-01-01T00:00:00Z") is False
    assert in_spec(grade, "A") is None


def test_an_out_of_spec_result_names_its_classification() -> None:
    assert reclassification(GRAIN, {"moisture": 15.0}) == ("HOLD", "moisture")
    assert reclassification(GRAIN, {"moisture": 14.0}) is None
    assert reclassification(GRAIN, {"tested_on": "2023-06-01"}) is None  # out of spec, no classification


def test_results_judge_each_value_defined_ones_first() -> None:
    got = results(GRAIN, {"zz": "free", "grade": "B", "moisture": 16.0})
    assert [(r.name, r.in_spec, r.definition is not None) for r in got] == [
        ("moisture", False, True),
        ("grade", None, True),
        ("zz", None, False),
    ]


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (Def(name="m", type=T.NUMBER, min=5, max=1), "definitions[0].min"),
        (Def(name="b", type=T.BOOLEAN, values=["x"]), "definitions[0].values"),
        (Def(name="d", type=T.DATE, values=["2024-01-01"]), "definitions[0].values"),
        (Def(name="t", type=T.TEXT, unit="KG"), "definitions[0].unit"),
        (Def(name="t", type=T.TEXT, min=1), "definitions[0].min"),
        (Def(name="n", type=T.NUMBER, min_date=date(2024, 1, 1)), "definitions[0].minDate"),
        (Def(name="d", type=T.DATE, min_date=date(2025, 1, 1), max_date=date(2024, 1, 1)), "definitions[0].minDate"),
        (Def(name="n", type=T.NUMBER, values=["x"]), "definitions[0].values[0]"),
        (Def(name="n", type=T.NUMBER, values=[]), "definitions[0].values"),
        (Def(name="n", type=T.NUMBER, out_of_spec_status="FAIL"), "definitions[0].outOfSpecStatus"),
    ],
)
def test_bad_definitions(definition: Def, field: str) -> None:
    assert [f for f, _ in definition_problems([definition])] == [field]


def test_a_name_defined_twice() -> None:
    twice = [Def(name="m", type=T.NUMBER), Def(name="m", type=T.TEXT)]
    assert [f for f, _ in definition_problems(twice)] == ["definitions[1].name"]
    assert definition_problems(DEFS) == []


def test_the_classifications_of_definitions_are_loaded_with_their_material() -> None:
    keys = StateKeys(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
    assert classification_ids_of(keys, {}, {"GRAIN": GRAIN}) == ["HOLD"]


# -- in the planner ----------------------------------------------------------------------------


def test_a_new_item_with_a_bad_value_is_refused_naming_the_field() -> None:
    w = world()
    with pytest.raises(DomainError) as info:
        w.plan(receive(grain(moisture="wet")))
    [p] = info.value.problems
    assert (p.field, p.code) == ("newItems[0].characteristics.moisture", E.INVALID_CHARACTERISTIC)
    assert "GR-2" in p.message and "not a number" in p.message


def test_a_new_item_missing_a_required_characteristic_is_refused() -> None:
    w = world()
    with pytest.raises(DomainError) as info:
        w.plan(receive(grain(grade="A")))
    assert [(p.field, p.code) for p in info.value.problems] == [
        ("newItems[0].characteristics.moisture", E.CHARACTERISTIC_REQUIRED)
    ]


def test_a_sub_lot_carries_its_lots_results() -> None:
    w = world()
    sub = NewItem(id="GR-1-A", material_id="GRAIN", parent_id="GR-1")
    w.apply(cmd("SPLIT", location_id="WH", inputs=[L("GR-1", 100)], outputs=[L("GR-1-A", 100)], new_items=[sub]))


def test_an_out_of_spec_new_item_is_classified_in_the_same_event() -> None:
    w = world()
    entry = w.apply(receive(grain(moisture=15.2)))
    [item] = entry.new_items
    assert item.status == "HOLD" and item.characteristics == {"moisture": 15.2}
    assert [(c.item_id, c.from_status, c.to_status) for c in entry.event.status_changes] == [
        ("GR-2", "RELEASED", "HOLD")
    ]


def test_an_in_spec_new_item_keeps_its_status() -> None:
    entry = world().apply(receive(grain(moisture=14.5, grade="B")))
    assert entry.new_items[0].status == "RELEASED" and entry.event.status_changes == []


def test_characteristics_event_checks_and_reclassifies_and_a_correction_undoes_it() -> None:
    w = world()
    with pytest.raises(DomainError) as info:
        w.plan(cmd("CHARACTERISTICS", inputs=[L("GR-1")], characteristics={"grade": "Z"}))
    assert [(p.field, p.code) for p in info.value.problems] == [("characteristics.grade", E.INVALID_CHARACTERISTIC)]
    entry = w.apply(cmd("CHARACTERISTICS", id="E-QC", inputs=[L("GR-1")], characteristics={"moisture": 16.0}))
    assert [(c.from_status, c.to_status) for c in entry.event.status_changes] == [("RELEASED", "HOLD")]
    assert w.state.items["GR-1"].status == "HOLD" and w.state.items["GR-1"].characteristics["moisture"] == 16.0
    undo = w.apply(cmd("CORRECTION", reverses="E-QC"))
    assert [(c.from_status, c.to_status) for c in undo.event.status_changes] == [("HOLD", "RELEASED")]
    assert w.state.items["GR-1"].status == "RELEASED"


def test_an_item_already_in_the_classification_does_not_move() -> None:
    w = world()
    w.apply(cmd("RECLASSIFY", inputs=[L("GR-1")], status="HOLD"))
    entry = w.apply(cmd("CHARACTERISTICS", inputs=[L("GR-1")], characteristics={"moisture": 16.0}))
    assert entry.event.status_changes == []


def test_a_fact_is_kept_with_findings() -> None:
    w = world()
    entry = w.apply(receive(grain(moisture="wet", colour="gold"), id="E-FACT"), Source.FACT)
    assert sorted(f.kind for f in entry.findings) == [FindingKind.INVALID_CHARACTERISTIC] * 2
    assert entry.new_items[0].characteristics == {"moisture": "wet", "colour": "gold"}
    fact = w.apply(
        cmd("CHARACTERISTICS", id="E-F2", inputs=[L("GR-1")], characteristics={"moisture": 20.0}), Source.FACT
    )
    assert fact.findings == [] and w.state.items["GR-1"].status == "HOLD"


def test_materials_without_definitions_accept_any_value() -> None:
    w = world()
    entry = w.apply(
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="FL-9", material_id="FLOUR", characteristics={"anything": "goes"})],
            outputs=[L("FL-9", 10)],
        )
    )
    assert entry.findings == [] and entry.event.status_changes == []
    w.apply(cmd("CHARACTERISTICS", inputs=[L("FL-1")], characteristics={"whatever": 1.0}))
