"""Shared by every test folder. Being here puts `tests/` on `sys.path`, so tests import the
helpers next to it (`from servers import run_server`).

`neo4j_server`: one real Neo4j 5 for the whole session — the server TRACEGRAPH_NEO4J_URI names
(its graph is wiped by the tests: never point it at data you keep), else a Neo4j 5.26
Community started through the same launcher as `make neo4j` (tools/neo4j_server.py) on a free
port with its data in a temporary directory. `neo4j_env` wipes its graph and gives the
TRACEGRAPH_NEO4J_* variables of a server process on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from servers import neo4j_bolt

WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    user: str
    password: str
    database: str | None = None

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    def env(self) -> dict[str, str]:
        """The TRACEGRAPH_NEO4J_* settings of a tracegraph server on it."""
        out = {
            "TRACEGRAPH_NEO4J_URI": self.uri,
            "TRACEGRAPH_NEO4J_USER": self.user,
            "TRACEGRAPH_NEO4J_PASSWORD": self.password,
        }
        if self.database:
            out["TRACEGRAPH_NEO4J_DATABASE"] = self.database
        return out

    def wipe(self) -> None:
        """Every node and relationship deleted (the schema stays: it is applied idempotently)."""
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=self.auth) as driver, driver.session(database=self.database) as s:
            s.run(WIPE).consume()  # an implicit transaction: CALL … IN TRANSACTIONS needs one


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    uri = os.environ.get("TRACEGRAPH_NEO4J_URI")
    if uri:
        yield Neo4jServer(
            uri,
            os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
            os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""),
            os.environ.get("TRACEGRAPH_NEO4J_DATABASE") or None,
        )
        return
    with neo4j_bolt() as server:
        yield Neo4jServer(server.uri, server.user, server.password)


@pytest.fixture
def neo4j_env(neo4j_server: Neo4jServer) -> dict[str, str]:
    """A wiped Neo4j, as the environment of a tracegraph server process on it."""
    neo4j_server.wipe()
    return neo4j_server.env()
