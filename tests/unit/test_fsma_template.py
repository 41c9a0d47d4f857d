"""FDA's FSMA 204 template layout (domain/fsma.py): which CTE each event records, each tab's key
data elements, locations split into seven columns, and the scope of an FDA request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracegraph.domain import fsma as F
from tracegraph.domain.events import EventCommand, EventRecord, EventType, Link, LinkKind, Move, Source
from tracegraph.domain.models import PRODUCTION, Item, ItemKind, Material, Order, OrderType

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def event(type: EventType, id: str, day: int, moves: list[Move], **fields: object) -> EventRecord:  # noqa: A002
    return EventRecord(
        id=id,
        type=type,
        source=Source.COMMAND,
        event_time=T0.replace(day=day),
        recorded_at=T0.replace(day=day),
        moves=moves,
        item_ids=[m.item_id for m in moves],
        command=EventCommand(type=type),
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("type", "biz_step", "cte"),
    [
        (EventType.RECEIVE, None, "Receiving"),
        (EventType.RETURN, None, "Receiving"),
        (EventType.SHIP, "shipping", "Shipping"),
        (EventType.PRODUCE, None, "Transformation"),
        (EventType.ISSUE, None, "Transformation"),
        (EventType.SPLIT, None, "Transformation"),
        (EventType.MERGE, None, "Transformation"),
        (EventType.ASSEMBLE, None, "Transformation"),
        (EventType.MOVE, None, None),
        (EventType.PACK, None, None),
        (EventType.ADJUST, None, None),
        (EventType.RECLASSIFY, None, None),
        (EventType.RECEIVE, "urn:epcglobal:cbv:bizstep:harvesting", "Harvesting"),
        (EventType.RECEIVE, "https://example.com/bizstep/first-land-based-receiving", "First Land-Based Receiving"),
        (EventType.PRODUCE, "initial_packing", "Initial Packing"),
        (EventType.MOVE, "cooling", "Cooling"),
    ],
)
def test_event_types_and_biz_steps_map_to_ctes(type: EventType, biz_step: str | None, cte: str | None) -> None:  # noqa: A002
    assert F.cte_of(event(type, "E", 2, [], biz_step=biz_step)) == cte


def test_every_cte_has_a_tab_with_its_key_data_elements() -> None:
    assert F.CTES == list(F.KDE_COLUMNS) == list(F.SECTIONS)
    shipping = F.KDE_COLUMNS["Shipping"]
    assert shipping[:4] == ["Traceability Lot Code", "Quantity", "Unit of Measure", "Product Description"]
    for group in ("Immediate Subsequent Recipient", "Shipped From", "Traceability Lot Code Source"):
        assert [c for c in shipping if c.startswith(group + " ")][:7] == [f"{group} {p}" for p in F.LOCATION_PARTS]
    assert {
        "Date Shipped",
        "Traceability Lot Code Source Reference",
        "Reference Document Type",
        "Reference Document Number",
    } <= set(shipping)
    receiving = F.KDE_COLUMNS["Receiving"]
    assert "Immediate Previous Source Name" in receiving and "Receiving Location Postal Code" in receiving
    assert "Date Received" in receiving
    transformation = F.KDE_COLUMNS["Transformation"]
    assert transformation[:8] == [
        "Input Traceability Lot Code",
        "Input Product Description",
        "Input Quantity",
        "Input Unit of Measure",
        "New Traceability Lot Code",
        "New Product Description",
        "New Quantity",
        "New Unit of Measure",
    ]
    assert "Date Transformation Completed" in transformation
    assert "Farm Where Harvested Country" in F.KDE_COLUMNS["Harvesting"]
    assert "Date Landed" in F.KDE_COLUMNS["First Land-Based Receiving"]
    for columns in F.KDE_COLUMNS.values():
        assert len(columns) == len(set(columns))
        assert columns[-3:] == ["Event Time", "tracegraph Event ID", "tracegraph Item ID"]


ITEMS = {
    "F": Item(id="F", kind=ItemKind.LOT, material_id="FLOUR", unit="KG", lot_code="FL-07", created_by_event="R"),
    "D": Item(id="D", kind=ItemKind.LOT, material_id="DOUGH", unit="KG", lot_code="DO-1", created_by_event="P"),
}
MATERIALS = {"FLOUR": Material(id="FLOUR", name="Flour"), "DOUGH": Material(id="DOUGH", name="Dough")}
PLACES = {
    "WH": F.place("Warehouse"),
    "LINE": F.place("Line 1"),
    "MILL": F.place("Moulins"),
    "SHOP": F.place("Shop"),
}
EVENTS = [
    event(
        EventType.RECEIVE,
        "R",
        2,
        [Move(item_id="F", from_location_id="virtual:supplier", to_location_id="WH", quantity=100)],
        location_id="WH",
        order_id="PO-7",
        partner_id="MILL",
    ),
    event(
        EventType.PRODUCE,
        "P",
        3,
        [
            Move(item_id="F", from_location_id="WH", to_location_id=PRODUCTION, quantity=100),
            Move(item_id="D", from_location_id=PRODUCTION, to_location_id="LINE", quantity=90),
        ],
        location_id="LINE",
        links=[Link(source_id="F", target_id="D", kind=LinkKind.CONSUMED)],
    ),
    event(
        EventType.SHIP,
        "S",
        4,
        [Move(item_id="D", from_location_id="LINE", to_location_id="SHOP", quantity=60)],
        shipment_id="SH-9",
        order_id="SO-1",
    ),
]
ORDERS = {
    "PO-7": Order(id="PO-7", type=OrderType.PURCHASE, reference="mill's invoice 77"),
    "SO-1": Order(id="SO-1", type=OrderType.SALES),
}
ORIGINS = {"F": "WH", "D": "LINE"}


def tabs(scope: F.FsmaScope) -> dict[str, list[dict[str, str | float]]]:
    return F.template_rows(EVENTS, scope, ITEMS, MATERIALS, ORDERS, ORIGINS, PLACES, {"F": "Bakery", "D": "Bakery"})


def test_rows_fill_each_ctes_key_data_elements() -> None:
    got = tabs(F.FsmaScope())
    assert list(got) == F.CTES
    assert all(got[c] == [] for c in ("Harvesting", "Cooling", "Initial Packing", "First Land-Based Receiving"))
    (received,) = got["Receiving"]
    assert received["Traceability Lot Code"] == "FL-07" and received["Quantity"] == 100.0
    assert received["Product Description"] == "Flour" and received["Unit of Measure"] == "KG"
    assert received["Immediate Previous Source Name"] == "Moulins"
    assert received["Immediate Previous Source Phone"] == ""
    assert received["Receiving Location Name"] == "Warehouse" and received["Date Received"] == "2026-03-02"
    assert received["Traceability Lot Code Source Name"] == "Warehouse"
    assert (received["Reference Document Type"], received["Reference Document Number"]) == (
        "Purchase Order",
        "PO-7 (mill's invoice 77)",
    )
    (made,) = got["Transformation"]
    assert (made["Input Traceability Lot Code"], made["Input Quantity"], made["New Traceability Lot Code"]) == (
        "FL-07",
        100.0,
        "DO-1",
    )
    assert (
        made["New Quantity"] == 90.0 and made["Transformation Location (Traceability Lot Code Source) Name"] == "Line 1"
    )
    assert made["tracegraph Item ID"] == "F -> D"
    (shipped,) = got["Shipping"]
    assert shipped["Immediate Subsequent Recipient Name"] == "Shop" and shipped["Shipped From Name"] == "Line 1"
    assert (shipped["Reference Document Type"], shipped["Reference Document Number"]) == ("Shipment", "SH-9")
    assert shipped["Traceability Lot Code Source Name"] == "Line 1" and shipped["Date Shipped"] == "2026-03-04"
    for cte, rows in got.items():
        for row in rows:
            assert list(row) == F.KDE_COLUMNS[cte]


def test_scope_by_product_dates_and_lot_codes() -> None:
    def count(scope: F.FsmaScope) -> dict[str, int]:
        return {c: len(r) for c, r in tabs(scope).items() if r}

    assert count(F.FsmaScope(material_ids=frozenset({"FLOUR"}))) == {"Receiving": 1, "Transformation": 1}
    assert count(F.FsmaScope(material_ids=frozenset({"DOUGH"}))) == {"Transformation": 1, "Shipping": 1}
    assert count(F.FsmaScope(since=T0.replace(day=3), until=T0.replace(day=4))) == {"Transformation": 1}
    assert count(F.FsmaScope(lot_from="DO-0", lot_to="DO-9")) == {"Transformation": 1, "Shipping": 1}
    assert count(F.FsmaScope(item_ids=frozenset({"F"}))) == {"Receiving": 1, "Transformation": 1}
    assert count(F.FsmaScope(material_ids=frozenset({"SALT"}))) == {}


def test_a_corrected_event_is_left_out() -> None:
    correction = event(EventType.CORRECTION, "C", 5, [], reverses="S")
    got = F.template_rows([*EVENTS, correction], F.FsmaScope(), ITEMS, MATERIALS, ORDERS, ORIGINS, PLACES, {})
    assert got["Shipping"] == []


def test_an_unknown_origin_names_the_owner_as_the_source_reference() -> None:
    got = F.template_rows(EVENTS, F.FsmaScope(), ITEMS, MATERIALS, ORDERS, {}, PLACES, {"D": "Bakery"})
    assert got["Shipping"][0]["Traceability Lot Code Source Name"] == ""
    assert got["Shipping"][0]["Traceability Lot Code Source Reference"] == "Bakery"
