"""Settings, read once from the environment (prefix TRACEGRAPH_)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator
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
    neo4j_connection_timeout: float = Field(default=30.0, gt=0)  # seconds to open a Bolt connection
    # Seconds the driver retries a transaction on transient errors (a leader switch, a lock)
    # and a lost server, before the request answers 503 UNAVAILABLE.
    neo4j_retry_seconds: float = Field(default=5.0, ge=0)
    neo4j_max_pool_size: int = Field(default=100, ge=1)  # Bolt connections per server instance

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

    # OpenID Connect: JWT bearer tokens from this issuer are accepted besides API keys (unset: keys only).
    oidc_issuer: str | None = None  # the `iss` tokens must carry, e.g. https://login.example.com/realms/acme
    oidc_jwks_url: str | None = None  # unset: `jwks_uri` of <issuer>/.well-known/openid-configuration
    oidc_audience: str | None = None  # the `aud` tokens must carry (comma-separated: any of them); required
    oidc_organization_claim: str = "org"  # the claim holding the caller's organization id
    oidc_role_claim: str = "role"  # the claim holding the caller's role (ADMIN, QUALITY, ...)
    oidc_default_role: str = "VIEWER"  # the role of a token without the role claim; "": such tokens are refused
    oidc_algorithms: str = "RS256"  # comma-separated; asymmetric only (RS*, PS*, ES*, EdDSA)
    oidc_required_claims: str = "exp,iat,sub"  # besides iss, aud and the organization claim
    oidc_leeway: float = Field(default=30.0, ge=0, le=300)  # seconds of clock skew allowed for exp, nbf, iat
    oidc_timeout: float = Field(default=5.0, gt=0, le=60)  # seconds for one fetch from the issuer
    oidc_refresh_interval: float = Field(default=30.0, ge=0)  # least seconds between two JWKS fetches
    oidc_jwks_max_age: float = Field(default=3600.0, gt=0)  # keys older than this are fetched again

    # Seconds between two checks for lots crossing into their warning period or expiring
    # (the lotsNearingExpiry subscription); 0: no checks on this instance.
    expiry_check_seconds: float = Field(default=300.0, ge=0)
    # Labels (http/labels.py): the resolver domain of GS1 Digital Link URIs (GS1's, or a company's
    # own resolver), and the address users reach this server at (a project URI of an item without
    # GS1 keys is `{public_url}/items/{id}`); unset: http://{host}:{port}.
    digital_link_base: str = "https://id.gs1.org"
    public_url: str | None = None

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Events per recordEvents batch; more: refused whole (BATCH_TOO_LARGE) before any is read.
    max_batch_events: int = Field(default=10_000, ge=1, le=10_000)
    epcis_max_events: int = Field(default=10_000, ge=1, le=10_000)  # per EPCIS capture; more: 413

    @model_validator(mode="after")
    def _urls(self) -> Settings:
        for name in ("digital_link_base", "public_url"):
            value = getattr(self, name)
            if value is None:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise ValueError(
                    f"TRACEGRAPH_{name.upper()}: {value[:80]!r} is not an http(s) address without query "
                    "(e.g. https://id.gs1.org, https://trace.example.com)"
                )
            setattr(self, name, value.rstrip("/"))
        return self

    @property
    def public_base(self) -> str:
        """The address users reach this server at: TRACEGRAPH_PUBLIC_URL, else http://{host}:{port}."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @model_validator(mode="after")
    def _oidc(self) -> Settings:
        if not self.oidc_issuer:
            return self
        if not self.oidc_audience_list:
            raise ValueError(
                "TRACEGRAPH_OIDC_AUDIENCE is required with TRACEGRAPH_OIDC_ISSUER: the audience "
                "tokens must be issued for (this API's client id or resource)"
            )
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES256K", "ES384", "ES512", "EdDSA"}
        bad = [a for a in self.oidc_algorithm_list if a not in allowed]
        if bad or not self.oidc_algorithm_list:
            raise ValueError(
                f"TRACEGRAPH_OIDC_ALGORITHMS: {', '.join(bad) or 'none given'}; allowed: {', '.join(sorted(allowed))}"
            )
        if self.oidc_default_role.strip() and self.oidc_default_role.strip().upper() not in (
            "ADMIN",
            "QUALITY",
            "OPERATOR",
            "PARTNER",
            "VIEWER",
        ):
            raise ValueError(
                f"TRACEGRAPH_OIDC_DEFAULT_ROLE: {self.oidc_default_role!r} is no role "
                "(ADMIN, QUALITY, OPERATOR, PARTNER, VIEWER, or empty)"
            )
        return self

    @property
    def oidc_audience_list(self) -> list[str]:
        return _split(self.oidc_audience)

    @property
    def oidc_algorithm_list(self) -> list[str]:
        return _split(self.oidc_algorithms)

    @property
    def oidc_required_claim_list(self) -> list[str]:
        return _split(self.oidc_required_claims)

    @property
    def store_name(self) -> str:
        return "neo4j" if self.neo4j_uri else "ladybug"


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@cache
def settings() -> Settings:
    return Settings()
