"""Identical subscriptions execute once and fan out; a member that stalls is dropped alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from api_kit import Api
from graphql import GraphQLError

from tracegraph.api.context import Context
from tracegraph.api.fanout import SharedSubscriptions, shareable
from tracegraph.api.schema import schema
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUERY = "subscription($t: EventType) { eventRecorded(type: $t) { id } }"


def context(app: Any) -> Context:
    return Context(services=app.state.services, bus=app.state.bus, settings=Settings(demo=False))


async def test_what_is_shared() -> None:
    assert shareable(QUERY, None)
    assert not shareable('subscription { eventRecorded(after: "x") { id } }', None)
    assert not shareable("subscription($a: String) { eventRecorded(after: $a) { id } }", None)
    assert not shareable("query { items { nodes { id } } }", None)
    assert not shareable("subscription {", None)


async def test_identical_subscriptions_share_one_execution(plant: Api, app: Any) -> None:
    shared = SharedSubscriptions(schema, queue_size=3)
    bus = app.state.bus
    before = bus.subscriber_count
    a = await shared.stream(QUERY, {"t": "RECEIVE"}, context(app))
    b = await shared.stream(QUERY, {"t": "RECEIVE"}, context(app))
    other = await shared.stream(QUERY, {"t": "MOVE"}, context(app))
    assert shared.shared_count == 2

    async def read(stream: Any, n: int) -> list[str]:
        return [(await anext(stream)).data["eventRecorded"]["id"] for _ in range(n)]

    reading_a = asyncio.ensure_future(read(a, 6))
    reading_b = asyncio.ensure_future(read(b, 1))  # then stalls
    reading_other = asyncio.ensure_future(read(other, 1))
    for _ in range(400):
        if bus.subscriber_count == before + 2:
            break
        await asyncio.sleep(0.005)
    assert bus.subscriber_count == before + 2  # one execution per distinct subscription

    events = [await plant.receive(f"FO-{n}", "FLOUR", 1) for n in range(6)]
    moved = await plant.ok("move", {"inputs": [{"itemId": "FO-0", "quantity": 1}], "toLocationId": "DOCK"})
    ids = [e["id"] for e in events]
    assert await asyncio.wait_for(reading_a, 5) == ids
    assert await asyncio.wait_for(reading_b, 5) == ids[:1]
    assert await asyncio.wait_for(reading_other, 5) == [moved["id"]]
    with pytest.raises(GraphQLError) as dropped:  # b fell more than 3 behind: dropped, a was not
        await asyncio.wait_for(anext(b), 5)
    assert dropped.value.extensions == {"code": "SUBSCRIBER_OVERFLOW"}

    for stream in (a, other):
        await stream.aclose()
    for _ in range(100):
        if shared.shared_count == 0 and bus.subscriber_count == before:
            break
        await asyncio.sleep(0.01)
    assert (shared.shared_count, bus.subscriber_count) == (0, before)  # the last one out stops it
