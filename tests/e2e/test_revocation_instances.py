"""Two server instances on one store (real Neo4j) and a real
Redis: a key revoked through one is refused by the other at once, although the other had just
cached it (the cache alone would keep accepting it for `CACHE_SECONDS`, 5 s); the other's open
WebSockets of that key are closed (4403) and get nothing recorded after the revocation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from servers import AUTH, Server, redis_server, run_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tracegraph.services.auth import CACHE_SECONDS

pytestmark = pytest.mark.slow

VIEWER = "{ viewer { organizationId role } }"


@pytest.fixture(scope="module")
def cluster(neo4j_server: Any) -> Iterator[tuple[Server, Server]]:
    neo4j_server.wipe()
    with redis_server() as redis:
        env = {**neo4j_server.env(), "TRACEGRAPH_REDIS_URL": redis}
        with run_server(env, timeout=120) as a, run_server(env, timeout=120) as b:
            yield a, b


def graphql(
    client: httpx.Client, server: Server, query: str, variables: dict[str, Any] | None = None, key: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else AUTH
    for attempt in range(3):  # a slow machine may time one out
        try:
            return client.post(
                f"{server.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        except httpx.TimeoutException:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_a_key_revoked_on_one_instance_is_refused_by_the_other_at_once(cluster: tuple[Server, Server]) -> None:
    a, b = cluster
    with httpx.Client(timeout=10, trust_env=False) as client:
        org = graphql(client, a, 'mutation { createOrganization(name: "Revokers") { organization { id } } }').json()[
            "data"
        ]["createOrganization"]["organization"]["id"]
        created = graphql(
            client,
            a,
            "mutation($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) "
            "{ key apiKey { id } errors { message } } }",
            {"o": org},
        ).json()["data"]["createApiKey"]
        key, key_id = created["key"], created["apiKey"]["id"]
        for server in (a, b):  # both instances know the key, and B has it cached now
            r = graphql(client, server, VIEWER, key=key)
            assert r.status_code == 200 and r.json()["data"]["viewer"] == {"organizationId": org, "role": "VIEWER"}
        revoked = graphql(
            client, a, "mutation($i: ID!) { revokeApiKey(id: $i) { apiKey { revoked } } }", {"i": key_id}
        ).json()["data"]["revokeApiKey"]
        assert revoked == {"apiKey": {"revoked": True}}
        done = time.monotonic()
        assert graphql(client, a, VIEWER, key=key).status_code == 401  # the instance that revoked: at once
        while True:
            r = graphql(client, b, VIEWER, key=key)
            if r.status_code == 401:
                break
            assert time.monotonic() - done < CACHE_SECONDS + 2, "the other instance never refused the key"
            time.sleep(0.02)
        took = time.monotonic() - done
        assert "revoked" in r.json()["error"]
        assert took < 1.5, f"the other instance accepted the revoked key for {took:.2f} s"


@contextmanager
def socket(server: Server, key: str) -> Iterator[ClientConnection]:
    """A WebSocket on `server` authenticated with `key`, subscribed to eventRecorded."""
    with connect(f"ws{server.url[4:]}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { eventRecorded(type: RECEIVE) { id } }"},
                }
            )
        )
        yield ws


def drain(ws: ClientConnection, wait: float) -> int:
    """Messages received until none came for `wait` seconds."""
    n = 0
    while True:
        try:
            ws.recv(timeout=wait)
        except TimeoutError:
            return n
        n += 1


def next_event(ws: ClientConnection) -> str:
    message = json.loads(ws.recv(timeout=10))
    assert message["type"] == "next", message
    return str(message["payload"]["data"]["eventRecorded"]["id"])


def test_a_key_revoked_on_one_instance_closes_its_sockets_on_the_other(cluster: tuple[Server, Server]) -> None:
    a, b = cluster
    with httpx.Client(timeout=10, trust_env=False) as client:

        def data(query: str, variables: dict[str, Any] | None = None, key: str | None = None) -> dict[str, Any]:
            body = graphql(client, a, query, variables, key).json()
            assert "errors" not in body, body
            return body["data"]  # type: ignore[no-any-return]

        org = data('mutation { createOrganization(name: "Socket Revokers") { organization { id } } }')[
            "createOrganization"
        ]["organization"]["id"]
        keys = [
            data(
                "mutation($o: ID!, $r: Role!) { createApiKey(organizationId: $o, role: $r) { key apiKey { id } } }",
                {"o": org, "r": role},
            )["createApiKey"]
            for role in ("OPERATOR", "VIEWER", "VIEWER")
        ]
        operator, revoked, kept = (k["key"] for k in keys)
        for kind in ("Material", "Location"):
            data(
                f'mutation {{ create{kind}(input: {{id: "SR-{kind}", name: "x"}}) {{ errors {{ message }} }} }}',
                key=operator,
            )

        def record(lot: str) -> str:
            event = {
                "type": "RECEIVE",
                "locationId": "SR-Location",
                "outputs": [{"itemId": lot, "quantity": 1}],
                "newItems": [{"id": lot, "materialId": "SR-Material"}],
            }
            answer = data(
                "mutation($e: [EventInput!]!) { recordEvents(input: $e) { events { id } } }", {"e": [event]}, operator
            )
            return str(answer["recordEvents"]["events"][0]["id"])

        with socket(b, revoked) as doomed, socket(b, kept) as other:
            heard = {id(doomed): 0, id(other): 0}
            for n in range(50):  # until both subscriptions listen on B
                record(f"SR-0-{n}")
                for ws in (doomed, other):
                    heard[id(ws)] += drain(ws, 0.2)
                if all(heard.values()):
                    break
            assert all(heard.values()), "the subscriptions never started"
            revoked_at = time.monotonic()
            answer = data(
                "mutation($i: ID!) { revokeApiKey(id: $i) { apiKey { revoked } } }", {"i": keys[1]["apiKey"]["id"]}
            )
            assert answer["revokeApiKey"] == {"apiKey": {"revoked": True}}
            after = record("SR-1")  # through A, after its revocation: the bus keeps their order
            got = []
            with pytest.raises(ConnectionClosed):
                while True:
                    got.append(json.loads(doomed.recv(timeout=5)))
            took = time.monotonic() - revoked_at
            assert got == []
            assert (doomed.close_code, doomed.close_reason) == (4403, "API key revoked")
            assert took < 1.5, f"the other instance's socket stayed open {took:.2f} s"
            assert next_event(other) == after  # the other key's socket on B goes on
