"""Acknowledged events survive a crash (kill -9) and a graceful stop, and the ledger checks out."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from servers import AUTH, ROOT, Server, run_server

pytestmark = pytest.mark.slow

SETUP = """
mutation {
  createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
  createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
}
"""
RECEIVE = """
mutation($id: String!, $lot: String!) {
  receive(input: {id: $id, locationId: "WH", newItems: [{id: $lot, materialId: "FLOUR"}],
                  outputs: [{itemId: $lot, quantity: 25}]}) {
    event { id }
    errors { field message code }
  }
}
"""
EVENTS_PAGE = """
query($first: Int!, $after: String) {
  events(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}
"""


def _post(client: httpx.Client, url: str, query: str, variables: dict | None = None) -> dict:
    response = client.post(f"{url}/graphql", json={"query": query, "variables": variables or {}})
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _stream(server: Server, stop: threading.Event, acked: list[str]) -> None:
    """Record receipts one after another until the server goes away; keep the acknowledged ids."""
    with httpx.Client(headers=AUTH, timeout=5.0, trust_env=False) as client:
        n = 0
        while not stop.is_set():
            event_id = f"ev-{n}"
            try:
                data = _post(client, server.url, RECEIVE, {"id": event_id, "lot": f"LOT-{n}"})
            except (httpx.TransportError, httpx.HTTPStatusError):
                return
            payload = data["receive"]
            assert payload["errors"] == [], payload
            acked.append(payload["event"]["id"])
            n += 1


def _recorded_ids(url: str) -> set[str]:
    ids: set[str] = set()
    after = None
    with httpx.Client(headers=AUTH, timeout=10.0, trust_env=False) as client:
        while True:
            page = _post(client, url, EVENTS_PAGE, {"first": 1000, "after": after})["events"]
            ids |= {edge["node"]["id"] for edge in page["edges"]}
            if not page["pageInfo"]["hasNextPage"]:
                return ids
            after = page["pageInfo"]["endCursor"]


def _check(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAPH_")}
    env["TRACEGRAPH_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "tracegraph.cli", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("stop_how", ["kill9", "sigterm"])
def test_acknowledged_events_survive(tmp_path: Path, stop_how: str) -> None:
    data_dir = tmp_path / "data"
    acked: list[str] = []
    with run_server(data_dir=data_dir) as server:
        with httpx.Client(headers=AUTH, timeout=10.0, trust_env=False) as client:
            _post(client, server.url, SETUP)
        stop = threading.Event()
        writer = threading.Thread(target=_stream, args=(server, stop, acked))
        writer.start()
        deadline = time.monotonic() + 30
        while len(acked) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Stop the server while mutations are in flight.
        if stop_how == "kill9":
            server.kill9()
        else:
            server.terminate()
        stop.set()
        writer.join(timeout=30)
    assert len(acked) >= 150, "the server acknowledged too few mutations to test anything"

    with run_server(data_dir=data_dir) as server:
        recorded = _recorded_ids(server.url)
        missing = [event_id for event_id in acked if event_id not in recorded]
        assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
        # Nothing half-written either: every recorded receipt is whole (its lot has its stock).
        with httpx.Client(headers=AUTH, timeout=10.0, trust_env=False) as client:
            data = _post(
                client,
                server.url,
                '{ stock(locationId: "WH", includeVirtual: false, first: 1000) { edges { node { quantity } } } }',
            )
        quantities = [edge["node"]["quantity"] for edge in data["stock"]["edges"]]
        assert len(quantities) == len(recorded) or len(recorded) > 1000
        assert all(q == 25 for q in quantities)
        server.terminate()

    result = _check(data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check ok" in result.stdout
