"""The recall workbench in a real browser (Debian's headless Chromium, driven by Playwright), on a
server with a small genealogy: a flour lot baked into two bread lots, one of them partly shipped.
The quality manager opens the page, enters the key, finds the lot, runs a mock recall (mass
balance, on hand by location, customers to notify), opens it as a real recall and holds everything
on hand after confirming; the statuses change to HOLD, live. No request leaves the server.

The picture is left for a person to look at (never in the repository):
`.venv/bin/python -m pytest -q tests/e2e/test_recall_workbench.py` writes
/tmp/tracegraph-recall-workbench.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import ADMIN_KEY, AUTH, Server, run_server
from test_dashboard import CHROMIUM_FLAGS, gql, record

pytestmark = pytest.mark.slow

SCREENSHOT = Path("/tmp/tracegraph-recall-workbench.png")


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
                "newItems": [{"id": "LOT-1", "materialId": "FLOUR", "lotCode": "L2026-001"}],
                "outputs": [{"itemId": "LOT-1", "quantity": 100}],
            },
        )
        for bread, flour, loaves in (("BREAD-1", 20, 40), ("BREAD-2", 10, 20)):
            record(
                s,
                "produce",
                "ProduceInput",
                {
                    "locationId": "LINE",
                    "inputs": [{"itemId": "LOT-1", "quantity": flour, "locationId": "WH"}],
                    "newItems": [{"id": bread, "materialId": "BREAD"}],
                    "outputs": [{"itemId": bread, "quantity": loaves}],
                },
            )
        record(
            s,
            "ship",
            "ShipInput",
            {"inputs": [{"itemId": "BREAD-1", "quantity": 15, "locationId": "LINE"}], "shipmentId": "SH-1"},
        )
        # A partner bakery: 5 loaves of BREAD-2 shipped to it, received, made into its own toast.
        org = gql(s, 'mutation { createOrganization(name: "Bakery B") { organization { id } } }')
        partner = org["createOrganization"]["organization"]["id"]
        gql(s, 'mutation { createLocation(input: {id: "DOCK", name: "Dock"}) { errors { message } } }')
        made = gql(s, f'mutation {{ createApiKey(organizationId: "{partner}", role: OPERATOR) {{ key }} }}')
        record(
            s,
            "ship",
            "ShipInput",
            {
                "inputs": [{"itemId": "BREAD-2", "quantity": 5, "locationId": "LINE"}],
                "shipmentId": "SH-2",
                "partnerId": partner,
            },
        )
        key = {"Authorization": f"Bearer {made['createApiKey']['key']}"}
        for name, body in (
            (
                "receive",
                {"locationId": "DOCK", "outputs": [{"itemId": "BREAD-2", "quantity": 5}]},
            ),
            (
                "produce",
                {
                    "locationId": "DOCK",
                    "inputs": [{"itemId": "BREAD-2", "quantity": 5, "locationId": "DOCK"}],
                    "newItems": [{"id": "TOAST-1", "materialId": "BREAD"}],
                    "outputs": [{"itemId": "TOAST-1", "quantity": 10}],
                },
            ),
        ):
            r = httpx.post(
                f"{s.url}/graphql",
                headers=key,
                json={
                    "query": f"mutation($i: {name.capitalize()}Input!) {{ {name}(input: $i) {{ errors {{ message }} }} }}",
                    "variables": {"i": body},
                },
                trust_env=False,
            )
            assert r.json()["data"][name]["errors"] == [], r.text
        yield s


def test_a_mock_recall_then_holding_everything_from_one_page(chromium: str, server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1500, "height": 1000},
            accept_downloads=True,
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            # Opened without a key (the page holds no data): it asks for one.
            page.goto(f"{server.url}/recall")
            expect(page.locator("#key-form")).to_be_visible()
            page.fill("#key-input", ADMIN_KEY)
            page.click("#key-form button")
            expect(page.locator("#connection")).to_have_attribute("data-state", "live")

            # An unknown lot says so; the real one shows its card.
            page.fill("#search-id", "LOT-X")
            page.click("#search-form button")
            expect(page.locator("#search-message")).to_contain_text("unknown item LOT-X")
            page.fill("#search-id", "LOT-1")
            page.click("#search-form button")
            expect(page.locator("#item")).to_contain_text("L2026-001")
            expect(page.locator("#item")).to_contain_text("70 KG")

            page.fill("#open-reason", "supplier reports Salmonella in flour lot L2026-001")
            page.click("#run-mock")
            panel = page.locator("#recall-panel")
            expect(page.locator("#recall-title")).to_contain_text("Mock recall RC-")
            expect(page.locator("#recall-mock")).to_be_visible()
            expect(page.locator("#recall-status")).to_have_text("CLOSED")  # a mock is closed at once
            mock_id = panel.get_attribute("data-recall")
            assert mock_id

            # The mass balance of the 100 KG, as the API gives it: on hand as itself and in what it
            # became, shipped in the bread; every kilogram accounted for.
            figures = gql(
                server,
                "query($id: String!) { recall(id: $id) { report { massBalance { onHand shipped accounted } } } }",
                {"id": mock_id},
            )["recall"]["report"]["massBalance"][0]
            assert figures["accounted"] == pytest.approx(1.0)
            balance = page.locator('.balance[data-root="LOT-1"]')
            expect(balance).to_contain_text("100 KG")
            expect(balance.locator('[data-part="on-hand"]')).to_have_text(f"{round(figures['onHand'], 3):g} KG")
            expect(balance.locator('[data-part="shipped"]')).to_have_text(f"{round(figures['shipped'], 3):g} KG")
            expect(balance.locator(".accounted")).to_have_text("accounted for: 100.0 %")
            expect(balance.locator(".nogaps")).to_be_visible()
            # On hand to quarantine, by location; the customer shipped to.
            stock = page.locator("#recall-stock")
            expect(stock.locator('tr[data-location="WH"][data-item="LOT-1"] td.qty')).to_have_text("70 KG")
            expect(stock.locator('tr[data-location="LINE"][data-item="BREAD-1"] td.qty')).to_have_text("25 EA")
            expect(stock.locator('tr[data-location="LINE"][data-item="BREAD-2"] td.qty')).to_have_text("15 EA")
            expect(stock.locator('tr[data-location="DOCK"][data-item="TOAST-1"] td.qty')).to_have_text("10 EA")
            expect(stock.locator('tr[data-item="BREAD-2"] td.status')).to_have_text("RELEASED")
            customers = page.locator("#customers")
            expect(customers.locator('tr[data-item="BREAD-1"]')).to_contain_text("SH-1")
            expect(customers.locator('tr[data-item="BREAD-1"] td.qty')).to_have_text("15 EA")
            expect(customers).to_contain_text("customer")
            expect(customers.locator('tr[data-item="BREAD-2"]')).to_contain_text("SH-2")
            expect(customers).to_contain_text("Bakery B")
            expect(page.locator('[data-fact="trace-took"]')).to_contain_text("ms")
            expect(page.locator("#notices")).to_contain_text("a mock recall notifies no one")
            expect(page.locator(f'#progress li[data-recall="{mock_id}"][data-what="OPENED"]')).to_have_count(1)
            expect(page.locator("#hold-all")).to_be_disabled()  # a mock changes no status

            # Exports with the key: the FSMA workbook answers.
            with page.expect_download() as download:
                page.click('[data-export="fsma-xlsx"]')
            assert download.value.suggested_filename.endswith(".xlsx")
            expect(page.locator("#exports")).to_have_attribute("data-last", "fsma-xlsx 200")
            with page.expect_download() as download:
                page.click('[data-export="epcis"]')
            expect(page.locator("#exports")).to_have_attribute("data-last", "epcis 200")

            # Opened as a real recall, then everything on hand held, each after its confirmation.
            page.click("#promote")
            expect(page.locator("#confirm")).to_be_visible()
            page.click("#confirm-ok")
            expect(page.locator("#recall-title")).to_contain_text("Recall RC-")
            expect(page.locator("#recall-status")).to_have_text("OPEN")
            real_id = panel.get_attribute("data-recall")
            assert real_id and real_id != mock_id
            expect(page.locator("#hold-all")).to_be_enabled()
            # The partner owning the toast was sent a notice of its own items.
            expect(page.locator("#notices tr[data-organization]")).to_contain_text("TOAST-1")
            expect(page.locator("#notices tr[data-organization]")).to_contain_text("not acknowledged")
            expect(page.locator("#hold-all")).to_contain_text("4 lots")

            page.click("#hold-all")
            expect(page.locator("#confirm-text")).to_contain_text("4 lots on hand at 3 locations")
            page.click("#confirm-cancel")  # cancelled: nothing held
            expect(page.locator("#confirm")).to_be_hidden()
            expect(stock.locator('tr[data-item="BREAD-2"] td.status')).to_have_text("RELEASED")

            page.click("#hold-all")
            page.fill("#confirm-note", "held on the supplier's call")
            page.click("#confirm-ok")
            expect(page.locator("#action-message")).to_have_text("4 items put on HOLD")
            expect(page.locator("#recall-status")).to_have_text("CONTAINED")
            for location, item in (("WH", "LOT-1"), ("LINE", "BREAD-1"), ("LINE", "BREAD-2"), ("DOCK", "TOAST-1")):
                expect(stock.locator(f'tr[data-location="{location}"][data-item="{item}"]')).to_have_attribute(
                    "data-status", "HOLD"
                )
            expect(page.locator(f'#progress li[data-recall="{real_id}"][data-what="HELD"]')).to_have_count(1)
            expect(page.locator("#notes")).to_contain_text("held on the supplier's call")
            expect(page.locator(f'#recent a[data-recall="{real_id}"] + .badge')).to_have_text("CONTAINED")
            expect(page.locator("#item .badge")).to_have_text("HOLD")  # the suspect's card too
            expect(page.locator("#hold-all")).to_be_disabled()  # nothing left to hold
            expect(page.locator("#recall-mock")).to_be_hidden()

            page.fill("#note-text", "customer of SH-1 called")
            page.click("#note-form button")
            expect(page.locator("#notes")).to_contain_text("customer of SH-1 called")

            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert SCREENSHOT.stat().st_size > 20_000  # a drawn page, not a blank one
            assert errors == []
            assert outside == []  # nothing from a CDN or anywhere else
        finally:
            browser.close()

    # The ledger agrees: held, the recall contained.
    items = gql(server, '{ a: item(id: "LOT-1") { status } b: item(id: "BREAD-2") { status } }')
    assert items == {"a": {"status": "HOLD"}, "b": {"status": "HOLD"}}
    r = httpx.get(f"{server.url}/recall", trust_env=False)  # the page itself: no key, no data
    assert r.status_code == 200 and "recall workbench" in r.text
    assert httpx.get(f"{server.url}/exports/fsma?recallId=x", trust_env=False).status_code == 401
    assert AUTH  # the exports need the key the page sends


def test_a_refused_key_is_asked_again_and_the_page_holds_no_data(chromium: str, server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server.url}/recall?key=not-a-key&item=LOT-1")
            expect(page.locator("#key-message")).to_contain_text("the key was refused")
            expect(page.locator("#connection")).to_have_attribute("data-state", "refused")
            assert "key=" not in page.url
            expect(page.locator("#item")).to_be_hidden()
            # The right key, entered in the page, opens the item asked for.
            page.fill("#key-input", ADMIN_KEY)
            page.click("#key-form button")
            expect(page.locator("#item")).to_contain_text("L2026-001")
            expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            assert errors == []
        finally:
            browser.close()
