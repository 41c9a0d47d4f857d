"""FSMA 204 in FDA's template layout over HTTP (GET /exports/fsma) on the demo's data: the
workbook opened again with openpyxl (its tabs, headers and a row), the CSVs (one CTE, and a zip
of all), the scope of an FDA request (product, dates, lot codes, a trace, a recall), NOT_FOUND
for what the caller may not see, and a partner that gets only its own rows."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from servers import ADMIN_KEY, AUTH
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings
from tracegraph.domain.fsma import CTES, KDE_COLUMNS

pytestmark = pytest.mark.asyncio(loop_scope="module")
TABS = ["Introduction", "Definitions", *CTES]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True, admin_key=ADMIN_KEY))
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(demo: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo), base_url="http://test", headers=AUTH) as c:
        yield c


async def fsma(client: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await client.get("/exports/fsma", params=params)


def sheets(response: httpx.Response) -> dict[str, list[tuple[object, ...]]]:
    assert response.status_code == 200, response.text
    assert "spreadsheetml" in response.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return {name: list(book[name].values) for name in book.sheetnames}


async def test_the_workbook_of_a_trace_has_fdas_tabs_and_kdes(client: httpx.AsyncClient) -> None:
    response = await fsma(client, traceId="LOT-FLOUR-0001", direction="FORWARD")
    assert 'filename="fsma204-trace-LOT-FLOUR-0001.xlsx"' in response.headers["content-disposition"]
    book = sheets(response)
    assert list(book) == TABS
    for cte in CTES:
        assert list(book[cte][0]) == KDE_COLUMNS[cte]
    assert all(len(book[c]) == 1 for c in ("Harvesting", "Cooling", "Initial Packing", "First Land-Based Receiving"))
    receiving = [dict(zip(book["Receiving"][0], r, strict=True)) for r in book["Receiving"][1:]]
    assert len(receiving) == 1
    row = receiving[0]
    assert (row["Traceability Lot Code"], row["Quantity"], row["Unit of Measure"]) == ("MS240227-1", 1000, "KG")
    assert row["Product Description"] == "Wheat flour T55" and row["Date Received"] == "2024-03-04"
    assert (
        row["Immediate Previous Source Name"] == "Moulins Millstone" and row["Immediate Previous Source Phone"] is None
    )
    assert row["Receiving Location Name"] == "Goods-in" and row["Traceability Lot Code Source Name"] == "Goods-in"
    assert (row["Reference Document Type"], row["Reference Document Number"]) == (
        "Purchase Order",
        "PO-BKY-0301 (flour T55, 40 bags)",
    )
    shipped = [dict(zip(book["Shipping"][0], r, strict=True)) for r in book["Shipping"][1:]]
    assert shipped and all(r["Reference Document Type"] == "Shipment" for r in shipped)
    assert {r["Immediate Subsequent Recipient Name"] for r in shipped} >= {"FreshWay Markets"}
    made = [dict(zip(book["Transformation"][0], r, strict=True)) for r in book["Transformation"][1:]]
    assert any(r["Input Traceability Lot Code"] == "MS240227-1" and r["New Product Description"] for r in made)
    intro = [r[0] for r in book["Introduction"]]
    assert intro[0] == "FSMA 204 Sortable Spreadsheet" and "Shipping" in intro
    assert book["Definitions"][0] == ("Term", "Definition") and len(book["Definitions"]) > 5


async def test_one_ctes_csv_and_a_zip_of_all(client: httpx.AsyncClient) -> None:
    one = await fsma(client, traceId="LOT-FLOUR-0001", format="csv", cte="receiving")
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(one.text)))
    assert list(rows[0]) == KDE_COLUMNS["Receiving"] and rows[0]["Traceability Lot Code"] == "MS240227-1"
    bundle = await fsma(client, traceId="LOT-FLOUR-0001", format="zip")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(bundle.content))
    assert sorted(z.namelist()) == sorted(["README.txt", *(c.lower().replace(" ", "-") + ".csv" for c in CTES)])
    shipping = list(csv.reader(io.StringIO(z.read("shipping.csv").decode())))
    assert shipping[0] == KDE_COLUMNS["Shipping"] and len(shipping) > 1
    assert list(csv.reader(io.StringIO(z.read("harvesting.csv").decode()))) == [KDE_COLUMNS["Harvesting"]]


async def test_scoped_as_an_fda_request(client: httpx.AsyncClient) -> None:
    async def counts(**params: str) -> dict[str, int]:
        book = sheets(await fsma(client, **params))
        return {c: len(book[c]) - 1 for c in CTES if len(book[c]) > 1}

    flour = await counts(product="Wheat flour T55", since="2024-03-04", until="2024-03-05")
    assert flour == {"Receiving": 1}
    by_id = await counts(product="FLOUR-T55", since="2024-03-04", until="2024-03-05")
    assert by_id == flour
    both_lots = await counts(product="FLOUR-T55,BUTTER-82", since="2024-03-04", until="2024-03-05")
    assert both_lots["Receiving"] == 2
    lot = await counts(lotFrom="MS240227-1", lotTo="MS240227-1")
    assert lot["Receiving"] == 1 and lot["Transformation"] >= 1 and "Shipping" not in lot
    later = await counts(traceId="LOT-FLOUR-0001", since="2024-03-06")
    assert "Receiving" not in later
    opened = await Api(client).data(
        'mutation { openRecall(input: {itemIds: ["LOT-FLOUR-0001"], reason: "aflatoxin", id: "RC-FSMA", mock: true}) '
        "{ errors { code } } }"
    )
    assert opened["openRecall"]["errors"] == []
    recall = sheets(await fsma(client, recallId="RC-FSMA"))
    trace = sheets(await fsma(client, traceId="LOT-FLOUR-0001"))
    assert recall["Shipping"] == trace["Shipping"]


async def test_unknown_or_bad_requests_are_named(client: httpx.AsyncClient) -> None:
    cases = [
        ({"traceId": "NOPE"}, 404, "traceId"),
        ({"recallId": "NOPE"}, 404, "recallId"),
        ({"product": "Caviar"}, 404, "product"),
        ({"format": "pdf"}, 400, "format"),
        ({"format": "csv"}, 400, "cte"),
        ({"since": "yesterday"}, 400, "since"),
        ({"since": "2024-03-05", "until": "2024-03-04"}, 400, "since"),
        ({"lotFrom": "Z", "lotTo": "A"}, 400, "lotFrom"),
        ({"traceId": "LOT-FLOUR-0001", "direction": "SIDEWAYS"}, 400, "direction"),
    ]
    for params, status, field in cases:
        response = await fsma(client, **params)
        assert response.status_code == status and response.json()["field"] == field, (params, response.text)


async def test_a_partner_gets_only_its_own_rows(demo: Starlette, client: httpx.AsyncClient) -> None:
    admin = Api(client)
    org = await admin.data('mutation { createOrganization(name: "Farm Co") { organization { id } } }')
    farm = org["createOrganization"]["organization"]["id"]
    key = (
        await admin.data(
            f"mutation($o: ID!) {{ createApiKey(organizationId: $o, role: ADMIN) {{ key {ERRORS} }} }}", {"o": farm}
        )
    )["createApiKey"]["key"]
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo), base_url="http://test", headers=headers) as c:
        api = Api(c)
        await api.create("createMaterial", "CreateMaterialInput", {"id": "FARM-KALE", "name": "Kale", "baseUnit": "KG"})
        await api.create("createLocation", "CreateLocationInput", {"id": "FARM-SHED", "name": "Packing shed"})
        await api.ok(
            "receive",
            {
                "locationId": "FARM-SHED",
                "newItems": [{"id": "FARM-LOT-1", "materialId": "FARM-KALE", "lotCode": "KALE-0601"}],
                "outputs": [{"itemId": "FARM-LOT-1", "quantity": 30}],
            },
        )
        mine = sheets(await fsma(c))
        rows = [r for cte in CTES for r in mine[cte][1:]]
        assert len(rows) == 1 and rows[0][0] == "KALE-0601" and "Packing shed" in rows[0]
        assert (await fsma(c, traceId="LOT-FLOUR-0001")).status_code == 404
        assert (await fsma(c, recallId="RC-FSMA")).status_code == 404
        assert (await fsma(c, product="Wheat flour T55")).status_code == 404  # the demo's material: not the farm's
    everything = sheets(await fsma(client, product="Kale"))
    assert [r[0] for r in everything["Receiving"][1:]] == ["KALE-0601"]
