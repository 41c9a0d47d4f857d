"""Reads: Relay pagination, stock with virtual locations, events, documents, the check."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOTS = [f"LOT-{n:02d}" for n in range(7)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stocked(plant: Api) -> Api:
    """Seven flour lots of 10 KG at WH in one batch; LOT-00 partly shipped, scrapped, moved."""
    q = "mutation($input: [EventInput!]!) { recordEvents(input: $input) { errors { field message } } }"
    batch: list[dict[str, Any]] = [
        {
            "type": "RECEIVE",
            "locationId": "WH",
            "newItems": [{"id": lot, "materialId": "FLOUR"}],
            "outputs": [{"itemId": lot, "quantity": 10}],
        }
        for lot in LOTS
    ]
    batch += [
        {"type": "SHIP", "inputs": [{"itemId": "LOT-00", "quantity": 3}], "shipmentId": "SH-1"},
        {"type": "SCRAP", "inputs": [{"itemId": "LOT-00", "quantity": 1}]},
        {"type": "MOVE", "inputs": [{"itemId": "LOT-00", "quantity": 2}], "toLocationId": "DOCK"},
    ]
    assert (await plant.data(q, {"input": batch}))["recordEvents"]["errors"] == []
    await plant.receive("SUGAR-1", "SUGAR", 1, unit="CASE")
    return plant


async def pages(api: Api, field: str, first: int, args: str = "", node: str = "id") -> list[list[Any]]:
    """Every page of a connection, following endCursor."""
    out: list[list[Any]] = []
    after = None
    while True:
        q = (
            f"query($first: Int!, $after: String) {{ {field}(first: $first, after: $after{args}) "
            f"{{ edges {{ cursor node {{ {node} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        )
        conn = (await api.data(q, {"first": first, "after": after}))[field]
        out.append([e["node"] for e in conn["edges"]])
        if not conn["pageInfo"]["hasNextPage"]:
            return out
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        after = conn["pageInfo"]["endCursor"]


async def test_items_page_by_id(stocked: Api) -> None:
    got = await pages(stocked, "items", 3, ', materialId: "FLOUR"')
    assert [len(p) for p in got] == [3, 3, 1]
    assert [n["id"] for p in got for n in p] == LOTS
    assert [n["id"] for p in await pages(stocked, "items", 50, ', materialId: "SUGAR"') for n in p] == ["SUGAR-1"]
    assert [len(p) for p in await pages(stocked, "items", 8)] == [8]  # exactly one page: hasNextPage false
    assert len([n for p in await pages(stocked, "items", 50, ", kind: LOT, status: RELEASED") for n in p]) == 8
    assert await pages(stocked, "items", 50, ", kind: SUBLOT") == [[]]


async def test_events_page_by_sequence(stocked: Api) -> None:
    got = await pages(stocked, "events", 4, node="id type")
    types = [n["type"] for p in got for n in p]
    assert types == ["RECEIVE"] * 7 + ["SHIP", "SCRAP", "MOVE", "RECEIVE"]
    shipped = await stocked.data("{ events(type: SHIP) { edges { node { shipment { id } items { id } } } } }")
    assert [e["node"] for e in shipped["events"]["edges"]] == [
        {"shipment": {"id": "SH-1"}, "items": [{"id": "LOT-00"}]}
    ]
    of_item = await stocked.data('{ events(itemId: "LOT-00", locationId: "WH") { edges { node { type } } } }')
    assert [e["node"]["type"] for e in of_item["events"]["edges"]] == ["RECEIVE"]
    item = await stocked.item("LOT-00", "events { type }")
    assert [e["type"] for e in item["events"]] == ["RECEIVE", "SHIP", "SCRAP", "MOVE"]


async def test_stock_by_location_and_by_material_shows_virtual_locations(stocked: Api) -> None:
    node = "itemId locationId quantity unit virtual location { name }"
    at_wh = [n for p in await pages(stocked, "stock", 2, ', locationId: "WH"', node) for n in p]
    assert [(n["itemId"], n["quantity"]) for n in at_wh] == [("LOT-00", 4.0)] + [(lot, 10.0) for lot in LOTS[1:]] + [
        ("SUGAR-1", 12.0)
    ]
    flour = [n for p in await pages(stocked, "stock", 5, ', materialId: "FLOUR"', node) for n in p]
    lot0 = {n["locationId"]: n["quantity"] for n in flour if n["itemId"] == "LOT-00"}
    assert lot0 == {"WH": 4.0, "DOCK": 2.0, "virtual:customer": 3.0, "virtual:scrap": 1.0, "virtual:supplier": -10.0}
    assert sum(n["quantity"] for n in flour) == pytest.approx(0.0)
    real = [
        n for p in await pages(stocked, "stock", 50, ', materialId: "FLOUR", includeVirtual: false', node) for n in p
    ]
    assert not any(n["virtual"] for n in real) and len(real) == 8
    customers = await stocked.data('{ stock(locationId: "virtual:customer") { nodes { itemId quantity } } }')
    assert customers["stock"]["nodes"] == [{"itemId": "LOT-00", "quantity": 3.0}]


async def test_master_data_and_documents(stocked: Api) -> None:
    assert [n["id"] for p in await pages(stocked, "materials", 2) for n in p] == [
        "BREAD",
        "DOUGH",
        "FLOUR",
        "OVEN",
        "SUGAR",
    ]
    locations = [n["id"] for p in await pages(stocked, "locations", 4) for n in p]
    assert {"WH", "DOCK", "virtual:customer", "virtual:scrap"} <= set(locations)
    shipments = await stocked.data("{ shipments { nodes { id events { nodes { type } } } } }")
    assert shipments["shipments"]["nodes"] == [{"id": "SH-1", "events": {"nodes": [{"type": "SHIP"}]}}]


async def test_check_and_findings(stocked: Api) -> None:
    data = await stocked.data(
        "{ check { ok itemCount eventCount imbalances { itemId } dangling findingCount } "
        "findings { edges { node { id } } pageInfo { hasNextPage } } }"
    )
    assert data["check"] == {
        "ok": True,
        "itemCount": 8,
        "eventCount": 11,
        "imbalances": [],
        "dangling": [],
        "findingCount": 0,
    }
    assert data["findings"] == {"edges": [], "pageInfo": {"hasNextPage": False}}


@pytest.mark.parametrize("first", [0, -1, 1001])
async def test_first_out_of_range_is_a_graphql_error(stocked: Api, first: int) -> None:
    for field in ("items", "events", "stock", "materials"):
        body = await stocked.raw(
            f"query($first: Int!) {{ {field}(first: $first) {{ edges {{ cursor }} }} }}", {"first": first}
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "first"}
        assert "between 1 and 1000" in body["errors"][0]["message"]


async def test_a_foreign_cursor_is_a_graphql_error(stocked: Api) -> None:
    cursor = (await stocked.data("{ items(first: 1) { pageInfo { endCursor } } }"))["items"]["pageInfo"]["endCursor"]
    for after in (cursor, "not base64!", ""):
        body = await stocked.raw(
            "query($after: String) { events(after: $after) { edges { cursor } } }", {"after": after}
        )
        assert body["errors"][0]["extensions"]["field"] == "after"


async def test_first_1000_pages_over_the_ledger_cap(stocked: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger reads at most 1000 at a time; a page of 1000 still knows whether more follow."""
    import tracegraph.api.pagination as pagination

    monkeypatch.setattr(pagination, "MAX_PAGE", 3)
    monkeypatch.setattr(pagination, "MAX_FIRST", 3)
    ledger = app.state.ledger
    original = ledger.page

    async def capped(kind, after, first, filt=None):  # noqa: ANN001, ANN202
        return await original(kind, after, min(first, 3), filt)

    monkeypatch.setattr(ledger, "page", capped)
    got = await pages(stocked, "items", 3, ', materialId: "FLOUR"')
    assert [len(p) for p in got] == [3, 3, 1]
