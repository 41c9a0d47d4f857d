"""Settings, read once from the environment (prefix TRACEGRAPH_)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACEGRAPH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path(".tracegraph-data")
    demo: bool = True  # load the demo data on the first start with an empty data directory
    log_level: str = "info"

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str | None = None
    neo4j_connection_timeout: float = Field(30.0, gt=0)  # seconds to open a Bolt connection

    redis_url: str | None = None  # the bus between server instances; in-process when unset
    # permessage-deflate on WebSockets: less bandwidth, but it compresses every message for every
    # subscriber, which costs more CPU than the rest of a delivery (bench/subscriptions.py).
    ws_compression: bool = False
    subscriber_queue: int = Field(default=10_000, ge=1)  # messages waiting per subscriber, at most
    admin_key: str | None = None  # a key with every right over every organization; unset: one made at first start
    # Requests per second per organization key (a token bucket of `rate_burst`); 0: no limit.
    # The admin key is never limited.
    rate_limit: float = Field(default=0.0, ge=0)
    rate_burst: int = Field(default=50, ge=1)
    # The estimated cost of a GraphQL operation (api/cost.py) beyond which it is refused; 0: no limit.
    max_query_cost: int = Field(default=50_000, ge=0)
    # WebSocket operations in flight at once, per connection and per key (on this instance).
    ws_max_operations: int = Field(default=100, ge=1)
    ws_max_operations_per_key: int = Field(default=1_000, ge=1)
    introspection: bool = True  # GraphQL introspection (and so GraphiQL's docs); turn off in production

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Events per recordEvents batch; more: refused whole (BATCH_TOO_LARGE) before any is read.
    max_batch_events: int = Field(default=10_000, ge=1, le=10_000)
    epcis_max_events: int = Field(default=10_000, ge=1, le=10_000)  # per EPCIS capture; more: 413

    @property
    def store_name(self) -> str:
        return "neo4j" if self.neo4j_uri else "ladybug"


@cache
def settings() -> Settings:
    return Settings()
