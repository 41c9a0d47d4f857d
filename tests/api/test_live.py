"""Live subscriptions through `schema.subscribe`: filters (downstream of an item, material,
business step), stockChanged, itemStatusChanged, replay with `after`, and queue overflow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from api_kit import Api

from tracegraph.api.context import Context
from tracegraph.api.schema import schema
from tracegraph.bus import Bus
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


def context(app: Any, bus: Bus | None = None) -> Context:
    return Context(services=app.state.services, bus=bus or app.state.bus, settings=Settings(demo=False))


class Stream:
    """A subscription's stream, with the read that started it still pending."""

    def __init__(self, gen: AsyncGenerator[Any, None], pending: asyncio.Future[Any] | None) -> None:
        self.gen, self.pending = gen, pending

    def next(self) -> asyncio.Future[Any]:
        pending, self.pending = self.pending, None
        return pending if pending is not None else asyncio.ensure_future(anext(self.gen))

    async def aclose(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await self.pending
        await self.gen.aclose()


async def start(app: Any, query: str, variables: dict[str, Any] | None = None) -> Stream:
    """Subscribe and wait until the subscription listens (it starts on its first read)."""
    before = app.state.bus.subscriber_count
    gen = await schema.subscribe(query, variables, context_value=context(app))
    first = asyncio.ensure_future(anext(gen))
    for _ in range(400):
        if app.state.bus.subscriber_count > before or first.done():
            break
        await asyncio.sleep(0.005)
    return Stream(gen, first)


async def take(stream: Stream, n: int, field: str) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        result = await asyncio.wait_for(stream.next(), timeout=5)
        assert not result.errors, result.errors
        out.append(result.data[field])
    return out


async def nothing_more(stream: Stream) -> None:
    pending = stream.next()
    stream.pending = pending
    await asyncio.sleep(0.2)
    assert not pending.done(), pending.result()


EVENTS = """subscription($itemId: String, $downstream: Boolean! = false, $materialId: ID, $bizStep: String,
    $after: String) {
    eventRecorded(itemId: $itemId, downstream: $downstream, materialId: $materialId, bizStep: $bizStep,
                  after: $after) { id type itemIds }
}"""


async def test_downstream_of_a_lot_follows_what_is_made_from_it_later(plant: Api, app: Any) -> None:
    await plant.receive("DS-FLOUR", "FLOUR", 100)
    await plant.receive("DS-OTHER", "SUGAR", 100)
    downstream = await start(app, EVENTS, {"itemId": "DS-FLOUR", "downstream": True})
    only_lot = await start(app, EVENTS, {"itemId": "DS-FLOUR"})

    dough = await plant.ok(
        "produce",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "DS-FLOUR", "quantity": 30, "locationId": "WH"}],
            "newItems": [{"id": "DS-DOUGH", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "DS-DOUGH", "quantity": 45}],
        },
    )
    await plant.ok("move", {"inputs": [{"itemId": "DS-OTHER", "quantity": 1}], "toLocationId": "DOCK"})
    bread = await plant.ok(
        "produce",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "DS-DOUGH", "quantity": 45}],
            "newItems": [{"id": "DS-BREAD", "materialId": "BREAD"}],
            "outputs": [{"itemId": "DS-BREAD", "quantity": 90}],
        },
    )
    ship = await plant.ok(
        "ship", {"inputs": [{"itemId": "DS-BREAD", "quantity": 10, "locationId": "LINE"}], "shipmentId": "DS-SH"}
    )

    got = await take(downstream, 3, "eventRecorded")
    assert [g["id"] for g in got] == [dough["id"], bread["id"], ship["id"]]  # "anything made from X ships"
    assert [g["id"] for g in await take(only_lot, 1, "eventRecorded")] == [dough["id"]]
    await nothing_more(downstream)
    await nothing_more(only_lot)
    for s in (downstream, only_lot):
        await s.aclose()


async def test_material_and_business_step_filters(plant: Api, app: Any) -> None:
    sugar = await start(app, EVENTS, {"materialId": "SUGAR"})
    shipping = await start(app, EVENTS, {"bizStep": "shipping"})
    await plant.receive("MF-FLOUR", "FLOUR", 5)
    received = await plant.receive("MF-SUGAR", "SUGAR", 5)
    moved = await plant.ok(
        "move", {"inputs": [{"itemId": "MF-SUGAR", "quantity": 1}], "toLocationId": "DOCK", "bizStep": "shipping"}
    )
    assert [g["id"] for g in await take(sugar, 2, "eventRecorded")] == [received["id"], moved["id"]]
    assert [g["id"] for g in await take(shipping, 1, "eventRecorded")] == [moved["id"]]
    for s in (sugar, shipping):
        await s.aclose()


