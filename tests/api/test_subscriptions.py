"""`eventRecorded` through `schema.subscribe`, and one context reused across operations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from api_kit import Api

from tracegraph.api.context import Context
from tracegraph.api.schema import schema
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

SUBSCRIPTION = """subscription($itemId: String, $type: EventType) {
    eventRecorded(itemId: $itemId, type: $type) { id type itemIds source event { items { id status } } }
}"""


def context(app: Any) -> Context:
    return Context(services=app.state.services, bus=app.state.bus, settings=Settings(demo=False))


async def subscribers(app: Any, n: int) -> None:
    """Wait until the bus has `n` subscribers: a subscription starts listening on its first read."""
    for _ in range(200):
        if app.state.bus.subscriber_count >= n:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the subscription never started listening")


async def next_result(stream: AsyncGenerator[Any, None]) -> dict[str, Any]:
    result = await asyncio.wait_for(anext(stream), timeout=5)
    assert not result.errors, result.errors
    return result.data["eventRecorded"]


async def test_event_recorded_is_delivered_after_the_commit(plant: Api, app: Any) -> None:
    everything = await schema.subscribe(SUBSCRIPTION, context_value=context(app))
    only_b = await schema.subscribe(SUBSCRIPTION, {"itemId": "SUB-B"}, context_value=context(app))
    only_moves = await schema.subscribe(SUBSCRIPTION, {"type": "MOVE"}, context_value=context(app))
    waiting = [asyncio.ensure_future(next_result(s)) for s in (everything, only_b, only_moves)]
    await subscribers(app, 3)

    a = await plant.receive("SUB-A", "FLOUR", 5)
    b = await plant.receive("SUB-B", "FLOUR", 5)
    move = await plant.ok("move", {"inputs": [{"itemId": "SUB-A", "quantity": 1}], "toLocationId": "DOCK"})

    first, of_b, a_move = await asyncio.gather(*waiting)
    assert first == {
        "id": a["id"],
        "type": "RECEIVE",
        "itemIds": ["SUB-A"],
        "source": "COMMAND",
        "event": {"items": [{"id": "SUB-A", "status": "RELEASED"}]},
    }
    assert of_b["id"] == b["id"]
    assert a_move["id"] == move["id"]
    assert (await next_result(everything))["id"] == b["id"]
    for stream in (everything, only_b, only_moves):
        await stream.aclose()


async def test_a_refused_command_is_not_delivered(plant: Api, app: Any) -> None:
    stream = await schema.subscribe(SUBSCRIPTION, {"itemId": "SUB-C"}, context_value=context(app))
    waiting = asyncio.ensure_future(next_result(stream))
    await subscribers(app, 1)
    refused = await plant.mutate(
        "receive",
        {
            "locationId": "WH",
            "newItems": [{"id": "SUB-C", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "SUB-C", "quantity": -1}],
        },
    )
    assert refused["errors"]
    accepted = await plant.receive("SUB-C", "FLOUR", 1)
    assert (await waiting)["id"] == accepted["id"]
    await stream.aclose()


async def test_one_context_for_many_operations_reads_fresh_data(plant: Api, app: Any) -> None:
    """A WebSocket connection keeps one context: its loaders must not outlive an operation."""
    ctx = context(app)
    query = '{ item(id: "SUB-D") { status } }'
    await plant.receive("SUB-D", "FLOUR", 1)
    assert (await schema.execute(query, context_value=ctx)).data == {"item": {"status": "RELEASED"}}
    await plant.ok("reclassify", {"inputs": [{"itemId": "SUB-D"}], "status": "HOLD"})
    assert (await schema.execute(query, context_value=ctx)).data == {"item": {"status": "HOLD"}}
