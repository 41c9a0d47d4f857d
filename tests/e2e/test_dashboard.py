"""The dashboard in a real browser (Debian's headless Chromium, driven by Playwright): it loads with
no network but the server, draws a trace, and redraws it live when a mutation is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import ADMIN_KEY, AUTH, Server, run_server

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/tracegraph-dashboard.png")  # left behind for a person to look at


def gql(server: Server, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    r = httpx.post(
        f"{server.url}/graphql", headers=AUTH, json={"query": query, "variables": variables or {}}, trust_env=False
    )
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, r.text
    return body["data"]


def record(server: Server, name: str, input_type: str, input: dict[str, Any]) -> str:
    data = gql(
        server,
        f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ event {{ id }} errors {{ message }} }} }}",
        {"i": input},
    )[name]
    assert data["errors"] == [], data
    return str(data["event"]["id"])


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server() as s:
        gql(
            s,
            """mutation {
          a: createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
          b: createMaterial(input: {id: "BREAD", name: "Bread", baseUnit: "EA", kind: PRODUCT}) { errors { message } }
          c: createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
          d: createLocation(input: {id: "LINE", name: "Line 1"}) { errors { message } }
        }""",
        )
        record(
            s,
            "receive",
            "ReceiveInput",
            {
                "locationId": "WH",
                "newItems": [{"id": "LOT-1", "materialId": "FLOUR"}],
                "outputs": [{"itemId": "LOT-1", "quantity": 100}],
            },
        )
        record(
            s,
            "produce",
            "ProduceInput",
            {
                "locationId": "LINE",
                "inputs": [{"itemId": "LOT-1", "quantity": 20, "locationId": "WH"}],
                "newItems": [{"id": "BREAD-1", "materialId": "BREAD"}],
                "outputs": [{"itemId": "BREAD-1", "quantity": 40}],
            },
        )
        yield s


def test_the_dashboard_draws_a_trace_and_redraws_it_live(chromium: str, server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a loaded build machine may be slow to redraw

    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(f"{server.url}/dashboard?key={ADMIN_KEY}&trace=LOT-1&direction=FORWARD")
            expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            graph = page.locator("#graph")
            expect(graph).to_have_attribute("data-nodes", "BREAD-1 LOT-1")
            expect(page.locator('#stock tr[data-location="LINE"][data-item="BREAD-1"] td.qty')).to_have_text("40 EA")

            # Recorded while the page is open: a second loaf from the lot, a shipment, a hold.
            made = record(
                server,
                "produce",
                "ProduceInput",
                {
                    "locationId": "LINE",
                    "inputs": [{"itemId": "LOT-1", "quantity": 10, "locationId": "WH"}],
                    "newItems": [{"id": "BREAD-2", "materialId": "BREAD"}],
                    "outputs": [{"itemId": "BREAD-2", "quantity": 20}],
                },
            )
            shipped = record(
                server,
                "ship",
                "ShipInput",
                {"inputs": [{"itemId": "BREAD-1", "quantity": 15, "locationId": "LINE"}], "shipmentId": "SH-1"},
            )
            held = record(
                server, "reclassify", "ReclassifyInput", {"inputs": [{"itemId": "BREAD-2"}], "status": "HOLD"}
            )

            assert "key=" not in page.url  # kept in localStorage, not left in the address bar
            for event_id in (made, shipped, held):
                expect(page.locator(f'#feed li[data-event-id="{event_id}"]')).to_have_count(1)
            expect(graph).to_have_attribute(
                "data-nodes", "BREAD-1 BREAD-2 LOT-1 customer:virtual:customer shipment:SH-1"
            )
            page.wait_for_function(
                "window.tracegraph.cy.getElementById('BREAD-2').data('status') === 'HOLD'", timeout=10_000
            )
            expect(page.locator('#stock tr[data-location="LINE"][data-item="BREAD-1"] td.qty')).to_have_text("25 EA")
            expect(page.locator('#stock tr[data-location="LINE"][data-item="BREAD-2"] td.qty')).to_have_text("20 EA")
            # The stock list shows each lot's status, changed live.
            expect(page.locator('#stock tr[data-location="LINE"][data-item="BREAD-2"] td.status')).to_have_text("HOLD")
            expect(page.locator('#stock tr[data-location="LINE"][data-item="BREAD-1"] td.status')).to_have_text(
                "RELEASED"
            )

            page.wait_for_timeout(400)  # let the layout settle for the picture
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert SCREENSHOT.stat().st_size > 20_000  # a drawn page, not a blank one
            colour = page.evaluate("window.tracegraph.cy.getElementById('BREAD-2').style('background-color')")
            assert colour == "rgb(230,126,34)"  # HOLD is drawn orange
            assert errors == []
            assert outside == []  # nothing from a CDN or anywhere else
        finally:
            browser.close()


def test_a_label_sheet_and_a_scanned_label_open_in_the_browser(chromium: str, server: Server, tmp_path: Path) -> None:
    """A browser sends no key by itself: the empty page the server sends takes it (`?key=`, then
    localStorage, as the dashboard does) and shows the page rendered with it."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    quantity = gql(server, 'query { item(id: "LOT-1") { quantityOnHand } }')["item"]["quantityOnHand"]
    on_hand = f"{quantity:g} KG"
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            page.goto(f"{server.url}/labels/LOT-1?key={ADMIN_KEY}")
            label = page.locator('article.label[data-item="LOT-1"]')
            expect(label).to_contain_text("Flour")
            expect(label).to_contain_text(on_hand)  # on hand now
            expect(label.locator("svg")).to_have_count(1)  # the QR code, inline
            assert label.bounding_box()["width"] > 300  # type: ignore[index]  # styled: 100 mm wide
            assert "key=" not in page.url
            expect(page.locator("button[data-print]")).to_be_visible()

            # A scanned label (its project URI: FLOUR is no GTIN) opens the item with the kept key.
            page.goto(f"{server.url}/items/LOT-1")
            expect(page.locator("h1")).to_contain_text("LOT-1")
            expect(page.locator("main.item")).to_contain_text(on_hand)
            assert errors == [] and outside == []
        finally:
            browser.close()
