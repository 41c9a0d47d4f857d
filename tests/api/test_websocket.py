"""`eventRecorded` over a real WebSocket (graphql-transport-ws), on uvicorn in this process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from servers import ADMIN_KEY, AUTH, uvicorn_in_loop
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

RECEIVE = """mutation { receive(input: {locationId: "WH", newItems: [{id: "WS-1", materialId: "M"}],
    outputs: [{itemId: "WS-1", quantity: 3}]}) { event { id } errors { message } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Any]]:
    """The app on uvicorn at a free port: its base URL, and the app."""
    settings = Settings(admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("data"), demo=False)
    async with uvicorn_in_loop(settings) as served:
        yield served


async def post(base: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(headers=AUTH, trust_env=False) as client:
        response = await client.post(f"http://{base}/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_event_recorded_over_graphql_transport_ws(served: tuple[str, Any]) -> None:
    base, app = served
    await post(base, 'mutation { createMaterial(input: {id: "M", name: "M"}) { errors { message } } }')
    await post(base, 'mutation { createLocation(input: {id: "WH", name: "WH"}) { errors { message } } }')
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": AUTH}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": 'subscription { eventRecorded(itemId: "WS-1") { id type itemIds } }'},
                }
            )
        )
        for _ in range(500):  # the subscription listens once it has started
            if app.state.bus.subscriber_count:
                break
            await asyncio.sleep(0.01)

        answer = (await post(base, RECEIVE))["receive"]
        assert answer["errors"] == []
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert message == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {"eventRecorded": {"id": answer["event"]["id"], "type": "RECEIVE", "itemIds": ["WS-1"]}}
            },
        }
        await ws.send(json.dumps({"id": "1", "type": "complete"}))


async def test_only_graphql_transport_ws_is_spoken(served: tuple[str, Any]) -> None:
    base, _ = served
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-ws"]) as ws:
        with pytest.raises(Exception):  # noqa: B017 - closed, with code 4406
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert ws.close_code == 4406


async def test_a_cross_site_page_may_not_open_the_socket(served: tuple[str, Any]) -> None:
    base, _ = served
    with pytest.raises(InvalidStatus):
        async with connect(
            f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        ):
            pass


@pytest.mark.parametrize("payload", [{}, {"Authorization": "Bearer tg_wrong"}, {"Authorization": "tg_no-scheme"}, None])
async def test_a_socket_without_a_valid_key_is_closed(served: tuple[str, Any], payload: Any) -> None:
    base, _ = served
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", **({"payload": payload} if payload is not None else {})}))
        with pytest.raises(Exception):  # noqa: B017 - closed
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert ws.close_code in (4401, 4403)


async def test_a_subscription_before_connection_init_is_closed_4401(served: tuple[str, Any]) -> None:
    base, _ = served
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { eventRecorded { id } }"}})
        )
        with pytest.raises(Exception):  # noqa: B017 - closed
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert ws.close_code == 4401
