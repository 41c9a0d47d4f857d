"""The completeness report: each weakness found on purpose, scores per material and month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import pytest_asyncio
from api_kit import Api
from starlette.applications import Starlette

from tracegraph.domain.events import EventCommand, EventType, Line, Source

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPORT = """query($since: DateTime) { completeness(since: $since) {
  score itemCount completeCount issueCount
  byMaterial { key items complete score } byPeriod { key items score }
  issues(first: 50) { nodes { itemId kind quantity } } } }"""


def fact(type: str, when: datetime, **fields: object) -> EventCommand:  # noqa: A002
    return EventCommand(type=EventType(type), event_time=when, **fields)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ledger_with_gaps(plant: Api, app: Starlette) -> Api:
    """G (good) received and used; a partner's facts: P used with no origin, Q used before its
    receipt, R consumed beyond what was received."""
    march, april = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC)
    await plant.ok(
        "receive",
        {
            "locationId": "WH",
            "eventTime": march.isoformat(),
            "newItems": [{"id": "G", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "G", "quantity": 10}],
        },
    )
    ledger = app.state.ledger
    facts = [
        fact(
            "PRODUCE",
            april,
            location_id="WH",
            inputs=[Line(item_id="P", quantity=5, unit="KG")],
            outputs=[Line(item_id="OUT-1", quantity=5, unit="KG")],
        ),
        fact(
            "SHIP",
            datetime(2026, 4, 1, tzinfo=UTC),
            inputs=[Line(item_id="Q", quantity=1, unit="KG", location_id="WH")],
        ),
        fact(
            "RECEIVE",
            datetime(2026, 4, 2, tzinfo=UTC),
            location_id="WH",
            outputs=[Line(item_id="Q", quantity=5, unit="KG")],
        ),
        fact("RECEIVE", april, location_id="WH", outputs=[Line(item_id="R", quantity=2, unit="KG")]),
        fact("SHIP", april, inputs=[Line(item_id="R", quantity=3, unit="KG", location_id="WH")]),
    ]
    for f in facts:
        await ledger.record(f, Source.FACT)
    return plant


async def test_every_weakness_is_listed(ledger_with_gaps: Api) -> None:
    r = (await ledger_with_gaps.data(REPORT))["completeness"]
    kinds = {(i["itemId"], i["kind"]) for i in r["issues"]["nodes"]}
    assert ("P", "NO_ORIGIN") in kinds
    assert ("Q", "CONSUMED_BEFORE_PRODUCED") in kinds
    assert ("R", "OVER_CONSUMED") in kinds
    assert not any(item == "G" for item, _ in kinds)
    over = next(i for i in r["issues"]["nodes"] if i["kind"] == "OVER_CONSUMED")
    assert over["quantity"] == 1
    assert r["itemCount"] == 5 and r["completeCount"] == 2  # G and OUT-1
    assert r["score"] == pytest.approx(2 / 5)
    flour = next(s for s in r["byMaterial"] if s["key"] == "FLOUR")
    assert (flour["items"], flour["complete"], flour["score"]) == (1, 1, 1.0)
    assert {s["key"] for s in r["byPeriod"]} == {"2026-03", "2026-04"}


async def test_a_window_narrows_to_items_first_seen_in_it(ledger_with_gaps: Api) -> None:
    r = (await ledger_with_gaps.data(REPORT, {"since": "2026-04-01T00:00:00Z"}))["completeness"]
    assert r["itemCount"] == 4 and all(s["key"] == "2026-04" for s in r["byPeriod"])
