"""Neo4j killed and started again under a stream of writes: while it is down every request
answers quickly — GraphQL with an UNAVAILABLE error on a 503 with Retry-After, /health 503 —
never a hang or a 500; once it is back the same server serves again by itself; every event
acknowledged is there, and events sent again after a failure are recorded once."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from servers import AUTH, ROOT, free_port, run_server

pytestmark = pytest.mark.slow

RECEIVE = (
    'mutation($id: String!, $lot: String!) { receive(input: {id: $id, locationId: "WH", '
    'newItems: [{id: $lot, materialId: "FLOUR"}], outputs: [{itemId: $lot, quantity: 1}]}) '
    "{ event { id } duplicate errors { code message } } }"
)
SETUP = (
    'mutation { createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { code } } '
    'createLocation(input: {id: "WH", name: "Store"}) { errors { code } } }'
)


def _receive(client: httpx.Client, url: str, n: int) -> httpx.Response:
    return client.post(url, json={"query": RECEIVE, "variables": {"id": f"fault-{n:04d}", "lot": f"FL-{n:04d}"}})


def test_neo4j_down_and_back_loses_nothing_and_records_nothing_twice() -> None:
    if not (shutil.which("java") and shutil.which("mvn")):
        pytest.skip("no Java 17 and Maven to run a real Neo4j")
    sys.path.insert(0, str(ROOT / "tools"))
    from neo4j_server import neo4j_server

    with tempfile.TemporaryDirectory(prefix="neo4j-faults-") as tmp:
        home, port = Path(tmp), free_port()
        neo4j = neo4j_server(home, port, "faults-test", heap="512m", pagecache="64m")
        first = neo4j.__enter__()
        env = {
            "TRACEGRAPH_NEO4J_URI": first.uri,
            "TRACEGRAPH_NEO4J_USER": "neo4j",
            "TRACEGRAPH_NEO4J_PASSWORD": "faults-test",
            "TRACEGRAPH_NEO4J_RETRY_SECONDS": "2",
            "TRACEGRAPH_NEO4J_CONNECTION_TIMEOUT": "2",
        }
        try:
            with run_server(env, timeout=120) as server, httpx.Client(headers=AUTH, timeout=30, trust_env=False) as c:
                url = f"{server.url}/graphql"
                assert "errors" not in c.post(url, json={"query": SETUP}).json()
                acknowledged: set[str] = set()
                failed: set[int] = set()
                for n in range(20):  # up: every write acknowledged
                    body = _receive(c, url, n).json()
                    assert body["data"]["receive"]["errors"] == [], body
                    acknowledged.add(body["data"]["receive"]["event"]["id"])

                os.killpg(first.process.pid, signal.SIGKILL)  # Neo4j dies at once: no shutdown
                first.process.wait(30)
                down_answers = []
                for n in range(20, 30):
                    started = time.monotonic()
                    r = _receive(c, url, n)
                    down_answers.append((r.status_code, time.monotonic() - started))
                    assert r.status_code == 503, r.text
                    assert r.headers.get("retry-after"), r.headers
                    assert r.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE", r.text
                    failed.add(n)
                assert max(s for _, s in down_answers) < 15, down_answers  # no hang
                health = c.get(f"{server.url}/health")
                assert health.status_code == 503 and health.json()["store"] == "neo4j"

                neo4j.__exit__(None, None, None)
                neo4j = neo4j_server(home, port, "faults-test", heap="512m", pagecache="64m")
                neo4j.__enter__()  # the same data, the same port
                deadline = time.monotonic() + 60
                while c.get(f"{server.url}/health").status_code != 200:  # the server resumes by itself
                    assert time.monotonic() < deadline, server.log()[-3000:]
                    time.sleep(0.5)
                for n in sorted(failed) + [0, 5]:  # what failed, and two already acknowledged, again
                    body = _receive(c, url, n).json()
                    assert body["data"]["receive"]["errors"] == [], body
                    acknowledged.add(body["data"]["receive"]["event"]["id"])
                events = c.post(url, json={"query": "{ events(first: 100) { edges { node { id } } } }"}).json()
                ids = [e["node"]["id"] for e in events["data"]["events"]["edges"]]
                assert sorted(ids) == sorted(acknowledged) == [f"fault-{n:04d}" for n in range(30)]
                check = c.post(url, json={"query": "{ check { ok eventCount } }"}).json()["data"]["check"]
                assert check == {"ok": True, "eventCount": 30}
        finally:
            neo4j.__exit__(None, None, None)
