"""Authentication and keys: who a bearer token names, and the mutations of organizations and keys.

A key is shown once, at creation; the store keeps its SHA-256 hash. Lookups are cached for
`CACHE_SECONDS`; a revocation through this service empties the cache at once, and expiry is
checked on every request, so a revoked or expired key is refused from the next request on.
Several server instances: every change that affects authentication (a key revoked, an
organization created or renamed) goes to the `on_change` listeners, which the app sends over
the bus, and every instance `forget`s its cached entries when it arrives (at once with Redis;
`CACHE_SECONDS` remains the bound should a message be lost). Open WebSockets are closed when
their key is revoked or expires (api/wsauth.py), checked again through `refusals`.

With a `TokenVerifier` (an OpenID Connect issuer, `tracegraph.oidc`), a bearer value that is a
JWT is verified by it; its organization claim must name an existing organization by id, its
role claim a role.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain import errors as E
from ..domain.auth import (
    ADMIN,
    ApiKey,
    Principal,
    Right,
    Role,
    Unauthenticated,
    key_hash,
    looks_like_jwt,
    new_key,
    new_key_id,
    principal_from_claims,
)
from ..domain.errors import DomainError, Problem
from ..domain.models import Organization
from ..store.port import KeyStore

log = logging.getLogger("tracegraph.auth")

CACHE_SECONDS = 5.0
ORGANIZATION_CACHE_SECONDS = 60.0  # organizations are never deleted; a change clears it anyway


class TokenVerifier(Protocol):
    """Verifies a JWT (signature, time, issuer, audience, required claims); its claims, or
    Unauthenticated saying what is wrong."""

    organization_claim: str
    role_claim: str
    default_role: Role | None
    leeway: float  # seconds of clock skew allowed past `exp`

    async def verify(self, token: str) -> dict[str, Any]: ...


ChangeListener = Callable[[str, str], Awaitable[None]]  # (kind: "key" | "organization", id)


class Auth:
    def __init__(self, store: KeyStore, admin_key: str | None = None, tokens: TokenVerifier | None = None):
        self.store = store
        self.tokens = tokens
        self._admin_hash = key_hash(admin_key) if admin_key else None
        self._cache: dict[str, tuple[float, ApiKey]] = {}
        self._organizations: dict[str, float] = {}  # organizations known to exist, and since when
        self._generation = 0  # bumped by every forget(): a lookup begun before is not cached
        self._listeners: list[ChangeListener] = []

    def on_change(self, listener: ChangeListener) -> None:
        """Call `listener(kind, id)` after a change that affects authentication."""
        self._listeners.append(listener)

    @property
    def generation(self) -> int:
        """Bumped by every change that affects authentication (here or on another instance): a
        check begun before it may have missed the change."""
        return self._generation

    def forget(self, kind: str = "", id: str = "") -> None:
        """Drop what this instance cached about keys and organizations (a change was made,
        here or on another instance)."""
        self._generation += 1
        self._cache.clear()
        self._organizations.clear()

    async def _changed(self, kind: str, id: str) -> None:
        self.forget(kind, id)
        for listener in self._listeners:
            try:
                await listener(kind, id)
            except Exception:  # noqa: BLE001 - the change is made; other instances fall back on the cache age
                log.exception("announcing an authentication change failed")

    async def first_start_key(self) -> str | None:
        """Without TRACEGRAPH_ADMIN_KEY: when the store holds no admin key yet, create one and
        return it (to be printed once); None otherwise."""
        if self._admin_hash is not None or await self.store.api_keys(None):
            return None
        plain = new_key()
        await self.store.save_api_key(
            ApiKey(
                id=new_key_id(),
                hash=key_hash(plain),
                organization_id=None,
                role=Role.ADMIN,
                name="first-start admin key",
                created_at=datetime.now(UTC),
            )
        )
        return plain

    async def authenticate(self, token: str | None) -> Principal | None:
        """The principal a bearer token names, or None (missing, unknown, revoked, expired)."""
        try:
            return await self.identify(token)
        except Unauthenticated:
            return None

    async def identify(self, token: str | None) -> Principal:
        """The principal a bearer value names: an API key, or a JWT of the configured issuer.
        Unauthenticated says what is wrong."""
        if not token:
            raise Unauthenticated("missing bearer token: send Authorization: Bearer <key>")
        digest = key_hash(token)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return ADMIN
        if looks_like_jwt(token):
            return await self._from_jwt(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            key: ApiKey | None = cached[1]
        else:
            generation = self._generation
            key = await self.store.api_key_by_hash(digest)
            if key is not None and generation == self._generation:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now, key)
        if key is None:
            raise Unauthenticated("invalid API key")
        if key.revoked:
            raise Unauthenticated("the API key was revoked")
        if not key.usable():
            raise Unauthenticated("the API key has expired")
        return Principal(
            organization_id=key.organization_id,
            role=key.role,
            is_admin=key.organization_id is None,
            key_id=key.id,
            expires_at=key.expires_at,
        )

    async def refusal(self, principal: Principal) -> str | None:
        """Why a principal authenticated earlier is no longer accepted (`refusals`), or None."""
        return (await self.refusals([principal])).get(principal)

    async def refusals(self, principals: Iterable[Principal]) -> dict[Principal, str]:
        """Why principals authenticated earlier are no longer accepted, read from the store (not
        the cache), for those that are not: an API key revoked, gone, expired or changed; a JWT's
        organization gone. (A JWT's own expiry is the principal's `expires_at`.) One read per
        organization: its keys."""
        by_organization: dict[str | None, list[Principal]] = {}
        tokens: list[Principal] = []
        for p in set(principals):
            if p.key_id is None:  # TRACEGRAPH_ADMIN_KEY
                continue
            if p.key_id.startswith("jwt:"):
                tokens.append(p)
            else:
                by_organization.setdefault(p.organization_id, []).append(p)
        refused: dict[Principal, str] = {}
        if tokens:
            known = await self.store.get("Organization", sorted({p.organization_id or "" for p in tokens}))
            refused |= {
                p: "the token's organization no longer exists" for p in tokens if (p.organization_id or "") not in known
            }
        now = datetime.now(UTC)
        for organization_id, members in by_organization.items():
            keys = {k.id: k for k in await self.store.api_keys(organization_id)}
            for p in members:
                key = keys.get(p.key_id or "")
                if key is None:
                    refused[p] = "API key unknown"
                elif key.revoked:
                    refused[p] = "API key revoked"
                elif not key.usable(now):
                    refused[p] = "API key expired"
                elif key.role != p.role:
                    refused[p] = "API key changed"
        return refused

    async def _from_jwt(self, token: str) -> Principal:
        if self.tokens is None:
            raise Unauthenticated(
                "a JWT was sent, but no OpenID Connect issuer is configured on this server "
                "(TRACEGRAPH_OIDC_ISSUER): send an API key"
            )
        claims = await self.tokens.verify(token)
        principal = principal_from_claims(
            claims,
            self.tokens.organization_claim,
            self.tokens.role_claim,
            self.tokens.default_role,
            getattr(self.tokens, "leeway", 0.0),
        )
        org = principal.organization_id or ""
        if not await self._organization_exists(org):
            raise Unauthenticated(
                f"unknown organization {org[:80]!r} in the token's "
                f"{self.tokens.organization_claim!r} claim (it must be an organization id)"
            )
        return principal

    async def _organization_exists(self, organization_id: str) -> bool:
        now = time.monotonic()
        since = self._organizations.get(organization_id)
        if since is not None and now - since < ORGANIZATION_CACHE_SECONDS:
            return True
        generation = self._generation
        if not await self.store.get("Organization", [organization_id]):
            return False
        if generation == self._generation:
            if len(self._organizations) > 10_000:
                self._organizations.clear()
            self._organizations[organization_id] = now
        return True

    # -- organizations and keys -------------------------------------------------------------

    async def create_organization(self, principal: Principal, org: Organization) -> Organization:
        if not principal.is_admin:
            raise DomainError(Problem(None, "only the admin key creates organizations", "FORBIDDEN"))
        await self.store.create("Organization", org)
        await self._changed("organization", org.id)
        return org

    async def rename_organization(self, principal: Principal, organization_id: str, name: str) -> Organization:
        principal.require(Right.KEYS, organization_id, field="id")
        if not await self.store.rename_organization(organization_id, name):
            raise DomainError(Problem("id", f"unknown organization {organization_id}", E.NOT_FOUND))
        await self._changed("organization", organization_id)
        return Organization(id=organization_id, name=name)

    async def create_key(
        self,
        principal: Principal,
        organization_id: str,
        role: Role,
        name: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key of an organization: the stored record and the key itself (shown once)."""
        principal.require(Right.KEYS, organization_id, field="organizationId")
        if not await self.store.get("Organization", [organization_id]):
            raise DomainError(Problem("organizationId", f"unknown organization {organization_id}", E.NOT_FOUND))
        if expires_at is not None:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= datetime.now(UTC):
                raise DomainError(Problem("expiresAt", "the expiry must be in the future", E.INVALID))
        if name is not None and len(name) > 200:
            raise DomainError(Problem("name", "a key's name is at most 200 characters", E.TOO_LONG))
        plain = new_key()
        key = ApiKey(
            id=new_key_id(),
            hash=key_hash(plain),
            organization_id=organization_id,
            role=role,
            name=name,
            created_at=datetime.now(UTC).replace(microsecond=0),
            expires_at=expires_at,
        )
        await self.store.save_api_key(key)
        return key, plain

    async def keys(self, principal: Principal, organization_id: str) -> list[ApiKey]:
        principal.require(Right.KEYS, organization_id, field="organizationId")
        return await self.store.api_keys(organization_id)

    async def revoke_key(self, principal: Principal, key_id: str) -> ApiKey:
        key = await self.store.api_key(key_id)
        # A key of another organization is reported as unknown: its id says nothing.
        if key is None or not principal.can(Right.KEYS, key.organization_id or "") and not principal.is_admin:
            raise DomainError(Problem("id", f"unknown key {key_id[:80]}", E.NOT_FOUND))
        await self.store.revoke_api_key(key_id)
        await self._changed("key", key_id)
        return key.model_copy(update={"revoked": True})
