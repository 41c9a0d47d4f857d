"""Containers (domain/containers.py): allowed materials on pack, contents and occupancy."""

from __future__ import annotations

import pytest
from ledger_world import L, NewItem, World, at, bakery, cmd

from tracegraph.domain import errors as E
from tracegraph.domain.containers import contents, stays
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import ContainerType, ItemKind


def with_tank(allowed: list[str] | None = ["FLOUR"]) -> World:  # noqa: B006
    w = bakery()
    w.item("TANK", None, kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT, allowed_material_ids=allowed)
    w.stock("TANK", "WH", 1)
    return w


def pack(*items: str, when: int = 1, box: str = "TANK", **fields: object) -> object:
    return cmd(
        "PACK", location_id="WH", container_id=box, inputs=[L(i, 10) for i in items], event_time=at(when), **fields
    )


def test_a_container_takes_only_the_materials_it_allows() -> None:
    w = with_tank()
    w.apply(pack("FL-1"))
    with pytest.raises(DomainError) as info:
        w.plan(pack("FL-1", "BU-1", when=2))
    [p] = info.value.problems
    assert (p.field, p.code) == ("inputs[1].itemId", E.MATERIAL_NOT_ALLOWED)
    assert "BU-1" in p.message and "BUTTER" in p.message and "TANK" in p.message


def test_without_a_list_anything_goes() -> None:
    for allowed in (None, []):
        w = with_tank(allowed)
        w.apply(pack("FL-1", "BU-1"))


def test_an_item_without_a_material_is_not_on_the_list() -> None:
    w = with_tank()
    w.item("PALLET", None, kind=ItemKind.CONTAINER)
    w.stock("PALLET", "WH", 1)
    with pytest.raises(DomainError) as info:
        w.plan(cmd("PACK", location_id="WH", container_id="TANK", inputs=[L("PALLET")]))
    assert [p.code for p in info.value.problems] == [E.MATERIAL_NOT_ALLOWED]


def test_a_fact_is_recorded_with_a_finding() -> None:
    w = with_tank()
    entry = w.apply(pack("BU-1", id="E-FACT"), Source.FACT)
    [finding] = entry.findings
    assert finding.kind is FindingKind.MATERIAL_NOT_ALLOWED
    assert finding.item_id == "BU-1" and finding.event_id == "E-FACT"
    assert [(link.source_id, link.target_id) for link in entry.event.links] == [("BU-1", "TANK")]


def test_a_new_container_names_known_materials_and_only_a_container_has_a_list() -> None:
    w = bakery()
    entry = w.apply(
        cmd(
            "RECEIVE",
            location_id="WH",
            new_items=[NewItem(id="BIN", kind=ItemKind.CONTAINER, allowed_material_ids=["FLOUR", "FLOUR", "DOUGH"])],
            outputs=[L("BIN", 1)],
        )
    )
    assert entry.new_items[0].allowed_material_ids == ["FLOUR", "DOUGH"]
    with pytest.raises(DomainError) as info:
        w.plan(
            cmd(
                "RECEIVE",
                location_id="WH",
                new_items=[
                    NewItem(id="BIN2", kind=ItemKind.CONTAINER, allowed_material_ids=["FLOUR", "NOPE"]),
                    NewItem(id="FL-2", material_id="FLOUR", allowed_material_ids=["FLOUR"]),
                ],
                outputs=[L("BIN2", 1), L("FL-2", 5)],
            )
        )
    assert [(p.field, p.code) for p in info.value.problems] == [
        ("newItems[0].allowedMaterialIds[1]", E.NOT_FOUND),
        ("newItems[1].allowedMaterialIds", E.INVALID),
    ]


def test_contents_and_occupancy_follow_packs_and_unpacks() -> None:
    w = with_tank(None)
    records = [
        w.apply(pack("FL-1", when=1, id="P1")).event,
        w.apply(pack("BU-1", when=2, id="P2")).event,
        w.apply(cmd("UNPACK", container_id="TANK", inputs=[L("FL-1")], event_time=at(3), id="U1")).event,
        w.apply(pack("FL-1", when=4, id="P3")).event,
        w.apply(pack("FL-1", when=5, id="P4")).event,
    ]
    history = stays("TANK", records)
    assert [(s.item_id, s.packed_by, s.unpacked_by) for s in history] == [
        ("FL-1", "P1", "U1"),
        ("BU-1", "P2", None),
        ("FL-1", "P3", None),
        ("FL-1", "P4", None),
    ]
    assert history[0].unpacked_at == at(3)
    now = {c.item_id: c for c in contents(history)}
    assert set(now) == {"BU-1", "FL-1"}
    assert now["FL-1"].quantity == 20 and now["FL-1"].since == at(4) and now["FL-1"].packed_by == ["P3", "P4"]
    # An unpack naming nothing empties it.
    everything = w.apply(cmd("UNPACK", container_id="TANK", event_time=at(6), id="U2")).event
    assert contents(stays("TANK", [*records, everything])) == []


def test_a_corrected_pack_does_not_count() -> None:
    w = with_tank(None)
    p = w.apply(pack("FL-1", id="P1")).event
    c = w.apply(cmd("CORRECTION", reverses="P1", event_time=at(2), id="C1")).event
    assert stays("TANK", [p, c]) == []
