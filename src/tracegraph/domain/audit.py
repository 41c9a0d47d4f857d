"""The audit log: who ran which trace, recall, export or mutation, when, with which key.
Append-only: entries are never changed or deleted."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

MAX_DETAIL = 600  # characters of detail kept per entry
REDACTED = "[redacted]"
# Argument names (lower case, `_` and `-` left out) whose values are secrets: never written.
_SECRET_NAMES = frozenset(
    {"key", "apikey", "token", "password", "passphrase", "secret", "credential", "credentials", "authorization"}
)
_SECRET_ENDINGS = ("apikey", "token", "password", "passphrase", "secret", "privatekey", "credentials")


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # sorts by time
    at: datetime
    key_id: str | None  # None: the admin key given by TRACEGRAPH_ADMIN_KEY
    organization_id: str | None  # the caller's organization; None: the server's admin
    action: str  # e.g. "mutation:createApiKey", "query:trace", "export:trace", "epcis:capture"
    detail: str = ""  # JSON: the arguments, cut at MAX_DETAIL characters


def is_secret(name: str) -> bool:
    """True for an argument (or input field) named as a secret: `password`, `apiKey`,
    `accessToken`, `clientSecret`, `key`... (`keyId`, `keys` and `tokenCount` are not)."""
    n = name.lower().replace("_", "").replace("-", "")
    return n in _SECRET_NAMES or n.endswith(_SECRET_ENDINGS)


def redacted(detail: Any) -> Any:
    """The detail with the value of every secret-named key replaced by `[redacted]`, at any depth."""
    if isinstance(detail, dict):
        return {k: (REDACTED if is_secret(str(k)) else redacted(v)) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [redacted(v) for v in detail]
    return detail


def entry(key_id: str | None, organization_id: str | None, action: str, detail: Any = None) -> AuditEntry:
    """An entry; secrets in the detail (by their names, see `is_secret`) are redacted."""
    at = datetime.now(UTC)
    text = "" if detail is None else json.dumps(redacted(detail), default=str, separators=(",", ":"), sort_keys=True)
    return AuditEntry(
        id=f"{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
        at=at,
        key_id=key_id,
        organization_id=organization_id,
        action=action[:200],
        detail=text[:MAX_DETAIL],
    )


# -- export ----------------------------------------------------------------------------------

COLUMNS = ("id", "at", "keyId", "organizationId", "action", "detail")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell starting so


def record(e: AuditEntry) -> dict[str, str | None]:
    """An entry as the export writes it (camelCase, as GraphQL's `auditLog` names it)."""
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "keyId": e.key_id,
        "organizationId": e.organization_id,
        "action": e.action,
        "detail": e.detail,
    }


def csv_cells(e: AuditEntry) -> list[str]:
    """A CSV row; a text that a spreadsheet would read as a formula is quoted with a leading `'`."""
    return [("'" + v if v.startswith(_FORMULA) else v) for v in (record(e)[c] or "" for c in COLUMNS)]


def id_at(at: datetime) -> str:
    """The smallest id an entry made at `at` (UTC) or later may have: ids sort by time."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%f}"
