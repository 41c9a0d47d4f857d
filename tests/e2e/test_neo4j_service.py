"""The whole service on real Neo4j: `tracegraph serve` against Neo4j 5.26 loads the demo,
answers the same trace and stock as on the embedded store, and `tracegraph check` finds the
ledger sound."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from servers import AUTH, ROOT, run_server

pytestmark = pytest.mark.slow

QUERY = """
query {
  trace(id: "LOT-FLOUR-0001", direction: FORWARD) { items { id } }
  stock(first: 200) { edges { node { itemId locationId quantity } } }
  events(first: 100) { edges { node { id type } } pageInfo { hasNextPage } }
}
"""


def _answers(env: dict[str, str]) -> dict:
    with (
        run_server(env={"TRACEGRAPH_DEMO": "1", **env}, timeout=120) as server,
        httpx.Client(headers=AUTH, timeout=10, trust_env=False) as client,
    ):
        body = client.post(f"{server.url}/graphql", json={"query": QUERY}).json()
        health = client.get(f"{server.url}/health").json()
    assert "errors" not in body, body
    assert health["status"] == "ok", health
    return body["data"]


def test_demo_on_neo4j_matches_the_embedded_store(neo4j_env: dict[str, str]) -> None:
    on_neo4j = _answers(neo4j_env)
    on_ladybug = _answers({})
    assert on_neo4j["events"] == on_ladybug["events"]  # the same events, in the same order
    assert len(on_neo4j["events"]["edges"]) > 50
    assert sorted(i["id"] for i in on_neo4j["trace"]["items"]) == sorted(i["id"] for i in on_ladybug["trace"]["items"])
    assert len(on_neo4j["trace"]["items"]) > 5

    def stock(data: dict) -> dict:
        return {
            (n["node"]["itemId"], n["node"]["locationId"]): round(n["node"]["quantity"], 6)
            for n in data["stock"]["edges"]
        }

    assert stock(on_neo4j) == stock(on_ladybug)

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAPH_")} | neo4j_env
    check = subprocess.run(
        [sys.executable, "-m", "tracegraph.cli", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "check ok" in check.stdout, check.stdout
