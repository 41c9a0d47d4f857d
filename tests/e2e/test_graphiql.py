"""GraphiQL in a real browser (Debian's headless Chromium, driven by Playwright): the page loads
nothing from another host, takes an API key once, fetches the schema with it and runs a query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import ADMIN_KEY, Server, run_server
from test_dashboard import CHROMIUM_FLAGS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server() as s:
        yield s


def test_graphiql_works_offline_with_a_key_entered_once(chromium: str, server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
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
            sent: list[tuple[str | None, int]] = []
            page.on(
                "response",
                lambda r: (
                    sent.append((r.request.headers.get("authorization"), r.status))
                    if r.url.endswith("/graphql") and r.request.method == "POST"
                    else None
                ),
            )
            page.goto(f"{server.url}/graphql")
            expect(page.locator(".graphiql-container")).to_be_visible()
            expect(page.locator("#key-status")).to_contain_text("no key")

            page.fill("#key-input", ADMIN_KEY)
            page.click("#key button[type=submit]")
            expect(page.locator("#key-status")).to_contain_text("a key is set")
            # The schema is fetched with the key: the run button becomes usable, a query runs.
            page.click(".graphiql-execute-button")
            expect(page.locator(".result-window")).to_contain_text('"stockTotals"')
            assert (f"Bearer {ADMIN_KEY}", 200) in sent, sent

            # The key is kept in the browser: a reload needs no second entry.
            page.reload()
            expect(page.locator("#key-status")).to_contain_text("a key is set")
            assert not outside, outside
            assert not errors, errors
        finally:
            browser.close()
