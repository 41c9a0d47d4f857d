"""Limits on what a WebSocket sends, over real WebSockets (graphql-transport-ws) on uvicorn in this
process: operations in flight per connection and per key, and the per-key rate shared with HTTP.
A refused operation gets an `error` message on its own id (code and limit); the socket goes on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
from servers import ADMIN_KEY, AUTH, uvicorn_in_loop
from websockets.asyncio.client import ClientConnection, connect

from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

PER_CONNECTION = 2
PER_KEY = 3
RATE, BURST = 0.5, 3  # operations a second per key, at once


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Any]]:
    settings = Settings(
        admin_key=ADMIN_KEY,
        data_dir=tmp_path_factory.mktemp("data"),
        demo=False,
        ws_max_operations=PER_CONNECTION,
        ws_max_operations_per_key=PER_KEY,
        rate_limit=RATE,
        rate_burst=BURST,
    )
    async with uvicorn_in_loop(settings) as served:
        yield served


async def post(
    base: str, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] = AUTH
) -> httpx.Response:
    async with httpx.AsyncClient(headers=headers, trust_env=False) as client:
        return await client.post(f"http://{base}/graphql", json={"query": query, "variables": variables or {}})


async def new_key(base: str, role: str = "OPERATOR") -> tuple[str, str]:
    org = (await post(base, 'mutation { createOrganization(name: "WS") { organization { id } } }')).json()
    org_id = org["data"]["createOrganization"]["organization"]["id"]
    r = await post(
        base,
        "mutation($o: ID!, $r: Role!) { createApiKey(organizationId: $o, role: $r) { key } }",
        {"o": org_id, "r": role},
    )
    return org_id, r.json()["data"]["createApiKey"]["key"]


@asynccontextmanager
async def socket(base: str, key: str = ADMIN_KEY) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        yield ws


async def subscribe(ws: ClientConnection, op_id: str, query: str) -> None:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))


def listen(item: str) -> str:
    return f'subscription {{ eventRecorded(itemId: "{item}") {{ id }} }}'


async def until(op_id: str, ws: ClientConnection, types: tuple[str, ...] = ("error", "complete")) -> dict[str, Any]:
    """The next message of operation `op_id` of one of `types` (others of it and of other ids skipped)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message.get("id") == op_id and message["type"] in types:
            return message


async def running(app: Any, key_count: int | None = None, bus: int | None = None) -> None:
    """Wait until the server counts what the test expects."""
    for _ in range(500):
        in_flight = sum(app.state.graphql.socket_limits.in_flight.values())
        if (key_count is None or in_flight == key_count) and (bus is None or app.state.bus.subscriber_count == bus):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(
        f"in flight {app.state.graphql.socket_limits.in_flight}, bus subscribers {app.state.bus.subscriber_count}"
    )


async def test_a_connection_runs_at_most_its_cap_of_operations(served: tuple[str, Any]) -> None:
    base, app = served
    async with socket(base) as ws:  # the admin key: limited per connection too
        await subscribe(ws, "1", listen("A"))
        await subscribe(ws, "2", listen("B"))
        await running(app, bus=2)
        await subscribe(ws, "3", "{ viewer { admin } }")
        refused = await until("3", ws)
        assert refused["type"] == "error"
        [error] = refused["payload"]
        assert error["extensions"] == {"code": "TOO_MANY_OPERATIONS", "limit": PER_CONNECTION}
        assert error["message"].startswith(
            f"too many operations on this connection: 2 running, at most "
            f"{PER_CONNECTION} (TRACEGRAPH_WS_MAX_OPERATIONS)"
        )
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await subscribe(ws, "4", "{ viewer { admin } }")  # a place is free again
        answer = await until("4", ws, ("next", "error"))
        assert answer == {"id": "4", "type": "next", "payload": {"data": {"viewer": {"admin": True}}}}


async def test_a_key_runs_at_most_its_cap_of_operations_over_all_its_sockets(served: tuple[str, Any]) -> None:
    base, app = served
    _, key = await new_key(base, "VIEWER")
    async with socket(base, key) as first, socket(base, key) as second:
        await subscribe(first, "1", listen("K1"))
        await subscribe(first, "2", listen("K2"))
        await subscribe(second, "1", listen("K3"))
        await running(app, key_count=PER_KEY)
        await subscribe(second, "2", listen("K4"))
        [error] = (await until("2", second))["payload"]
        assert error["extensions"] == {"code": "TOO_MANY_OPERATIONS", "limit": PER_KEY}
        assert f"for this key: {PER_KEY} running on its connections, at most {PER_KEY}" in error["message"]
        await first.close()
        await running(app, key_count=1)  # the closed socket's operations are no longer counted
        await asyncio.sleep(2 / RATE)  # let the bucket refill: this test is about counts
        await subscribe(second, "3", listen("K5"))
        await running(app, key_count=2)


async def test_a_key_over_its_rate_gets_an_error_per_operation_and_nothing_runs(served: tuple[str, Any]) -> None:
    base, app = served
    org, key = await new_key(base)
    async with socket(base, key) as ws:
        answers = []
        for n in range(BURST + 2):  # one after the other: the connection's own cap is not what is tested
            await subscribe(
                ws,
                f"m{n}",
                f'mutation {{ createMaterial(input: {{id: "RATE-{n}", name: "R"}}) {{ errors {{ code }} }} }}',
            )
            answers.append(await until(f"m{n}", ws, ("next", "error")))
    kinds = [a["type"] for a in answers]
    assert kinds[:BURST] == ["next"] * BURST and kinds[BURST:] == ["error", "error"], answers
    [error] = answers[-1]["payload"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] >= 1
    assert f"rate limit of this key exceeded ({RATE:g} operations a second, TRACEGRAPH_RATE_LIMIT)" in error["message"]
    # nothing of a refused operation ran: no material, no audit entry
    ids = (await post(base, "{ materials(first: 100) { nodes { id } } }")).json()["data"]["materials"]["nodes"]
    assert {m["id"] for m in ids if m["id"].startswith("RATE-")} == {f"RATE-{n}" for n in range(BURST)}
    log = (
        await post(base, "query($o: ID) { auditLog(first: 100, organizationId: $o) { nodes { action } } }", {"o": org})
    ).json()["data"]["auditLog"]["nodes"]
    assert [e["action"] for e in log] == ["mutation:createMaterial"] * BURST  # mutations over a socket are audited
    # the socket's operations and the key's HTTP requests share one bucket
    r = await post(base, "{ viewer { role } }", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 429 and "rate limit" in r.json()["error"]
