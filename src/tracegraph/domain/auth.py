"""Who calls, and what each role may do: API keys, principals, rights. Pure Python, no I/O."""

from __future__ import annotations

import hashlib
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
    """The caller: its organization and role, or the server's admin (`is_admin`)."""

    organization_id: str | None
    role: Role
    is_admin: bool = False
    key_id: str | None = None

    def can(self, right: Right, organization_id: str | None = None) -> bool:
        """Whether the caller holds `right` (over `organization_id`, when one is named)."""
        if self.is_admin:
            return True
        if organization_id is not None and organization_id != self.organization_id:
            return False
        return right in RIGHTS[self.role]

    def require(self, right: Right, organization_id: str | None = None, field: str | None = None) -> None:
        if not self.can(right, organization_id):
            raise DomainError(Problem(field, f"a key with role {self.role.value} may not do this"
                                      + (" for that organization" if organization_id else ""), FORBIDDEN))


ADMIN = Principal(organization_id=None, role=Role.ADMIN, is_admin=True)


def new_key() -> str:
    """A fresh key: shown once, never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    return f"key-{uuid.uuid4().hex[:16]}"


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


__all__ = ["ADMIN", "ApiKey", "Share", "ShareScope", "FORBIDDEN", "Principal", "Right", "Role", "bearer", "key_hash", "new_key",
           "new_key_id", "E"]
