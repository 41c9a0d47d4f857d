"""What the benchmarks share to run on Neo4j besides Ladybug: the server to measure, named by
TRACEGRAPH_NEO4J_URI, _USER and _PASSWORD (`make neo4j` serves one), and how its graph is
wiped before each measurement (everything in it is deleted: never point these at a Neo4j
whose data matters)."""

from __future__ import annotations

import os


def neo4j_env(enabled: bool) -> dict[str, str] | None:
    """With --neo4j (`enabled`): the TRACEGRAPH_NEO4J_* of the server to measure (its graph is wiped)."""
    if not enabled:
        return None
    uri = os.environ.get("TRACEGRAPH_NEO4J_URI")
    if not uri:
        raise SystemExit("--neo4j needs TRACEGRAPH_NEO4J_URI (and _USER, _PASSWORD): `make neo4j` serves one")
    return {
        "TRACEGRAPH_NEO4J_URI": uri,
        "TRACEGRAPH_NEO4J_USER": os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
        "TRACEGRAPH_NEO4J_PASSWORD": os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""),
    }


def neo4j_auth(env: dict[str, str]) -> tuple[str, str]:
    return env["TRACEGRAPH_NEO4J_USER"], env["TRACEGRAPH_NEO4J_PASSWORD"]


def wipe_neo4j(env: dict[str, str]) -> None:
    """Every node and relationship of the Neo4j of `env` deleted, in batches (its constraints
    and indexes stay: the store applies them again, `IF NOT EXISTS`, when it opens)."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(env["TRACEGRAPH_NEO4J_URI"], auth=neo4j_auth(env)) as driver, driver.session() as s:
        # Relationships first: a node with a million of them (a location every lot is at) would
        # be one transaction too large for the server's memory pool.
        s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
        s.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
