"""A subscriber that falls behind its queue bound is closed with code 4029 over a real WebSocket,
and resumes with `after` the last event id it received, missing nothing and repeating nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from servers import ADMIN_KEY, AUTH, graphql_data, uvicorn_in_loop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tracegraph.api.subscriptions import OVERFLOW_CLOSE_CODE
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUEUE = 3
BATCH = """mutation($input: [EventInput!]!) { recordEvents(input: $input) { events { id } errors { message } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Any]]:
    """The app on uvicorn at a free port: its base URL, and the app."""
    settings = Settings(
        admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("data"), demo=False, subscriber_queue=QUEUE
    )
    async with uvicorn_in_loop(settings) as served:
        yield served


post = graphql_data


async def subscribe(ws: ClientConnection, app: Any, after: str | None = None) -> None:
    before = app.state.bus.subscriber_count
    await ws.send(json.dumps({"type": "connection_init", "payload": AUTH}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": "subscription($after: String) { eventRecorded(after: $after) { id } }",
                    "variables": {"after": after},
                },
            }
        )
    )
    for _ in range(500):
        if app.state.bus.subscriber_count > before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never started listening")


async def next_id(ws: ClientConnection) -> str:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    return str(message["payload"]["data"]["eventRecorded"]["id"])


def receive(lot: str) -> dict[str, Any]:
    return {
        "type": "RECEIVE",
        "locationId": "WH",
        "newItems": [{"id": lot, "materialId": "M"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }


async def test_overflow_closes_with_4029_and_after_resumes(served: tuple[str, Any]) -> None:
    base, app = served
    await post(base, 'mutation { createMaterial(input: {id: "M", name: "M"}) { errors { message } } }')
    await post(base, 'mutation { createLocation(input: {id: "WH", name: "WH"}) { errors { message } } }')
    url = f"ws://{base}/graphql"
    async with (
        connect(url, subprotocols=["graphql-transport-ws"]) as ws,
        connect(url, subprotocols=["graphql-transport-ws"]) as other,
    ):
        await subscribe(ws, app)
        first = (await post(base, BATCH, {"input": [receive("OF-0")]}))["recordEvents"]["events"][0]["id"]
        last_seen = await next_id(ws)
        assert last_seen == first

        # One transaction of more events than the queue holds: published at once, it overflows
        # every subscriber that is listening, since none can read in between.
        batch = await post(base, BATCH, {"input": [receive(f"OF-{n}") for n in range(1, 8)]})
        batch_ids = [e["id"] for e in batch["recordEvents"]["events"]]
        with pytest.raises(ConnectionClosed):
            while True:
                last_seen = await next_id(ws)
        assert ws.close_code == OVERFLOW_CLOSE_CODE
        assert "after" in (ws.close_reason or "")

        await subscribe(other, app, after=last_seen)
        later = (await post(base, BATCH, {"input": [receive("OF-8")]}))["recordEvents"]["events"][0]["id"]
        resumed = [await next_id(other) for _ in range(len(batch_ids) + 1)]
        assert resumed == batch_ids + [later]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.recv(), timeout=0.3)
