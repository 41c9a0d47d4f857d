"""Pick the store the settings name."""

from __future__ import annotations

from ..config import Settings
from .port import GraphStore


def make_store(settings: Settings) -> GraphStore:
    if settings.neo4j_uri:
        from .neo4j import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
            connection_timeout=settings.neo4j_connection_timeout,
            retry_seconds=settings.neo4j_retry_seconds,
            max_pool_size=settings.neo4j_max_pool_size,
        )
    from .ladybug import LadybugStore

    return LadybugStore(settings.data_dir)
