"""Two server instances on one store (Neo4j adapter, over the FalkorDB Bolt stand-in) and a real
Redis: a key revoked through one is refused by the other at once, although the other had just
cached it (the cache alone would keep accepting it for `CACHE_SECONDS`, 5 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from servers import AUTH, Server, falkordb_bolt, redis_server, run_server
from tracegraph.services.auth import CACHE_SECONDS

pytestmark = pytest.mark.slow

VIEWER = "{ viewer { organizationId role } }"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Server, Server]]:
    with falkordb_bolt() as bolt, redis_server() as redis:
        env = {"TRACEGRAPH_NEO4J_URI": bolt, "TRACEGRAPH_NEO4J_USER": "falkordb",
               "TRACEGRAPH_NEO4J_CONNECTION_TIMEOUT": "2", "TRACEGRAPH_REDIS_URL": redis}
        with run_server(env, timeout=120) as a, run_server(env, timeout=120) as b:
            yield a, b


def graphql(client: httpx.Client, server: Server, query: str, variables: dict[str, Any] | None = None,
            key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else AUTH
    for attempt in range(3):  # the stand-in now and then leaves a fresh connection unanswered
        try:
            return client.post(f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
                               headers=headers)
        except httpx.TimeoutException:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_a_key_revoked_on_one_instance_is_refused_by_the_other_at_once(cluster: tuple[Server, Server]) -> None:
    a, b = cluster
    with httpx.Client(timeout=10, trust_env=False) as client:
        org = graphql(client, a, 'mutation { createOrganization(name: "Revokers") { organization { id } } }'
                      ).json()["data"]["createOrganization"]["organization"]["id"]
        created = graphql(client, a, "mutation($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) "
                          "{ key apiKey { id } errors { message } } }", {"o": org}).json()["data"]["createApiKey"]
        key, key_id = created["key"], created["apiKey"]["id"]
        for server in (a, b):  # both instances know the key, and B has it cached now
            r = graphql(client, server, VIEWER, key=key)
            assert r.status_code == 200 and r.json()["data"]["viewer"] == {"organizationId": org, "role": "VIEWER"}
        revoked = graphql(client, a, "mutation($i: ID!) { revokeApiKey(id: $i) { apiKey { revoked } } }",
                          {"i": key_id}).json()["data"]["revokeApiKey"]
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
