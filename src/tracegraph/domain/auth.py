"""Who calls, and what each role may do: API keys, principals, rights. Pure Python, no I/O."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict

from . import errors as E
from .errors import DomainError, Problem

KEY_PREFIX = "tg_"
FORBIDDEN = "FORBIDDEN"


class Role(str, Enum):
    ADMIN = "ADMIN"  # everything in its organization
    QUALITY = "QUALITY"  # recalls, holds, exports, and reads
    OPERATOR = "OPERATOR"  # records events and master data, and reads
    PARTNER = "PARTNER"  # records its own events, sees what is shared with it
    VIEWER = "VIEWER"  # reads


class Right(str, Enum):
    READ = "READ"
    RECORD = "RECORD"  # record events
    MASTER_DATA = "MASTER_DATA"  # materials, locations, orders
    HOLD = "HOLD"  # change statuses (a hold)
    RECALL = "RECALL"  # open and run recalls
    EXPORT = "EXPORT"  # FSMA / EPCIS / spreadsheet exports
    SHARE = "SHARE"  # share items with another organization
    KEYS = "KEYS"  # create, list, revoke keys; rename the organization


RIGHTS: dict[Role, frozenset[Right]] = {
    Role.ADMIN: frozenset(Right),
    Role.QUALITY: frozenset({Right.READ, Right.HOLD, Right.RECALL, Right.EXPORT, Right.SHARE}),
    Role.OPERATOR: frozenset({Right.READ, Right.RECORD, Right.MASTER_DATA, Right.HOLD}),
    Role.PARTNER: frozenset({Right.READ, Right.RECORD}),
    Role.VIEWER: frozenset({Right.READ}),
}


class ApiKey(BaseModel):
    """A stored key: never the key itself, only its SHA-256 hash. `organization_id` None is the
    admin key of the whole server (every right over every organization)."""

    model_config = ConfigDict(frozen=True)

    id: str
    hash: str
    organization_id: str | None
    role: Role
    name: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False

    def usable(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


class ShareScope(str, Enum):
    ITEM = "ITEM"  # the item alone
    UPSTREAM = "UPSTREAM"  # the item and everything it came from
    DOWNSTREAM = "DOWNSTREAM"  # the item and everything made from it


class Share(BaseModel):
    """An item shared by its owner with another organization. One per (item, organization,
    scope): sharing again replaces it."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    organization_id: str  # shared with
    scope: ShareScope = ShareScope.ITEM
    shared_by: str | None = None  # the organization that shared it
    created_at: datetime

    @property
    def id(self) -> str:
        return f"{self.item_id} {self.organization_id} {self.scope.value}"


@dataclass(frozen=True)
class Principal:
    """The caller: its organization and role, or the server's admin (`is_admin`); the id of the
    key it used (`jwt:<iss>#<sub>` for a JWT; None for TRACEGRAPH_ADMIN_KEY) and when that key or
    token stops being accepted (None: never), which ends its open WebSockets."""

    organization_id: str | None
    role: Role
    is_admin: bool = False
    key_id: str | None = None
    expires_at: datetime | None = None

    def can(self, right: Right, organization_id: str | None = None) -> bool:
        """Whether the caller holds `right` (over `organization_id`, when one is named)."""
        if self.is_admin:
            return True
        if organization_id is not None and organization_id != self.organization_id:
            return False
        return right in RIGHTS[self.role]

    def require(self, right: Right, organization_id: str | None = None, field: str | None = None) -> None:
        if not self.can(right, organization_id):
            raise DomainError(
                Problem(
                    field,
                    f"a key with role {self.role.value} may not do this"
                    + (" for that organization" if organization_id else ""),
                    FORBIDDEN,
                )
            )


ADMIN = Principal(organization_id=None, role=Role.ADMIN, is_admin=True)


def new_key() -> str:
    """A fresh key: shown once, never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    return f"key-{uuid.uuid4().hex[:16]}"


class Unauthenticated(Exception):
    """A bearer token was refused; the message says why, readably, without revealing secrets."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer value has the form of a JWS compact JWT (three base64url parts; the
    header starts `eyJ`, a JSON object). API keys (`tg_…`) never do."""
    return token.startswith("eyJ") and token.count(".") == 2


def role_of(value: object) -> Role:
    """The role a token's role claim names (case-insensitive), or Unauthenticated."""
    if isinstance(value, str):
        try:
            return Role(value.strip().upper())
        except ValueError:
            pass
    shown = value if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise Unauthenticated(
        f"the token's role claim names no role of tracegraph ({shown!r}); known: {', '.join(r.value for r in Role)}"
    )


def principal_from_claims(
    claims: dict[str, object], organization_claim: str, role_claim: str, default_role: Role | None, leeway: float = 0.0
) -> Principal:
    """The principal of a verified JWT: its organization (by id) and role from the named claims,
    and `jwt:<iss>#<sub>` as its key id (audit, rate limits). Never the server's admin. A
    missing role claim takes `default_role` (None: refused); an unknown one is refused. It
    expires when the token stops being accepted: `exp` plus the `leeway` allowed for clock skew."""
    org = claims.get(organization_claim)
    if org is None:
        raise Unauthenticated(f"the token has no {organization_claim!r} claim naming the organization")
    if not isinstance(org, str) or not org or len(org) > 200:
        raise Unauthenticated(f"the token's {organization_claim!r} claim is not an organization id (a string)")
    raw_role = claims.get(role_claim)
    if raw_role is None:
        if default_role is None:
            raise Unauthenticated(f"the token has no {role_claim!r} claim naming its role")
        role = default_role
    else:
        role = role_of(raw_role)
    sub = claims.get("sub")
    subject = sub if isinstance(sub, str) and sub else "?"
    exp = claims.get("exp")
    expires_at = None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires_at = datetime.fromtimestamp(float(exp) + leeway, UTC)
        except (OverflowError, OSError, ValueError):  # past the year 9999: never, in effect
            expires_at = None
    return Principal(
        organization_id=org,
        role=role,
        is_admin=False,
        key_id=f"jwt:{claims.get('iss')}#{subject}",
        expires_at=expires_at,
    )


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


__all__ = [
    "ADMIN",
    "ApiKey",
    "Share",
    "ShareScope",
    "FORBIDDEN",
    "Principal",
    "Right",
    "Role",
    "Unauthenticated",
    "bearer",
    "key_hash",
    "looks_like_jwt",
    "new_key",
    "new_key_id",
    "principal_from_claims",
    "role_of",
    "E",
]


def new_organization_id(name: str) -> str:
    """A new organization's identifier: a slug of its name and a short random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", name[:80].lower()).strip("-")[:40].strip("-") or "org"
    return f"{slug}-{uuid.uuid4().hex[:8]}"
