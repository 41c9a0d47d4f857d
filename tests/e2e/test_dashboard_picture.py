"""The dashboard's trace picture in a real browser (Debian's headless Chromium, driven by
Playwright): a layered layout whose labels do not overlap, a backward trace ending at its root,
1,000 items drawn grouped and more aggregated within a bound, statuses in the stock list and on
hover, and a refused key that stops the reconnecting.

Pictures are left in /tmp for a person to look at (never in the repository):
`.venv/bin/python -m pytest -q tests/e2e/test_dashboard_picture.py` writes
/tmp/tracegraph-trace-45.png, /tmp/tracegraph-trace-1000.png and /tmp/tracegraph-trace-1025.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import ADMIN_KEY, Server, run_server
from test_dashboard import CHROMIUM_FLAGS, gql, record

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp")
WIDE = 20  # mids of the 1,000-item trace, each with 49 children: 20 + 980 = 1,000 items
AGGREGATED = 25  # mids of the 1,025-item trace, each with 40 children


def produce(server: Server, inputs: list[tuple[str, float]], outputs: list[tuple[str, str, float]]) -> None:
    record(
        server,
        "produce",
        "ProduceInput",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": i, "quantity": q, "locationId": "LINE"} for i, q in inputs],
            "newItems": [{"id": o, "materialId": m} for o, m, _ in outputs],
            "outputs": [{"itemId": o, "quantity": q} for o, _, q in outputs],
        },
    )


def receive(server: Server, item: str, material: str, quantity: float) -> None:
    record(
        server,
        "receive",
        "ReceiveInput",
        {
            "locationId": "LINE",
            "newItems": [{"id": item, "materialId": material}],
            "outputs": [{"itemId": item, "quantity": quantity}],
        },
    )


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server() as s:
        gql(
            s,
            """mutation {
          a: createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
          b: createMaterial(input: {id: "DOUGH", name: "Dough", baseUnit: "KG", kind: INTERMEDIATE}) { errors { message } }
          c: createMaterial(input: {id: "BREAD", name: "Bread", baseUnit: "EA", kind: PRODUCT}) { errors { message } }
          d: createLocation(input: {id: "LINE", name: "Line 1"}) { errors { message } }
        }""",
        )
        # Forward from FLOUR-2024-0001: 5 dough batches of 8 loaves each, 45 items.
        receive(s, "FLOUR-2024-0001", "FLOUR", 1000)
        produce(s, [("FLOUR-2024-0001", 50)], [(f"DOUGH-2024-000{d}", "DOUGH", 10) for d in range(1, 6)])
        for d in range(1, 6):
            produce(s, [(f"DOUGH-2024-000{d}", 8)], [(f"BREAD-2024-000{d}-{n:02d}", "BREAD", 1) for n in range(1, 9)])
        # Backward to MIX-1: from a premix and salt, the premix from salt and water.
        receive(s, "SALT-7", "FLOUR", 10)
        receive(s, "WATER-3", "FLOUR", 10)
        produce(s, [("SALT-7", 1), ("WATER-3", 1)], [("PREMIX-1", "DOUGH", 2)])
        produce(s, [("PREMIX-1", 1), ("SALT-7", 1)], [("MIX-1", "DOUGH", 2)])
        # 1,000 items (grouped) and 1,025 items (aggregated).
        for root, mids, children in (("WIDE-LOT", WIDE, 49), ("HUGE-LOT", AGGREGATED, 40)):
            receive(s, root, "FLOUR", 10_000)
            produce(s, [(root, 100)], [(f"{root}-MID-{m:02d}", "DOUGH", 50) for m in range(1, mids + 1)])
            for m in range(1, mids + 1):
                mid = f"{root}-MID-{m:02d}"
                produce(s, [(mid, 40)], [(f"{mid}-{n:02d}", "BREAD", 1) for n in range(1, children + 1)])
        record(s, "reclassify", "ReclassifyInput", {"inputs": [{"itemId": "BREAD-2024-0001-01"}], "status": "HOLD"})
        yield s


class Browser:
    def __init__(self, chromium: str, profile: Path) -> None:
        from playwright.sync_api import expect, sync_playwright

        expect.set_options(timeout=20_000)
        self.playwright = sync_playwright().start()
        self.context = self.playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self) -> None:
        self.context.close()
        self.playwright.stop()


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    b = Browser(chromium, tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


OVERLAPS = """() => {
  const boxes = window.tracegraph.cy.nodes().map((n) => ({ id: n.id(),
    b: n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true }) }));
  const over = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].b, b = boxes[j].b;
    if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) over.push([boxes[i].id, boxes[j].id]);
  }
  return { nodes: boxes.length, empty: boxes.filter((x) => x.b.w < 1).map((x) => x.id), over };
}"""


def open_trace(b: Browser, server: Server, root: str, direction: str) -> None:
    from playwright.sync_api import expect

    b.page.goto(f"{server.url}/dashboard?key={ADMIN_KEY}&trace={root}&direction={direction}")
    expect(b.page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(b.page.locator("#graph")).to_have_attribute("data-root", root)


def test_a_forward_trace_of_45_items_has_no_overlapping_labels(browser: Browser, server: Server) -> None:
    from playwright.sync_api import expect

    open_trace(browser, server, "FLOUR-2024-0001", "FORWARD")
    page = browser.page
    assert page.locator("#graph").get_attribute("data-view") == "full"
    found = page.evaluate(OVERLAPS)
    assert found["nodes"] == 46 and found["empty"] == [] and found["over"] == [], found
    x = page.evaluate(
        """() => Object.fromEntries(window.tracegraph.cy.nodes().map((n) => [n.id(), n.position('x')]))"""
    )
    assert x["FLOUR-2024-0001"] < x["DOUGH-2024-0001"] < x["BREAD-2024-0001-01"]  # left to right from the root

    # Hover: status, kind, material, on hand.
    pos = page.evaluate(
        "(() => { const cy = window.tracegraph.cy, n = cy.getElementById('BREAD-2024-0001-01');"
        " cy.center(n); return n.renderedPosition(); })()"
    )
    box = page.locator("#graph").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + pos["x"] - 30, box["y"] + pos["y"] - 30)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"], steps=5)
    tip = page.locator("#graph-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("HOLD")
    expect(tip).to_contain_text("BREAD")
    expect(tip).to_contain_text("1 EA")
    page.locator("#trace-panel").screenshot(path=str(SHOTS / "tracegraph-trace-45.png"))

    # The stock list shows each lot's status.
    row = page.locator('#stock tr[data-location="LINE"][data-item="BREAD-2024-0001-01"]')
    expect(row.locator("td.status")).to_have_text("HOLD")
    expect(row).to_have_attribute("data-status", "HOLD")
    expect(page.locator('#stock tr[data-item="BREAD-2024-0001-02"] td.status')).to_have_text("RELEASED")
    assert browser.errors == []


def test_a_backward_trace_ends_at_its_root(browser: Browser, server: Server) -> None:
    open_trace(browser, server, "MIX-1", "BACKWARD")
    x = browser.page.evaluate(
        """() => Object.fromEntries(window.tracegraph.cy.nodes().map((n) => [n.id(), n.position('x')]))"""
    )
    assert set(x) == {"MIX-1", "PREMIX-1", "SALT-7", "WATER-3"}
    assert all(x["MIX-1"] > v for k, v in x.items() if k != "MIX-1"), x
    assert x["WATER-3"] < x["PREMIX-1"]  # layered: the premix's inputs before it
    assert browser.page.evaluate(OVERLAPS)["over"] == []
    assert browser.errors == []


def draw_ms(page: Any, root: str) -> float:
    return float(
        page.evaluate(
            f"""async () => {{ const t = performance.now(); await loadTrace({root!r}, "FORWARD");
            return performance.now() - t; }}"""
        )
    )


def test_1000_items_are_drawn_grouped_and_more_aggregated_in_time(browser: Browser, server: Server) -> None:
    open_trace(browser, server, "WIDE-LOT", "FORWARD")
    page = browser.page
    graph = page.locator("#graph")
    elapsed = draw_ms(page, "WIDE-LOT")  # the query, the grouping and the layout
    assert elapsed < 5_000, elapsed
    assert graph.get_attribute("data-view") == "grouped"
    assert "1000 items" in page.locator("#trace-summary").inner_text()
    groups = page.evaluate("window.tracegraph.cy.nodes('.group').map((n) => [n.id(), n.data('count')])")
    assert len(groups) == WIDE and all(count == 49 for _, count in groups), groups
    assert page.evaluate(OVERLAPS)["over"] == []
    page.locator("#trace-panel").screenshot(path=str(SHOTS / "tracegraph-trace-1000.png"))

    # A tap opens a group: its 49 loaves drawn, the other groups stay folded.
    page.evaluate("window.tracegraph.cy.getElementById('group:WIDE-LOT-MID-01').emit('tap')")
    page.wait_for_function("window.tracegraph.cy.getElementById('WIDE-LOT-MID-01-49').length === 1")
    assert page.evaluate("window.tracegraph.cy.nodes('.group').length") == WIDE - 1
    assert page.evaluate(OVERLAPS)["over"] == []

    # Every group opened: all 1,000 items laid out at once, still in time and readable.
    elapsed = page.evaluate(
        """() => { const t = performance.now();
        for (const id of current.model.nodes.keys()) current.expanded.add(id);
        draw(); return performance.now() - t; }"""
    )
    assert elapsed < 5_000, elapsed
    assert graph.get_attribute("data-view") == "full"
    found = page.evaluate(OVERLAPS)
    assert found["nodes"] == 1001 and found["over"] == [], found["over"][:5]

    started = time.monotonic()
    elapsed = draw_ms(page, "HUGE-LOT")
    assert elapsed < 5_000 and time.monotonic() - started < 5, elapsed
    assert graph.get_attribute("data-view") == "aggregated"
    counts = dict(page.evaluate("window.tracegraph.cy.nodes('.aggregate').map((n) => [n.id(), n.data('count')])"))
    assert counts == {"aggregate:1:DOUGH": AGGREGATED, "aggregate:2:BREAD": AGGREGATED * 40}, counts
    page.locator("#trace-panel").screenshot(path=str(SHOTS / "tracegraph-trace-1025.png"))
    assert browser.errors == []


def test_a_refused_key_says_so_and_stops_reconnecting(browser: Browser, server: Server) -> None:
    from playwright.sync_api import expect

    page = browser.page
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{server.url}/dashboard?key=not-a-key&trace=MIX-1&direction=BACKWARD")
    expect(page.locator("#key-message")).to_contain_text("the key was refused: enter another")
    expect(page.locator("#connection")).to_have_attribute("data-state", "refused")
    page.wait_for_timeout(4_000)  # the old page reconnected every second
    assert len(sockets) <= 1 and page.evaluate("window.tracegraph.live.connects") <= 1, sockets

    # Another key, entered in the page: live, and the trace asked for is drawn.
    page.fill("#key-input", ADMIN_KEY)
    page.click("#key-form button")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#key-form")).to_be_hidden()
    expect(page.locator("#graph")).to_have_attribute("data-root", "MIX-1")

    # A dropped connection (not a refusal) still reconnects by itself.
    before = page.evaluate("window.tracegraph.live.connects")
    page.evaluate("window.tracegraph.live.ws.close()")
    page.wait_for_function(f"window.tracegraph.live.connects > {before}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert browser.errors == []
