"""The `store` fixture: every contract test runs once per graph store.

- `ladybug`: the embedded store, in a fresh directory per test; always runs.
- `memory`: the in-memory fake (store/memory.py), a new empty one per test; always runs,
  but for the tests in MEMORY_SKIPS, which need what a memory store has not: a restart on the
  same data, raw Cypher, or a second client of one database.
- `neo4j`: the Neo4j adapter against a real Neo4j 5 (the session's `neo4j_server`,
  tests/conftest.py: TRACEGRAPH_NEO4J_URI's, else a Neo4j 5.26 started as `make neo4j` does);
  each test starts on a wiped graph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from contract_kit import Backend

from tracegraph.store.port import GraphStore

STORES = ["ladybug", "memory", "neo4j"]
# Contract tests that mean nothing on the memory store, by test function, with why.
_NO_CYPHER = "breaks the data behind the port with raw Cypher: the memory store runs no Cypher"
_ONE_PROCESS = (
    "needs a second client of the same database (two server instances): a memory store "
    "is one process's dictionaries, and a second one starts empty"
)
MEMORY_SKIPS = {
    "test_data_survives_a_restart": "a restart on the same data: a memory store keeps nothing once closed",
    "test_dangling_references_and_imbalances": _NO_CYPHER,
    "test_concurrent_writers_never_spend_stock_twice": _ONE_PROCESS,
    "test_concurrent_creates_of_one_id": _ONE_PROCESS,
}


@pytest.fixture(params=STORES)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    kind = request.param
    if kind == "memory":
        reason = MEMORY_SKIPS.get(request.node.originalname)
        if reason:
            pytest.skip(f"memory store: {reason}")
        return Backend(kind)
    if kind == "ladybug":
        return Backend(kind, path=tmp_path / "store")
    server = request.getfixturevalue("neo4j_server")
    server.wipe()
    return Backend(kind, uri=server.uri, auth=server.auth, database=server.database)


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[GraphStore]:
    s = await backend.open()
    try:
        yield s
    finally:
        for left in list(backend.open_stores):  # the one a test's reopen() gave too
            await backend.close(left)
