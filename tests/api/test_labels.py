"""Labels on both stores: `Item.labelUri`, the QR codes (read back by zxing-cpp), the label sheets
of an item and of a receipt, and a scanned label opening the item (its page, its JSON linkset),
by project URI and by GS1 Digital Link path. An organization's key gets a 404 for what it may not
see with the body of an unknown id; no key is a 401, except a browser's page, which gets the
shell that sends the key; every label door is audited."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import pytest_asyncio
import zxingcpp
from api_kit import Api, key_client, new_organization
from PIL import Image
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

GTIN = "09521234543213"
SSCC = "106141411234567897"
PUBLIC = "http://127.0.0.1:8000"  # TRACEGRAPH_PUBLIC_URL unset: the server's host and port
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends
LINKSET = "https://gs1.org/voc/defaultLink"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def goods(app: Starlette, plant: Api) -> dict[str, Any]:
    """Organization A receives, in one receipt, a lot of a GTIN material (with an expiry), a lot of
    FLOUR (no GTIN) and a serial; and a pallet named by its SSCC. An EPC-identified serial comes
    through EPCIS. Organization B (a viewer) sees none of it."""
    a, a_keys = await new_organization(plant, "Label maker", ("OPERATOR", "VIEWER"))
    _, b_keys = await new_organization(plant, "Label stranger", ("VIEWER",))
    async with key_client(app, a_keys["OPERATOR"]) as c:
        api = Api(c)
        for m in (
            {"id": GTIN, "name": "Flour T55 <25 kg>", "baseUnit": "KG"},
            {"id": "9521234543220", "name": "Mixer", "baseUnit": "EA", "tracking": "SERIAL"},
        ):
            await api.create("createMaterial", "CreateMaterialInput", m)
        receipt = await api.ok(
            "receive",
            {
                "locationId": "WH",
                "newItems": [
                    {"id": "LBL-GT", "materialId": GTIN, "lotCode": "MS-7", "expiresAt": "2031-05-01T00:00:00Z"},
                    {"id": "LBL-FL", "materialId": "FLOUR", "lotCode": "FL-9"},
                    {"id": "LBL-SN", "kind": "SERIAL", "materialId": "9521234543220", "lotCode": "SN-42"},
                ],
                "outputs": [
                    {"itemId": "LBL-GT", "quantity": 25},
                    {"itemId": "LBL-FL", "quantity": 2, "unit": "BAG"},
                    {"itemId": "LBL-SN", "quantity": 1},
                ],
            },
        )
        await api.ok(
            "receive",
            {
                "locationId": "WH",
                "newItems": [{"id": SSCC, "kind": "CONTAINER", "containerType": "LOGISTIC"}],
                "outputs": [{"itemId": SSCC, "quantity": 1}],
            },
        )
        moved = await api.ok(
            "move", {"toLocationId": "DOCK", "inputs": [{"itemId": "LBL-GT", "quantity": 5, "locationId": "WH"}]}
        )
        epcis = await c.post(
            "/epcis/events",
            json={
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "ObjectEvent",
                "eventTime": "2026-03-04T08:00:00.000+01:00",
                "eventTimeZoneOffset": "+01:00",
                "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
                "action": "ADD",
                "bizStep": "commissioning",
                "eventID": "urn:uuid:label-epc",
            },
        )
        assert epcis.status_code == 201, epcis.text
    return {"a": a_keys, "b": b_keys, "receipt": receipt["id"], "move": moved["id"]}


async def test_label_uri_in_graphql(goods: dict[str, Any], plant: Api) -> None:
    query = "query($id: String!) { item(id: $id) { labelUri } }"
    expected = {
        "LBL-GT": f"https://id.gs1.org/01/{GTIN}/10/MS-7",
        "LBL-SN": "https://id.gs1.org/01/09521234543220/21/SN-42",
        SSCC: f"https://id.gs1.org/00/{SSCC}",
        "urn:epc:id:sgtin:0614141.107346.2017": "https://id.gs1.org/01/10614141073464/21/2017",
        "LBL-FL": f"{PUBLIC}/items/LBL-FL",  # FLOUR is no GTIN: the project URI
    }
    for item_id, uri in expected.items():
        assert (await plant.data(query, {"id": item_id}))["item"] == {"labelUri": uri}, item_id


async def test_qr_codes_carry_the_label_uri(goods: dict[str, Any], client: httpx.AsyncClient) -> None:
    png = await client.get("/labels/LBL-GT.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    assert png.headers["cache-control"] == "no-store"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert code.text == f"https://id.gs1.org/01/{GTIN}/10/MS-7"
    big = await client.get("/labels/LBL-GT.png", params={"scale": "16"})
    assert Image.open(io.BytesIO(big.content)).size == tuple(2 * x for x in Image.open(io.BytesIO(png.content)).size)

    svg = await client.get("/labels/LBL-FL.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml") and f"<title>{PUBLIC}/items/LBL-FL</title>" in svg.text
    assert svg.headers["content-security-policy"] == "default-src 'none'"

    bad = await client.get("/labels/LBL-GT.png", params={"scale": "0"})
    assert bad.status_code == 400 and bad.json()["field"] == "scale"


async def test_the_label_sheet_of_an_item(goods: dict[str, Any], client: httpx.AsyncClient) -> None:
    r = await client.get("/labels/LBL-GT", headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert page.count('class="label"') == 1
    for text in (
        "Flour T55 &lt;25 kg&gt;",  # escaped
        "LBL-GT",
        "<dt>Lot</dt><dd>MS-7</dd>",
        "<dt>Qty</dt><dd>25 KG</dd>",  # on hand now, over every location
        "<dt>Expires</dt><dd>2031-05-01</dd>",
        f"(01) {GTIN} (10) MS-7",
        "<svg",
        "@media print",
    ):
        assert text in page, text
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "").replace(f"https://id.gs1.org/01/{GTIN}", "")
    assert (await client.get("/labels/LBL-GT.html")).text == page  # `.html` names the sheet too


async def test_the_label_sheet_of_a_receipt(goods: dict[str, Any], client: httpx.AsyncClient) -> None:
    r = await client.get(f"/labels/receipts/{goods['receipt']}")
    assert r.status_code == 200, r.text
    page = r.text
    assert page.count('class="label"') == 3
    assert "<dt>Qty</dt><dd>25 KG</dd>" in page  # what the receipt received (5 KG moved since)
    assert "<dt>Qty</dt><dd>50 KG</dd>" in page  # 2 BAG of 25 KG
    assert "<dt>Serial</dt><dd>SN-42</dd>" in page
    assert f"{PUBLIC}/items/LBL-FL" in page  # no GS1 key: its URI under the code
    json = {"Accept": "application/json"}  # errors as JSON; a browser's (or */*) as a page
    not_a_receipt = await client.get(f"/labels/receipts/{goods['move']}", headers=json)
    assert not_a_receipt.status_code == 400 and "not a receipt" in not_a_receipt.json()["error"]
    unknown = await client.get("/labels/receipts/urn:uuid:no-such-event", headers=json)
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "unknown event urn:uuid:no-such-event",
        "field": "id",
    }


async def test_scanning_opens_the_item(goods: dict[str, Any], client: httpx.AsyncClient) -> None:
    for path, item_id in [
        ("/items/LBL-FL", "LBL-FL"),
        (f"/01/{GTIN}/10/MS-7", "LBL-GT"),
        ("/gtin/9521234543213/lot/MS-7", "LBL-GT"),  # a GTIN-13, short names
        ("/01/09521234543220/21/SN-42", "LBL-SN"),
        (f"/00/{SSCC}", SSCC),
        ("/01/10614141073464/21/2017", "urn:epc:id:sgtin:0614141.107346.2017"),  # captured as an EPC
    ]:
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), (path, page.text)
        assert f"<code>{item_id}</code>" in page.text, path
        assert 'rel="linkset"' in page.headers["link"]
        for accept, media in [
            ("application/linkset+json", "application/linkset+json"),
            ("application/json", "application/json"),
            ("text/html;q=0.5, application/json", "application/json"),
        ]:
            r = await client.get(path, headers={"Accept": accept})
            assert r.status_code == 200 and r.headers["content-type"] == media, (path, accept, r.text)
            [links] = r.json()["linkset"]
            assert links["anchor"].endswith(path if path.startswith("/0") else item_id) or path.startswith("/gtin")
            [default] = links[LINKSET]
            assert default["type"] == "text/html" and default["href"].startswith(f"{PUBLIC}/items/")
        assert (await client.get(path, params={"linkType": "all"})).json()["linkset"][0][LINKSET] == [default]
    r = await client.get(f"/01/{GTIN}/10/MS-7", headers={"Accept": "application/json"})
    assert r.json()["linkset"][0]["anchor"] == f"https://id.gs1.org/01/{GTIN}/10/MS-7"
    assert r.json()["linkset"][0]["itemDescription"] == "Flour T55 <25 kg> lot MS-7"
    missing = await client.get(f"/01/{GTIN}/10/NO-SUCH", headers={"Accept": "application/json"})
    assert (
        missing.status_code == 404
        and missing.json()["error"] == f"unknown item https://id.gs1.org/01/{GTIN}/10/NO-SUCH"
    )
    assert (await client.get("/01/123/10/X")).status_code == 404  # not a GTIN: not a Digital Link
    assert (await client.get("/no/such/path")).status_code == 404


async def test_invisible_is_unknown(goods: dict[str, Any], app: Starlette) -> None:
    async with key_client(app, goods["b"]["VIEWER"]) as b, key_client(app, goods["a"]["VIEWER"]) as a:
        for path in ("/labels/{}", "/labels/{}.png", "/labels/{}.svg", "/items/{}"):
            for accept in ({"Accept": "application/json"}, HTML):
                seen = await a.get(path.format("LBL-GT"), headers=accept)
                assert seen.status_code == 200, (path, seen.text)
                hidden = await b.get(path.format("LBL-GT"), headers=accept)
                unknown = await b.get(path.format("LBL-NONE"), headers=accept)
                assert hidden.status_code == unknown.status_code == 404, (path, hidden.text)
                assert hidden.text == unknown.text.replace("LBL-NONE", "LBL-GT"), path
                assert "Flour" not in hidden.text
        hidden = await b.get(f"/01/{GTIN}/10/MS-7", headers={"Accept": "application/json"})
        unknown = await b.get(f"/01/{GTIN}/10/MS-X", headers={"Accept": "application/json"})
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json() == {"error": f"unknown item https://id.gs1.org/01/{GTIN}/10/MS-7", "field": "id"}
        assert unknown.json()["error"] == f"unknown item https://id.gs1.org/01/{GTIN}/10/MS-X"
        receipt = await b.get(f"/labels/receipts/{goods['receipt']}", headers={"Accept": "application/json"})
        assert receipt.status_code == 404 and receipt.json() == {
            "error": f"unknown event {goods['receipt']}",
            "field": "id",
        }


async def test_no_key(goods: dict[str, Any], app: Starlette) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as anonymous:
        for path in (
            "/labels/LBL-GT.png",
            "/labels/LBL-GT.svg",
            "/labels/LBL-GT",
            "/items/LBL-GT",
            f"/01/{GTIN}/10/MS-7",
        ):
            r = await anonymous.get(path, headers={"Accept": "application/json"})
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), path
        # A wrong key is refused, browser or not.
        r = await anonymous.get("/labels/LBL-GT", headers={**HTML, "Authorization": "Bearer tg_wrong"})
        assert r.status_code == 401
        # A browser without a key gets a page holding no data, whose script sends the key.
        for path in ("/labels/LBL-GT", "/items/LBL-GT", f"/labels/receipts/{goods['receipt']}", f"/01/{GTIN}/10/MS-7"):
            r = await anonymous.get(path, headers=HTML)
            assert r.status_code == 200 and '<script src="/static/page.js"></script>' in r.text, path
            assert "LBL-GT" not in r.text and "Flour" not in r.text and "MS-7" not in r.text
            assert "script-src 'self'" in r.headers["content-security-policy"]
        script = await anonymous.get("/static/page.js")
        assert script.status_code == 200 and "tracegraph.apiKey" in script.text  # the dashboard's key
        # Images are never a page: a browser's <img> needs the key too.
        assert (await anonymous.get("/labels/LBL-GT.png", headers=HTML)).status_code == 401


async def test_label_doors_are_audited(goods: dict[str, Any], plant: Api) -> None:
    log = await plant.data("{ auditLog(first: 1000) { nodes { action detail } } }")
    actions = [e["action"] for e in log["auditLog"]["nodes"]]
    assert {"label:item", "label:receipt", "label:open"} <= set(actions)
