"""Exports of a trace and a recall: the FSMA 204 sheet as CSV and XLSX (opened again with
openpyxl, as a spreadsheet would), and JSON; bad parameters get a 4xx naming them."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest
import pytest_asyncio
from api_kit import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shipped(plant: Api) -> Api:
    """Flour lot F received against PO-7 from a supplier, baked into dough D, D shipped (SH-9)."""
    org = await plant.data('mutation { createOrganization(name: "Mill") { organization { id } } }')
    mill = org["createOrganization"]["organization"]["id"]
    await plant.create("createOrder", "CreateOrderInput", {"id": "PO-7", "type": "PURCHASE", "partnerId": mill})
    await plant.ok(
        "receive",
        {
            "locationId": "WH",
            "orderId": "PO-7",
            "partnerId": mill,
            "newItems": [{"id": "F", "materialId": "FLOUR", "lotCode": "FL-2026-07"}],
            "outputs": [{"itemId": "F", "quantity": 4, "unit": "BAG"}],
        },
    )
    await plant.ok(
        "produce",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "F", "quantity": 100, "locationId": "WH"}],
            "newItems": [{"id": "D", "materialId": "DOUGH", "lotCode": "DO-1"}],
            "outputs": [{"itemId": "D", "quantity": 100}],
        },
    )
    await plant.ok("ship", {"shipmentId": "SH-9", "inputs": [{"itemId": "D", "quantity": 60, "locationId": "LINE"}]})
    return plant


async def get(client: httpx.AsyncClient, url: str, **params: str) -> httpx.Response:
    return await client.get(url, params=params)


async def test_trace_as_csv_has_a_row_per_cte_and_lot(shipped: Api, client: httpx.AsyncClient) -> None:
    response = await get(client, "/exports/trace", id="F", direction="FORWARD", format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="trace-forward-F.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    got = [
        (
            r["Critical Tracking Event"],
            r["Role"],
            r["Traceability Lot Code"],
            float(r["Quantity"]),
            r["Unit of Measure"],
        )
        for r in rows
    ]
    assert got == [
        ("Receiving", "received", "FL-2026-07", 100.0, "KG"),
        ("Transformation", "input", "FL-2026-07", 100.0, "KG"),
        ("Transformation", "output", "DO-1", 100.0, "KG"),
        ("Shipping", "shipped", "DO-1", 60.0, "KG"),
    ]
    receiving = rows[0]
    assert receiving["Product Description"] == "Flour"
    assert (receiving["Reference Document Type"], receiving["Reference Document Number"]) == ("Purchase Order", "PO-7")
    assert receiving["Immediate Previous Source"].startswith("mill-")
    assert receiving["Traceability Lot Code Source"] == "Warehouse (WH)"
    assert rows[3]["Reference Document Number"] == "SH-9" and rows[3]["Ship-From Location"] == "Line 1 (LINE)"


async def test_recall_as_xlsx_opens_as_a_spreadsheet(shipped: Api, client: httpx.AsyncClient) -> None:
    opened = await shipped.data(
        'mutation { openRecall(input: {itemIds: ["F"], reason: "aflatoxin", id: "RC-X"}) { errors { code } } }'
    )
    assert opened["openRecall"]["errors"] == []
    response = await get(client, "/exports/recalls/RC-X", format="xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["FSMA 204"]
    values = list(sheet.values)
    assert values[0][0] == "Traceability Lot Code" and len(values) == 5
    assert sheet.auto_filter.ref == "A1:Q5"
    about = dict((k, v) for k, v, *_ in book["About"].values)
    assert "aflatoxin" in about["recall"]


async def test_recall_as_an_epcis_document(shipped: Api, client: httpx.AsyncClient) -> None:
    response = await client.get("/epcis/recalls/RC-X")
    assert response.status_code == 200
    doc = response.json()
    assert doc["type"] == "EPCISDocument"
    events = doc["epcisBody"]["eventList"]
    assert len(events) == 3, "the receipt, the production and the shipment"
    assert (await client.get("/epcis/recalls/NOPE")).status_code == 404


async def test_json_export_carries_the_items(shipped: Api, client: httpx.AsyncClient) -> None:
    response = await get(client, "/exports/trace", id="D", direction="BACKWARD", format="json")
    body = response.json()
    assert body["trace"] == {"id": "D", "direction": "BACKWARD", "count": 1}
    assert body["items"] == [{"id": "F", "depth": 1}]
    assert {r["Event ID"] for r in body["rows"]} and body["columns"][0] == "Traceability Lot Code"


async def test_bad_parameters_are_named(shipped: Api, client: httpx.AsyncClient) -> None:
    cases = [
        ({"id": "F", "format": "pdf"}, 400, "format"),
        ({"format": "csv"}, 400, "id"),
        ({"id": "F", "direction": "SIDEWAYS"}, 400, "direction"),
        ({"id": "NOPE"}, 404, "id"),
    ]
    for params, status, field in cases:
        response = await get(client, "/exports/trace", **params)
        assert response.status_code == status and response.json()["field"] == field, params
    missing = await get(client, "/exports/recalls/NOPE")
    assert missing.status_code == 404 and "unknown recall" in missing.json()["error"]
