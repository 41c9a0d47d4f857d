"""Two server instances and a real Redis: an event recorded on either reaches the subscribers on
both, each once, in commit order, through a real GraphQL client (gql over graphql-transport-ws).

Each instance has its own embedded store here (Ladybug allows one process per data directory);
in production they share one Neo4j. What is checked is the bus between them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from servers import AUTH, Server, redis_server, run_server

pytestmark = pytest.mark.slow

SETUP = """mutation {
  createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
  createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
}"""
RECEIVE = """mutation($lot: String!) {
  receive(input: {locationId: "WH", newItems: [{id: $lot, materialId: "FLOUR"}],
                  outputs: [{itemId: $lot, quantity: 1}]}) { event { id } errors { message } }
}"""
SUBSCRIBE = gql("subscription { eventRecorded { id itemIds } }")


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Server, Server]]:
    with (
        redis_server() as url,
        run_server({"TRACEGRAPH_REDIS_URL": url}) as a,
        run_server({"TRACEGRAPH_REDIS_URL": url}) as b,
    ):
        for server in (a, b):
            r = httpx.post(f"{server.url}/graphql", headers=AUTH, json={"query": SETUP}, trust_env=False)
            assert r.status_code == 200 and "errors" not in r.json(), r.text
        yield a, b


async def receive(http: httpx.AsyncClient, server: Server, lot: str) -> str:
    r = await http.post(f"{server.url}/graphql", json={"query": RECEIVE, "variables": {"lot": lot}})
    payload = r.json()["data"]["receive"]
    assert payload["errors"] == [], payload
    return str(payload["event"]["id"])


class Listener:
    """A gql client subscribed to eventRecorded on one server, collecting what it receives."""

    def __init__(self, server: Server) -> None:
        self.url = server.url.replace("http://", "ws://") + "/graphql"
        self.got: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        transport = WebsocketsTransport(
            url=self.url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], init_payload=AUTH
        )
        async with Client(transport=transport) as session:
            async for data in session.subscribe(SUBSCRIBE):
                self.got.append(data["eventRecorded"])

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        assert self.task is not None
        if self.task.done():
            self.task.result()  # raise what ended it
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def ids(self, prefix: str) -> list[str]:
        return [e["id"] for e in self.got if e["itemIds"][0].startswith(prefix)]


async def test_every_event_reaches_every_subscriber_on_both_instances_once(cluster: tuple[Server, Server]) -> None:
    a, b = cluster
    listeners = [Listener(a), Listener(a), Listener(b)]
    for listener in listeners:
        listener.start()
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=10) as http:
        # A subscription listens once the server has read its `subscribe`: warm up until all do.
        for n in range(200):
            await receive(http, a if n % 2 else b, f"WARM-{n}")
            await asyncio.sleep(0.05)
            if all(listener.ids("WARM") for listener in listeners):
                break
        else:
            raise AssertionError("the subscriptions never started")

        recorded = []
        for n in range(20):
            recorded.append(await receive(http, a if n % 2 == 0 else b, f"LIVE-{n}"))
        for _ in range(400):
            if all(len(listener.ids("LIVE")) >= len(recorded) for listener in listeners):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
    for listener in listeners:
        await listener.stop()
        assert listener.ids("LIVE") == recorded  # all, once each, in commit order


async def test_a_recall_notice_reaches_a_subscriber_on_the_other_instance(cluster: tuple[Server, Server]) -> None:
    """A recall opened on instance A notifies the owner of what it reached; the notice travels
    whole through Redis to a `recallNoticeReceived` subscriber on instance B (each instance has
    its own store here, so B could not read it back from its own)."""
    a, b = cluster
    got: list[dict[str, Any]] = []

    async def listen() -> None:
        transport = WebsocketsTransport(
            url=b.url.replace("http://", "ws://") + "/graphql",
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload=AUTH,
        )
        async with Client(transport=transport) as session:
            async for data in session.subscribe(
                gql("subscription { recallNoticeReceived { recallId organizationId itemIds openedByOrganization } }")
            ):
                got.append(data["recallNoticeReceived"])

    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=10) as http:
        org = (
            await http.post(
                f"{a.url}/graphql",
                json={"query": 'mutation { createOrganization(name: "Owner") { organization { id } } }'},
            )
        ).json()
        org_id = org["data"]["createOrganization"]["organization"]["id"]
        key = (
            await http.post(
                f"{a.url}/graphql",
                json={
                    "query": "mutation($o: ID!) { createApiKey(organizationId: $o, role: OPERATOR) { key } }",
                    "variables": {"o": org_id},
                },
            )
        ).json()
        owner = {"Authorization": f"Bearer {key['data']['createApiKey']['key']}"}
        r = await http.post(f"{a.url}/graphql", headers=owner, json={"query": RECEIVE, "variables": {"lot": "OWNED-1"}})
        assert r.json()["data"]["receive"]["errors"] == [], r.text
        task = asyncio.create_task(listen())
        try:
            for n in range(100):  # the subscription listens once the server has read its `subscribe`
                opened = (
                    await http.post(
                        f"{a.url}/graphql",
                        json={
                            "query": (
                                'mutation($id: String!) { openRecall(input: {id: $id, itemIds: ["OWNED-1"], reason: "test"}) '
                                "{ errors { message } } }"
                            ),
                            "variables": {"id": f"RC-REDIS-{n}"},
                        },
                    )
                ).json()
                assert opened["data"]["openRecall"]["errors"] == [], opened
                await asyncio.sleep(0.1)
                if got:
                    break
            else:
                raise AssertionError("no recall notice reached instance B")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert got[0]["recallId"].startswith("RC-REDIS-") and got[0]["organizationId"] == org_id
    assert got[0]["itemIds"] == ["OWNED-1"] and got[0]["openedByOrganization"] is None
