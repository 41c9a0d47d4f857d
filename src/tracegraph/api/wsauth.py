"""Open WebSockets lose access with their credential.

A WebSocket is authenticated once, in `connection_init`; from then on it is a `Session` of its
principal (the API key's id, or `jwt:<iss>#<sub>` for a JWT; its organization; its expiry). It is
closed with AUTH_CLOSE_CODE (4403) and a reason saying why:

- at once when its key is revoked (`SocketSessions.changed("key", id)`): on the instance that
  revoked it directly, on every other instance when the `AuthChanged` message arrives on the bus
  (through Redis);
- when its organization changes (`changed("organization", id)`): the organization's sockets are
  checked against the store again (`Auth.refusals`, one read of the organization's keys) and
  those whose key or token no longer holds are closed;
- and every SWEEP_SECONDS (5 s, the age of the auth cache) all open sockets are checked so:
  without Redis (instances sharing a Neo4j store), or should a message be lost, a revoked key's
  sockets close within 5 s, as its HTTP requests are refused;
- at its expiry, an API key's `expiresAt` or a JWT's `exp` plus the allowed clock skew (the
  instant a new `connection_init` with it would be refused): one timer per socket
  (`loop.call_later`), exact to the event loop's resolution, cancelled when the socket closes
  (the sweep would be up to 5 s late, and expiry needs no store: the principal carries it).

Closing ends the socket's operations first, synchronously: shared fan-out (api/fanout.py) writes
only to members whose operation is still registered, so nothing reaches the socket past that
point, and the member leaves its shared execution as its task is cancelled. The close frame is
sent next; a socket closed by the server takes no further message (`ClosingWebSocketAdapter`).
A socket checked in `connection_init` while an authentication change arrived is checked again.
The server's own TRACEGRAPH_ADMIN_KEY neither expires nor can be revoked: its sockets are not
tracked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from ..domain.auth import Principal
from ..services.auth import CACHE_SECONDS, Auth
from .context import Context

log = logging.getLogger("tracegraph.auth")

AUTH_CLOSE_CODE = 4403
SWEEP_SECONDS = CACHE_SECONDS
REVOKED = "API key revoked"
MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 125 bytes with its code


def close_reason(text: str) -> str:
    """`text` cut to what a close frame carries (123 bytes of UTF-8)."""
    data = text.encode()
    if len(data) <= MAX_REASON_BYTES:
        return text
    return data[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "…"


def expired_reason(principal: Principal) -> str:
    return "token expired" if (principal.key_id or "").startswith("jwt:") else "API key expired"


class ClosingWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's ASGI socket adapter, for a socket the server may close on its own (revoked,
    expired, refused in `connection_init` with its reason): once closed, a further close or
    message is dropped, not an error."""

    async def send_json(self, message: Any) -> None:
        if self.ws.application_state is WebSocketState.DISCONNECTED:
            return
        await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        await self.close_socket(self.ws, code, reason)

    @staticmethod
    async def close_socket(ws: WebSocket, code: int, reason: str) -> None:
        """Close `ws` with `code` and `reason` (cut to fit), unless it is closed already."""
        if ws.application_state is WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(RuntimeError):  # the client went at the same moment
            await ws.close(code=code, reason=close_reason(reason))


class Session:
    """One open, authenticated WebSocket."""

    __slots__ = ("handler", "principal", "timer")

    def __init__(self, handler: SessionTransportWSHandler, principal: Principal) -> None:
        self.handler = handler
        self.principal = principal
        self.timer: asyncio.TimerHandle | None = None


