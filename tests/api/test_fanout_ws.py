"""Shared subscriptions over real WebSockets, frame by frame: each member's `next` messages carry
its own operation id, once each, in commit order; `complete` from the client stops them for that
operation alone; a member whose socket stops taking data is closed with 4029 without holding up
the others; a shared execution that fails tells every member (`next` with errors, `complete`).
Both ways of writing are covered: framed by the shared execution onto uvicorn's protocol, and
the plain ASGI send (any other server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from servers import ADMIN_KEY, AUTH, graphql_data, uvicorn_in_loop
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tracegraph.api import fanout
from tracegraph.api.subscriptions import OVERFLOW_CLOSE_CODE
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUEUE = 3
QUERY = "subscription { eventRecorded(type: RECEIVE) { id itemIds } }"
BATCH = """mutation($input: [EventInput!]!) { recordEvents(input: $input) { events { id } errors { message } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Any]]:
    settings = Settings(
        admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("data"), demo=False, subscriber_queue=QUEUE
    )
    async with uvicorn_in_loop(settings) as served:
        base, _ = served
        await post(base, 'mutation { createMaterial(input: {id: "M", name: "M"}) { errors { message } } }')
        await post(base, 'mutation { createLocation(input: {id: "WH", name: "WH"}) { errors { message } } }')
        yield served


