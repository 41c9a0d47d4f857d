"""Two server instances and a real Redis: an event recorded on either reaches the subscribers on
both, each once, in commit order, through a real GraphQL client (gql over graphql-transport-ws).

Each test runs twice: on two instances sharing one real Neo4j (production's shape: the
instances deliver in the store's commit order, even for writes racing on both), and on two
instances with an embedded store each (Ladybug allows one process per data directory), where
what is checked is the bus between them.
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
from live_kit import RECEIVE, SETUP, Listener, committed, receive, warm_up
from servers import AUTH, Server, redis_server, run_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["neo4j", "ladybug"])
def cluster(request: pytest.FixtureRequest) -> Iterator[tuple[Server, Server]]:
    env: dict[str, str] = {}
    if request.param == "neo4j":
        neo4j = request.getfixturevalue("neo4j_server")
        neo4j.wipe()
        env = neo4j.env()
    with (
        redis_server() as url,
        run_server({**env, "TRACEGRAPH_REDIS_URL": url}, timeout=120) as a,
        run_server({**env, "TRACEGRAPH_REDIS_URL": url}, timeout=120) as b,
    ):
        for server in (a, b):  # on one Neo4j the second finds them there: a payload error, no GraphQL error
            r = httpx.post(f"{server.url}/graphql", headers=AUTH, json={"query": SETUP}, trust_env=False)
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            health = httpx.get(f"{server.url}/health", trust_env=False).json()
            assert health["bus"] == {"name": "redis", "connected": True}, health
        yield a, b


async def test_every_event_reaches_every_subscriber_on_both_instances_once(cluster: tuple[Server, Server]) -> None:
    a, b = cluster
    listeners = [Listener(a), Listener(a), Listener(b)]
    for listener in listeners:
        listener.start()
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=10) as http:
        await warm_up(http, a, b, listeners, "WARM")

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


async def test_racing_writes_on_both_instances_reach_everyone_in_the_stores_commit_order(
    cluster: tuple[Server, Server], request: pytest.FixtureRequest
) -> None:
    """Writes racing on both instances, one Neo4j: every subscriber, on either instance, gets
    every event once and in the order the store committed them (its `events` list), although
    the two instances' messages may reach Redis in another order."""
    if request.node.callspec.params["cluster"] != "neo4j":
        pytest.skip("a commit order across instances needs one store they share")
    a, b = cluster
    listeners = [Listener(a), Listener(b), Listener(b)]
    for listener in listeners:
        listener.start()
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=20) as http:
        await warm_up(http, a, b, listeners, "RACEWARM")

        async def writer(server: Server, name: str) -> list[str]:
            return [await receive(http, server, f"RACE-{name}-{n}") for n in range(25)]

        written = await asyncio.gather(writer(a, "A"), writer(a, "A2"), writer(b, "B"), writer(b, "B2"))
        mine = {e for w in written for e in w}
        race = [i for i in await committed(http, a) if i in mine]
        assert len(race) == 100
        for _ in range(400):
            if all(len(listener.ids("RACE-")) >= len(race) for listener in listeners):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
    for listener in listeners:
        await listener.stop()
        assert listener.ids("RACE-") == race  # all, once each, in the store's commit order


async def test_a_recall_notice_reaches_a_subscriber_on_the_other_instance(cluster: tuple[Server, Server]) -> None:
    """A recall opened on instance A notifies the owner of what it reached; the notice travels
    whole through Redis to a `recallNoticeReceived` subscriber on instance B (with a store each,
    B could not read it back from its own)."""
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