async def test_stock_changed_and_item_status_changed(plant: Api, app: Any) -> None:
    stock = await start(
        app,
        """subscription { stockChanged(locationId: "DOCK", materialId: "SUGAR") {
        eventId itemId locationId delta quantity materialId } }""",
    )
    status = await start(
        app,
        """subscription { itemStatusChanged(itemId: "SC-SUGAR") {
        eventId itemId fromStatus toStatus } }""",
    )
    await plant.receive("SC-SUGAR", "SUGAR", 10)
    await plant.receive("SC-FLOUR", "FLOUR", 10)
    await plant.ok("move", {"inputs": [{"itemId": "SC-FLOUR", "quantity": 2}], "toLocationId": "DOCK"})
    moved = await plant.ok("move", {"inputs": [{"itemId": "SC-SUGAR", "quantity": 4}], "toLocationId": "DOCK"})
    held = await plant.ok("reclassify", {"inputs": [{"itemId": "SC-SUGAR"}], "status": "HOLD"})
    assert await take(stock, 1, "stockChanged") == [
        {
            "eventId": moved["id"],
            "itemId": "SC-SUGAR",
            "locationId": "DOCK",
            "delta": 4.0,
            "quantity": 4.0,
            "materialId": "SUGAR",
        }
    ]
    assert await take(status, 1, "itemStatusChanged") == [
        {"eventId": held["id"], "itemId": "SC-SUGAR", "fromStatus": "RELEASED", "toStatus": "HOLD"}
    ]
    for s in (stock, status):
        await s.aclose()


async def test_after_replays_from_the_ledger_then_goes_on_live(plant: Api, app: Any) -> None:
    first = await plant.receive("RP-1", "FLOUR", 5)
    missed = [await plant.receive(f"RP-{n}", "FLOUR", 5) for n in (2, 3)]
    resumed = await start(app, EVENTS, {"after": first["id"], "materialId": "FLOUR"})
    live = await plant.receive("RP-4", "FLOUR", 5)
    got = [g["id"] for g in await take(resumed, 3, "eventRecorded")]
    assert got == [missed[0]["id"], missed[1]["id"], live["id"]]
    await nothing_more(resumed)
    await resumed.aclose()

    unknown = await schema.subscribe(EVENTS, {"after": "no-such-event"}, context_value=context(app))
    result = await asyncio.wait_for(anext(unknown), timeout=5)
    assert result.errors and result.errors[0].extensions["code"] == "NOT_FOUND"


async def test_an_overflowing_subscriber_is_dropped_and_the_others_are_not(plant: Api, app: Any) -> None:
    small = Bus(queue_size=3)
    app.state.ledger.on_recorded(small.publish_entry)
    stalled = await schema.subscribe(EVENTS, context_value=context(app, small))
    reader = await schema.subscribe(EVENTS, context_value=context(app, small))

    async def read_all(n: int) -> list[str]:  # keeps up: reads each message as it comes
        return [(await anext(reader)).data["eventRecorded"]["id"] for _ in range(n)]

    reading = asyncio.ensure_future(read_all(6))
    stalling = asyncio.ensure_future(anext(stalled))  # reads once, then never again
    for _ in range(200):
        if small.subscriber_count == 2:
            break
        await asyncio.sleep(0.005)
    events = [await plant.receive(f"OV-{n}", "FLOUR", 1) for n in range(6)]
    assert await asyncio.wait_for(reading, 5) == [e["id"] for e in events]
    assert (await stalling).data["eventRecorded"]["id"] == events[0]["id"]
    end = await asyncio.wait_for(anext(stalled), timeout=5)
    assert end.errors and end.errors[0].extensions["code"] == "SUBSCRIBER_OVERFLOW"
    assert small.subscriber_count == 1
    await reader.aclose()


async def test_recall_progress_follows_a_recall(plant: Api, app: Any) -> None:
    await plant.receive("RP-LOT", "FLOUR", 10)
    stream = await start(
        app,
        'subscription { recallProgress(id: "RC-LIVE") { recallId what status affectedCount '
        "accounted heldCount recall { id reason } } }",
    )
    try:
        opened = await plant.data(
            'mutation { openRecall(input: {itemIds: ["RP-LOT"], reason: "glass", id: "RC-LIVE"}) { errors { code } } }'
        )
        assert opened["openRecall"]["errors"] == []
        await plant.data(
            'mutation { openRecall(input: {itemIds: ["RP-LOT"], reason: "other", mock: true}) { errors { code } } }'
        )  # another recall: filtered out
        await plant.data('mutation { holdRecall(id: "RC-LIVE") { errors { code } } }')
        await plant.data('mutation { setRecallStatus(id: "RC-LIVE", status: CLOSED) { errors { code } } }')
        steps = await take(stream, 3, "recallProgress")
    finally:
        await stream.aclose()
    assert [(s["what"], s["status"], s["heldCount"]) for s in steps] == [
        ("OPENED", "OPEN", 0),
        ("HELD", "CONTAINED", 1),
        ("STATUS", "CLOSED", 0),
    ]
    assert steps[0]["recall"] == {"id": "RC-LIVE", "reason": "glass"} and steps[0]["accounted"] == 1.0