@pytest.fixture(params=["framed", "deflate", "asgi"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """How shared results are written: framed here onto uvicorn's protocol; framed by websockets
    there (per-message deflate negotiated); or through ASGI."""
    if request.param == "asgi":  # as if the server were not uvicorn's websockets-sansio
        init = fanout._Member.__init__

        def plain(self: Any, *args: Any) -> None:
            init(self, *args)
            self.protocol = None

        monkeypatch.setattr(fanout._Member, "__init__", plain)
    yield request.param


def open_ws(base: str, path: str) -> Any:
    return connect(
        f"ws://{base}/graphql",
        subprotocols=["graphql-transport-ws"],
        compression="deflate" if path == "deflate" else None,
    )


def shared_of(app: Any) -> fanout.SharedSubscriptions:
    route = next(r for r in app.routes if isinstance(r, WebSocketRoute) and r.path == "/graphql")
    return route.app.schema  # type: ignore[no-any-return]


def members(app: Any) -> list[Any]:
    return [m for s in shared_of(app)._shared.values() for m in s.members]


post = graphql_data


def receive(lot: str) -> dict[str, Any]:
    return {
        "type": "RECEIVE",
        "locationId": "WH",
        "newItems": [{"id": lot, "materialId": "M"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }


async def record(base: str, *lots: str, auth: dict[str, str] = AUTH) -> list[str]:
    answer = (await post(base, BATCH, {"input": [receive(lot) for lot in lots]}, auth))["recordEvents"]
    assert answer["errors"] == []
    return [e["id"] for e in answer["events"]]


async def init(ws: ClientConnection, auth: dict[str, str] = AUTH) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"


async def subscribe(ws: ClientConnection, op: str) -> None:
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": QUERY}}))


async def until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def frames(ws: ClientConnection, n: int) -> list[dict[str, Any]]:
    return [json.loads(await asyncio.wait_for(ws.recv(), timeout=5)) for _ in range(n)]


async def quiet(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout=0.3)


def nexts(op: str, ids: list[str], lots: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": op, "type": "next", "payload": {"data": {"eventRecorded": {"id": i, "itemIds": [lot]}}}}
        for i, lot in zip(ids, lots, strict=True)
    ]


async def test_each_member_gets_its_own_ids_once_in_commit_order(served: tuple[str, Any], path: str) -> None:
    base, app = served
    async with open_ws(base, path) as one, open_ws(base, path) as two:
        await init(one)
        await init(two)
        await subscribe(one, "a")  # two operations on one socket, one on another: one execution
        await subscribe(one, "b")
        await subscribe(two, "x")
        await until(lambda: len(members(app)) == 3)
        assert shared_of(app).shared_count == 1
        assert all((m.protocol is not None) == (path != "asgi") for m in members(app))
        assert all(bool(m.ws.scope[fanout.WS_PROTOCOL].conn.extensions) == (path == "deflate") for m in members(app))

        lots = [f"{path}-1", f"{path}-2", f"{path}-3"]
        ids = await record(base, *lots)  # one transaction: a burst, written to each socket together
        got = await frames(one, 6)
        assert [m for m in got if m["id"] == "a"] == nexts("a", ids, lots)
        assert [m for m in got if m["id"] == "b"] == nexts("b", ids, lots)
        assert await frames(two, 3) == nexts("x", ids, lots)

        await one.send(json.dumps({"id": "a", "type": "complete"}))  # the client ends `a` alone
        await until(lambda: len(members(app)) == 2)
        later = await record(base, f"{path}-4")
        assert await frames(one, 1) == nexts("b", later, [f"{path}-4"])
        assert await frames(two, 1) == nexts("x", later, [f"{path}-4"])
        await quiet(one)  # nothing for `a`, not even a `complete` (the client completed it)
        await quiet(two)
        for ws, op in ((one, "b"), (two, "x")):
            await ws.send(json.dumps({"id": op, "type": "complete"}))
        await until(lambda: shared_of(app).shared_count == 0)  # the last one out stops it


async def test_a_member_whose_socket_stalls_is_closed_4029_alone(served: tuple[str, Any], path: str) -> None:
    base, app = served
    async with open_ws(base, path) as slow, open_ws(base, path) as fast:
        await init(slow)
        await subscribe(slow, "s")
        await until(lambda: len(members(app)) == 1)
        await init(fast)
        await subscribe(fast, "f")
        await until(lambda: len(members(app)) == 2)
        stalled = members(app)[0]
        first = await record(base, f"{path}-S0")
        assert await frames(slow, 1) == nexts("s", first, [f"{path}-S0"])
        assert await frames(fast, 1) == nexts("f", first, [f"{path}-S0"])

        # The server's side of `slow` stops taking data, as when its client does not read and the
        # buffers are full: more than QUEUE results pile up for it, one transaction at a time.
        protocol = stalled.ws.scope[fanout.WS_PROTOCOL]
        protocol.pause_writing()
        lots = [f"{path}-S{n}" for n in range(1, QUEUE + 3)]
        ids = [(await record(base, lot))[0] for lot in lots]
        assert await frames(fast, len(ids)) == nexts("f", ids, lots)  # the other one is not held up
        await until(lambda: stalled not in members(app))
        protocol.resume_writing()  # the close can go out now
        late: list[dict[str, Any]] = []
        with pytest.raises(ConnectionClosed):
            while True:
                late += await frames(slow, 1)
        # At most the send that was waiting for the socket went out; the backlog was dropped
        # (the client resumes with `after` the last id it got), and the socket closed with 4029.
        assert late == nexts("s", ids, lots)[: len(late)] and len(late) <= 1, late
        assert slow.close_code == OVERFLOW_CLOSE_CODE
        await fast.send(json.dumps({"id": "f", "type": "complete"}))
        await until(lambda: shared_of(app).shared_count == 0)


async def test_a_failing_shared_execution_tells_every_member(served: tuple[str, Any], path: str) -> None:
    base, app = served
    async with open_ws(base, path) as ws:
        await init(ws)
        await subscribe(ws, "p")
        await subscribe(ws, "q")
        await until(lambda: len(members(app)) == 2)
        # More events in one transaction than the shared execution's own bus queue holds: it
        # overflows, and ends with an error, which every member gets as strawberry sends it.
        await record(base, *[f"{path}-F{n}" for n in range(QUEUE + 4)])
        got = await frames(ws, 4)
        for op in ("p", "q"):
            mine = [m for m in got if m["id"] == op]
            assert [m["type"] for m in mine] == ["next", "complete"], got
            assert mine[0]["payload"]["data"] is None
            assert mine[0]["payload"]["errors"][0]["extensions"]["code"] == "SUBSCRIBER_OVERFLOW"
        await until(lambda: shared_of(app).shared_count == 0)


async def test_a_subscription_that_does_not_validate_gets_an_error_per_operation(
    served: tuple[str, Any], path: str
) -> None:
    base, app = served
    async with open_ws(base, path) as ws:
        await init(ws)
        for op in ("v1", "v2"):  # shareable by its text, so it goes to the shared execution
            await ws.send(
                json.dumps(
                    {
                        "id": op,
                        "type": "subscribe",
                        "payload": {"query": "subscription { eventRecorded { noSuchField } }"},
                    }
                )
            )
        got = await frames(ws, 2)
        assert sorted(m["id"] for m in got) == ["v1", "v2"]
        assert all(m["type"] == "error" and "noSuchField" in m["payload"][0]["message"] for m in got), got
        await quiet(ws)  # no `complete` after an `error`
        await until(lambda: shared_of(app).shared_count == 0)


async def org_key(base: str, name: str) -> dict[str, str]:
    org = (
        await post(base, "mutation($n: String!) { createOrganization(name: $n) { organization { id } } }", {"n": name})
    )["createOrganization"]["organization"]["id"]
    key = (
        await post(base, "mutation($o: ID!) { createApiKey(organizationId: $o, role: OPERATOR) { key } }", {"o": org})
    )["createApiKey"]["key"]
    return {"Authorization": f"Bearer {key}"}


async def test_members_share_only_with_the_same_visibility(served: tuple[str, Any], path: str) -> None:
    base, app = served
    a, b = await org_key(base, f"A {path}"), await org_key(base, f"B {path}")
    async with (
        open_ws(base, path) as a1,
        open_ws(base, path) as a2,
        open_ws(base, path) as b1,
        open_ws(base, path) as admin,
    ):
        for ws, auth, op in ((a1, a, "a1"), (a2, a, "a2"), (b1, b, "b1"), (admin, AUTH, "z")):
            await init(ws, auth)
            await subscribe(ws, op)
        await until(lambda: len(members(app)) == 4)
        assert shared_of(app).shared_count == 3  # A's two keys share; B and the admin run apart

        ids = await record(base, f"{path}-A1", auth=a)  # A's event: A and the admin see it, B does not
        assert await frames(a1, 1) == nexts("a1", ids, [f"{path}-A1"])
        assert await frames(a2, 1) == nexts("a2", ids, [f"{path}-A1"])
        assert await frames(admin, 1) == nexts("z", ids, [f"{path}-A1"])
        await quiet(b1)
        mine = await record(base, f"{path}-B1", auth=b)
        assert await frames(b1, 1) == nexts("b1", mine, [f"{path}-B1"])
        await quiet(a1)
