"""The composition rule (domain/composition.py): a production or assembly compared with its
list, scaled by what it makes; an assembly's component history (domain/assembly.py); and the
EPCIS form of ASSEMBLE and DISASSEMBLE (an AggregationEvent ADD or DELETE, parent the assembly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tracegraph.domain.assembly import component_stays
from tracegraph.domain.composition import Component, CompositionList, MismatchKind, Used, compare
from tracegraph.domain.events import ComponentChange, EventCommand, EventRecord, EventType, Line, Source
from tracegraph.gs1.epcis_events import to_command, to_epcis

BIKE = CompositionList(
    id="BOM",
    material_id="BIKE",
    components=[
        Component(material_id="FRAME"),
        Component(material_id="WHEEL", slot="FRONT"),
        Component(material_id="WHEEL", slot="REAR"),
        Component(material_id="BOLT", quantity=4),
    ],
)
DOUGH = CompositionList(
    id="DOUGH-100",
    material_id="DOUGH",
    basis=100,  # per 100 KG of dough
    components=[Component(material_id="FLOUR", quantity=60), Component(material_id="WATER", quantity=4, unit="BUCKET")],
    tolerance_percent=5,
)


def per_unit(component: Component) -> float | None:
    return 10.0 if component.unit == "BUCKET" else 1.0


def kinds(used: list[Used], lst: CompositionList = BIKE, made: float = 1.0, partial: bool = False) -> list[tuple]:
    out = compare(lst, used, made, per_unit, partial=partial).check.mismatches
    return [(m.kind, m.material_id, m.slot, m.line) for m in out]


def test_a_build_that_matches_its_list_has_no_mismatch_and_serials_take_free_slots() -> None:
    used = [
        Used("F1", "FRAME", 1, line=0),
        Used("W1", "WHEEL", 1, line=1),
        Used("W2", "WHEEL", 1, slot="FRONT", line=2),
        Used("B", "BOLT", 4, line=3),
    ]
    outcome = compare(BIKE, used, 1, per_unit)
    assert outcome.check.ok
    assert outcome.slots == {1: "REAR", 2: "FRONT"}  # the named slot first, the other takes what is left


def test_missing_extra_wrong_material_and_quantity_are_each_named() -> None:
    used = [
        Used("W1", "WHEEL", 1, slot="FRONT", line=0),
        Used("F2", "FRAME", 1, slot="REAR", line=1),
        Used("S", "SADDLE", 1, line=2),
        Used("B", "BOLT", 5, line=3),
    ]
    assert sorted(kinds(used)) == sorted(
        [
            (MismatchKind.WRONG_MATERIAL, "FRAME", "REAR", 1),
            (MismatchKind.EXTRA, "SADDLE", None, 2),
            (MismatchKind.MISSING, "WHEEL", "REAR", None),
            (MismatchKind.MISSING, "FRAME", None, None),
            (MismatchKind.QUANTITY, "BOLT", None, 3),
        ]
    )


def test_a_slot_takes_one_serial_and_an_unknown_slot_is_extra() -> None:
    used = [
        Used("W1", "WHEEL", 1, slot="FRONT", line=0),
        Used("W2", "WHEEL", 1, slot="FRONT", line=1),
        Used("W3", "WHEEL", 1, slot="MIDDLE", line=2),
    ]
    found = kinds(used, partial=True)
    assert (MismatchKind.EXTRA, "WHEEL", "FRONT", 1) in found
    assert (MismatchKind.EXTRA, "WHEEL", "MIDDLE", 2) in found
    # A third wheel without a slot: every wheel slot is filled.
    more = [Used("W1", "WHEEL", 1, line=0), Used("W2", "WHEEL", 1, line=1), Used("W3", "WHEEL", 1, line=2)]
    assert (MismatchKind.EXTRA, "WHEEL", None, 2) in kinds(more, partial=True)


def test_the_list_scales_with_what_is_made_and_its_tolerance_holds_either_way() -> None:
    # 250 KG of dough: 150 KG of flour and 10 buckets of 10 (100) of water, each ± 5 %.
    ok = [Used("FL", "FLOUR", 156, line=0), Used("WA", "WATER", 96, line=1)]
    assert kinds(ok, DOUGH, made=250) == []
    off = [Used("FL", "FLOUR", 158, line=0), Used("WA", "WATER", 94, line=1)]
    assert kinds(off, DOUGH, made=250) == [
        (MismatchKind.QUANTITY, "FLOUR", None, 0),
        (MismatchKind.QUANTITY, "WATER", None, 1),
    ]


def test_a_partial_build_misses_nothing_yet_but_may_not_exceed_the_list() -> None:
    assert kinds([Used("W1", "WHEEL", 1, slot="REAR", line=0)], partial=True) == []
    assert kinds([Used("B", "BOLT", 2, line=0)], partial=True) == []
    assert kinds([Used("B", "BOLT", 6, line=0)], partial=True) == [(MismatchKind.QUANTITY, "BOLT", None, 0)]


def test_a_list_refuses_a_slot_named_twice_a_material_listed_twice_and_a_slot_of_two() -> None:
    with pytest.raises(ValidationError, match="slot FRONT is named twice"):
        CompositionList(
            id="X",
            material_id="BIKE",
            components=[Component(material_id="WHEEL", slot="FRONT"), Component(material_id="WHEEL", slot="FRONT")],
        )
    with pytest.raises(ValidationError, match="listed twice"):
        CompositionList(
            id="X", material_id="BIKE", components=[Component(material_id="BOLT"), Component(material_id="BOLT")]
        )
    with pytest.raises(ValidationError, match="exactly one serial"):
        Component(material_id="WHEEL", slot="FRONT", quantity=2)
    with pytest.raises(ValidationError):
        CompositionList(id="X", material_id="BIKE", components=[])


T0 = datetime(2024, 5, 1, tzinfo=UTC)


def record(
    event_id: str, hours: int, event_type: EventType, *changes: ComponentChange, reverses: str | None = None
) -> EventRecord:
    lines = [Line(item_id="BIKE-1")]
    cmd = EventCommand(
        type=event_type,
        id=event_id,
        inputs=lines if event_type is EventType.DISASSEMBLE else [Line(item_id=c.item_id) for c in changes],
        outputs=lines if event_type is EventType.ASSEMBLE else [Line(item_id=c.item_id) for c in changes],
        reverses=reverses,
    )
    return EventRecord(
        id=event_id,
        type=event_type,
        source=Source.COMMAND,
        event_time=T0 + timedelta(hours=hours),
        recorded_at=T0 + timedelta(hours=hours),
        reverses=reverses,
        location_id="LINE",
        component_changes=list(changes),
        command=cmd,
    )


def change(item_id: str, slot: str | None = None, installed: bool = True) -> ComponentChange:
    return ComponentChange(assembly_id="BIKE-1", item_id=item_id, slot=slot, installed=installed, quantity=1)


def test_an_assemblys_history_from_its_events_with_a_swap_and_a_correction() -> None:
    events = [
        record("fit", 1, EventType.ASSEMBLE, change("W1", "FRONT"), change("W2", "REAR")),
        record("out", 2, EventType.DISASSEMBLE, change("W2", "REAR", installed=False)),
        record("in", 3, EventType.ASSEMBLE, change("W3", "REAR")),
        record("saddle", 4, EventType.ASSEMBLE, change("S1")),
        record("undo", 5, EventType.CORRECTION, reverses="saddle"),
    ]
    history = component_stays("BIKE-1", events)
    assert [(s.item_id, s.slot, s.installed_by, s.removed_by) for s in history] == [
        ("W1", "FRONT", "fit", None),
        ("W2", "REAR", "fit", "out"),
        ("W3", "REAR", "in", None),
    ]
    assert [s.item_id for s in history if s.current] == ["W1", "W3"]


def test_assemble_and_disassemble_are_aggregation_events_and_come_back_as_themselves() -> None:
    fit = record("fit", 1, EventType.ASSEMBLE, change("W1", "FRONT"))
    out = record("out", 2, EventType.DISASSEMBLE, change("W1", "FRONT", installed=False))
    sent = to_epcis(fit)
    assert (sent["type"], sent["action"], sent["parentID"], sent["bizStep"]) == (
        "AggregationEvent",
        "ADD",
        "BIKE-1",
        "assembling",
    )
    back = to_command(sent)
    assert back.type is EventType.ASSEMBLE
    assert [x.item_id for x in back.outputs] == ["BIKE-1"] and [x.item_id for x in back.inputs] == ["W1"]
    sent = to_epcis(out)
    assert (sent["action"], sent["parentID"], sent["bizStep"]) == ("DELETE", "BIKE-1", "disassembling")
    back = to_command(sent)
    assert back.type is EventType.DISASSEMBLE
    assert [x.item_id for x in back.inputs] == ["BIKE-1"] and [x.item_id for x in back.outputs] == ["W1"]
