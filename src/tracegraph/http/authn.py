"""Authentication of every HTTP request but GET /health: `Authorization: Bearer <key>`.

Open without a key, since they hold no data: GET /health, the dashboard page (GET /dashboard)
and its static assets (/static/...), the GraphiQL page (GET /graphql asking for HTML,
without a query), and a label or item page a browser asks for without an Authorization header
(http/labels.py: it gets a page that sends the key, as the dashboard does). Everything else
without a valid key gets 401 with `WWW-Authenticate: Bearer`.
The REST doors also need a right of the key's role (403 otherwise): exports EXPORT, EPCIS
capture RECORD. WebSockets authenticate in `connection_init` (api/__init__.py).
"""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.auth import Principal, Unauthenticated, bearer
from ..domain.rights import Operation, allowed, refusal
from ..services.auth import Auth
from ..services.session import Session
from .label_pages import is_page

PRINCIPAL = "tracegraph.principal"  # the scope key the principal is kept under


async def audit(session: Session, action: str, detail: Any = None) -> None:
    """Append to the audit log what the caller of a REST door did; a failure is logged, the
    answer is not lost for it."""
    try:
        await session.audit(action, detail)
    except Exception:  # noqa: BLE001
        logging.getLogger("tracegraph.audit").exception("audit entry not written")


def principal_of(scope: object) -> Principal:
    """The principal of an authenticated request (a Starlette Request, WebSocket or scope)."""
    s = getattr(scope, "scope", scope)
    p = s.get(PRINCIPAL) if isinstance(s, dict) else None
    if not isinstance(p, Principal):
        raise PermissionError("request is not authenticated")
    return p


# Pages that hold no data (their scripts ask /graphql with the key): the dashboard, the recall workbench.
_PAGES = frozenset({"/dashboard", "/recall"})


def _open(method: str, path: str, scope: Scope) -> bool:
    if path == "/health" or path.startswith("/static/") or (path in _PAGES and method in ("GET", "HEAD")):
        return True
    if method in ("GET", "HEAD") and is_page(path):
        # A browser opening a label sheet or a scanned label sends no key: it gets a page holding
        # no data, whose script asks again with the key (http/labels.py). A request with an
        # Authorization header is authenticated as any other.
        headers = dict(scope.get("headers", []))
        return b"authorization" not in headers and b"text/html" in headers.get(b"accept", b"")
    if path == "/graphql" and method == "GET":
        accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
        return "text/html" in accept and "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return False


# Doors whose answers are not yet filtered by partner visibility: the server's admin key only.
# (None now: the recall exports answer what the caller may see of a recall.)
_NOT_FILTERED: tuple[str, ...] = ()


def _operation(method: str, path: str) -> Operation:
    """The operation a REST door is (domain/rights.py); the service checks it again."""
    if path.startswith("/exports/audit"):
        return Operation.READ  # the service decides: the KEYS right over the organization read
    if path.startswith("/exports/") or path.startswith("/epcis/recalls/"):
        return Operation.EXPORT
    if method == "POST" and path.startswith("/epcis/"):
        return Operation.RECORD
    return Operation.READ


class RateLimiter:
    """A token bucket per key: `rate` requests a second, `burst` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)

    def wait(self, key: str) -> float:
        """0 when the request may go now (and it is counted), else the seconds to wait."""
        now = time.monotonic()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


class Authenticate:
    def __init__(
        self,
        app: ASGIApp,
        auth: Auth,
        rate_limit: float = 0.0,
        rate_burst: int = 50,
        limiter: RateLimiter | None = None,
    ):
        self.app = app
        self.auth = auth
        # `limiter`: one shared with the WebSocket operations (api/wslimits.py).
        self.limiter = limiter or (RateLimiter(rate_limit, rate_burst) if rate_limit > 0 else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if _open(method, path, scope):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"authorization")
        token = bearer(header.decode("latin-1") if header else None)
        try:
            if header is not None and token is None:
                raise Unauthenticated("the Authorization header is not of the form `Bearer <key>`")
            principal = await self.auth.identify(token)
        except Unauthenticated as e:
            await _answer(send, 401, e.message, [(b"www-authenticate", b'Bearer realm="tracegraph"')])
            return
        if self.limiter is not None and not principal.is_admin and principal.key_id is not None:
            wait = self.limiter.wait(principal.key_id)
            if wait > 0:
                await _answer(
                    send,
                    429,
                    f"rate limit of this key exceeded ({self.limiter.rate:g} requests a second): retry in {wait:.1f} s",
                    [(b"retry-after", str(math.ceil(wait)).encode())],
                )
                return
        operation = _operation(method, path)
        if not allowed(principal, operation):
            await _answer(send, 403, refusal(principal, operation), [])
            return
        if not principal.is_admin and _NOT_FILTERED and path.startswith(_NOT_FILTERED):
            await _answer(
                send,
                403,
                "not available to an organization's key yet: its answer is not filtered by partner visibility",
                [],
            )
            return
        scope[PRINCIPAL] = principal
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})
