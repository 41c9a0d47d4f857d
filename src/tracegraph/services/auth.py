"""Authentication and keys: who a bearer token names, and the mutations of organizations and keys.

A key is shown once, at creation; the store keeps its SHA-256 hash. Lookups are cached for
`CACHE_SECONDS`; a revocation through this service empties the cache at once, and expiry is
checked on every request, so a revoked or expired key is refused from the next request on.
(Several server instances: a key revoked on one is refused by the others within
`CACHE_SECONDS`.)
"""

from __future__ import annotations

import hmac
import logging
import time
from datetime import UTC, datetime

from ..domain import errors as E
from ..domain.auth import ADMIN, ApiKey, Principal, Right, Role, key_hash, new_key, new_key_id
from ..domain.errors import DomainError, Problem
from ..domain.models import Organization
from ..store.port import GraphStore

log = logging.getLogger("tracegraph.auth")

CACHE_SECONDS = 5.0


class Auth:
    def __init__(self, store: GraphStore, admin_key: str | None = None):
        self.store = store
        self._admin_hash = key_hash(admin_key) if admin_key else None
        self._cache: dict[str, tuple[float, ApiKey]] = {}

    async def first_start_key(self) -> str | None:
        """Without TRACEGRAPH_ADMIN_KEY: when the store holds no admin key yet, create one and
        return it (to be printed once); None otherwise."""
        if self._admin_hash is not None or await self.store.api_keys(None):
            return None
        plain = new_key()
        await self.store.save_api_key(ApiKey(id=new_key_id(), hash=key_hash(plain), organization_id=None,
                                             role=Role.ADMIN, name="first-start admin key",
                                             created_at=datetime.now(UTC)))
        return plain

    async def authenticate(self, token: str | None) -> Principal | None:
        """The principal a bearer token names, or None (missing, unknown, revoked, expired)."""
        if not token:
            return None
        digest = key_hash(token)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return ADMIN
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            key: ApiKey | None = cached[1]
        else:
            key = await self.store.api_key_by_hash(digest)
            if key is not None:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now, key)
        if key is None or not key.usable():
            return None
        return Principal(organization_id=key.organization_id, role=key.role,
                         is_admin=key.organization_id is None, key_id=key.id)

    # -- organizations and keys -------------------------------------------------------------

    async def create_organization(self, principal: Principal, org: Organization) -> Organization:
        if not principal.is_admin:
            raise DomainError(Problem(None, "only the admin key creates organizations", "FORBIDDEN"))
        await self.store.create("Organization", org)
        return org

    async def rename_organization(self, principal: Principal, organization_id: str, name: str) -> Organization:
        principal.require(Right.KEYS, organization_id, field="id")
        if not await self.store.rename_organization(organization_id, name):
            raise DomainError(Problem("id", f"unknown organization {organization_id}", E.NOT_FOUND))
        return Organization(id=organization_id, name=name)

    async def create_key(self, principal: Principal, organization_id: str, role: Role, name: str | None = None,
                         expires_at: datetime | None = None) -> tuple[ApiKey, str]:
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
        key = ApiKey(id=new_key_id(), hash=key_hash(plain), organization_id=organization_id, role=role, name=name,
                     created_at=datetime.now(UTC).replace(microsecond=0), expires_at=expires_at)
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
        self._cache.clear()
        return key.model_copy(update={"revoked": True})