class SocketSessions:
    """The open WebSockets of this server instance, by key and by organization."""

    def __init__(self, auth: Auth | None, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.auth = auth
        self.sweep_seconds = sweep_seconds
        self._by_key: dict[str, set[Session]] = {}
        self._by_organization: dict[str, set[Session]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None  # while sockets are open

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_key.values())

    def generation(self) -> int | None:
        return None if self.auth is None else self.auth.generation

    def open(
        self, handler: SessionTransportWSHandler, principal: Principal, generation: int | None = None
    ) -> Session | None:
        """Track a socket just acknowledged; `generation`: Auth's when its key was checked."""
        if principal.key_id is None:  # TRACEGRAPH_ADMIN_KEY: never revoked, never expires
            return None
        session = Session(handler, principal)
        self._by_key.setdefault(principal.key_id, set()).add(session)
        if principal.organization_id is not None:
            self._by_organization.setdefault(principal.organization_id, set()).add(session)
        if principal.expires_at is not None:
            expires_at = principal.expires_at
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            delay = (expires_at - datetime.now(UTC)).total_seconds()
            session.timer = asyncio.get_running_loop().call_later(
                max(0.0, delay), self.end, session, expired_reason(principal)
            )
        if generation is not None and generation != self.generation():
            self._spawn(self._recheck([session]))  # a change arrived while its key was checked
        if self.auth is not None and (self._sweeper is None or self._sweeper.done()):
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="websocket-auth-sweep")
        return session

    def remove(self, session: Session) -> None:
        """Stop tracking a socket (it closed)."""
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        p = session.principal
        for index, name in ((self._by_key, p.key_id), (self._by_organization, p.organization_id)):
            members = index.get(name) if name is not None else None
            if members is not None:
                members.discard(session)
                if not members:
                    del index[name]  # type: ignore[arg-type]

    def end(self, session: Session, reason: str) -> None:
        """Close a socket whose key or token no longer holds (nothing more reaches it)."""
        if session.handler.session is not session:
            return  # closed already
        self.remove(session)
        log.info("WebSocket of key %s closed: %s", session.principal.key_id, reason)
        session.handler.end(AUTH_CLOSE_CODE, reason)

    def changed(self, kind: str, id: str) -> None:
        """An authentication change (bus.AuthChanged): a key revoked closes its sockets at once;
        an organization changed has its sockets checked again."""
        if kind == "key":
            for session in list(self._by_key.get(id, ())):
                self.end(session, REVOKED)
        elif kind == "organization":
            sessions = list(self._by_organization.get(id, ()))
            if sessions:
                self._spawn(self._recheck(sessions))

    async def _recheck(self, sessions: list[Session]) -> None:
        """Close those of `sessions` whose key or token the store no longer accepts."""
        if self.auth is None:
            return
        try:
            refused = await self.auth.refusals(s.principal for s in sessions)
        except Exception:  # noqa: BLE001 - the store did not answer: leave them open, check again later
            log.exception("checking the keys of open WebSockets failed")
            return
        for session in sessions:
            reason = refused.get(session.principal)
            if reason is not None:
                self.end(session, reason)

    async def _sweep(self) -> None:
        """Every `sweep_seconds` while sockets are open: check them all."""
        while self._by_key:
            await asyncio.sleep(self.sweep_seconds)
            await self._recheck([s for members in list(self._by_key.values()) for s in members])

    async def stop(self) -> None:
        """Stop checking (the server stops); the sockets close with the server."""
        tasks = [t for t in (self._sweeper, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for members in list(self._by_key.values()):
            for session in list(members):
                self.remove(session)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_closing: set[asyncio.Task[None]] = set()


class SessionTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose socket is a `Session` of the view's `sessions` once acknowledged,
    and is closed (`end`) when its key or token stops being accepted."""

    session: Session | None = None
    ended: str | None = None  # why the server closed the socket
    _ended_tasks: list[asyncio.Task[Any]] | None = None

    def _sessions(self) -> SocketSessions | None:
        sessions = getattr(self.view, "sessions", None)
        return sessions if isinstance(sessions, SocketSessions) else None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        sessions = self._sessions()
        generation = sessions.generation() if sessions is not None else None
        await super().handle_connection_init(message)
        principal = self.context.principal if isinstance(self.context, Context) else None
        if (
            sessions is not None
            and principal is not None
            and self.connection_acknowledged
            and self.session is None
            and self.ended is None
        ):
            self.session = sessions.open(self, principal, generation)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.ended is not None:
            return  # closing: its key or token no longer holds
        await super().handle_subscribe(message)

    def end(self, code: int, reason: str) -> None:
        """End every operation now (shared fan-out stops writing to this socket with it), then
        close the socket with `code` and `reason`."""
        self.session = None
        self.ended = reason
        tasks = []
        current = asyncio.current_task()
        for operation_id in list(self.operations):
            operation = self.operations.pop(operation_id)  # as strawberry's cleanup_operation
            # Not the operation running this (a key revoking itself over this socket): it
            # finishes what it does, its answer dropped with the socket closed.
            if operation.task is not None and operation.task is not current:
                operation.task.cancel()
                tasks.append(operation.task)
        self._ended_tasks = tasks
        task = asyncio.get_running_loop().create_task(self.websocket.close(code=code, reason=reason))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    def forget_id(self, id: str) -> None:
        self.operations.pop(id, None)  # an operation `end` let finish is no longer registered

    async def shutdown(self) -> None:
        sessions = self._sessions()
        if self.session is not None and sessions is not None:
            sessions.remove(self.session)
            self.session = None
        await super().shutdown()
        for task in self._ended_tasks or ():  # let them finish their `finally` blocks, as strawberry does
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task


__all__ = [
    "AUTH_CLOSE_CODE",
    "ClosingWebSocketAdapter",
    "REVOKED",
    "Session",
    "SessionTransportWSHandler",
    "SocketSessions",
    "close_reason",
]
