"""Limits on what a WebSocket sends (graphql-transport-ws): operations in flight at once per
connection and per key, and the rate of operations per key.

An operation a limit refuses gets an `error` message on its own id, a GraphQL error with
`extensions.code` TOO_MANY_OPERATIONS or RATE_LIMITED (and `retryAfter`, seconds); the socket and
its other operations go on. The rate is the HTTP one (TRACEGRAPH_RATE_LIMIT, TRACEGRAPH_RATE_BURST),
from the same token bucket per key: a key's HTTP requests and socket operations count together.
The server's admin key is not limited by key; every connection is limited in what it runs at once.
Counts per key are per server instance.
"""

from __future__ import annotations

import math

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from ..domain.auth import Principal
from ..http.authn import RateLimiter
from .context import Context

TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
RATE_LIMITED = "RATE_LIMITED"


class SocketLimits:
    """The limits of one server, and the operations each key has in flight."""

    def __init__(self, per_connection: int, per_key: int, limiter: RateLimiter | None = None):
        self.per_connection = per_connection
        self.per_key = per_key
        self.limiter = limiter
        self.in_flight: dict[str, int] = {}  # key id -> operations running on all its sockets

    def refusal(self, principal: Principal | None, running_here: int) -> GraphQLError | None:
        """Why a new operation may not start (None: it may, and it was counted against the rate)."""
        if running_here >= self.per_connection:
            return GraphQLError(
                f"too many operations on this connection: {running_here} running, at most {self.per_connection} "
                "(TRACEGRAPH_WS_MAX_OPERATIONS); complete one first",
                extensions={"code": TOO_MANY_OPERATIONS, "limit": self.per_connection},
            )
        key = _limited_key(principal)
        if key is None:
            return None
        running = self.in_flight.get(key, 0)
        if running >= self.per_key:
            return GraphQLError(
                f"too many operations for this key: {running} running on its connections, at most {self.per_key} "
                "(TRACEGRAPH_WS_MAX_OPERATIONS_PER_KEY); complete one first",
                extensions={"code": TOO_MANY_OPERATIONS, "limit": self.per_key},
            )
        if self.limiter is not None:
            wait = self.limiter.wait(key)
            if wait > 0:
                return GraphQLError(
                    f"rate limit of this key exceeded ({self.limiter.rate:g} operations a second, "
                    f"TRACEGRAPH_RATE_LIMIT): retry in {wait:.1f} s",
                    extensions={"code": RATE_LIMITED, "retryAfter": math.ceil(wait)},
                )
        return None

    def started(self, principal: Principal | None) -> str | None:
        key = _limited_key(principal)
        if key is not None:
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
        return key

    def ended(self, key: str) -> None:
        left = self.in_flight.get(key, 0) - 1
        if left > 0:
            self.in_flight[key] = left
        else:
            self.in_flight.pop(key, None)


def _limited_key(principal: Principal | None) -> str | None:
    if principal is None or principal.is_admin or principal.key_id is None:
        return None
    return principal.key_id


class LimitedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with SocketLimits (the view's `socket_limits`) on every `subscribe`."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limits: SocketLimits | None = getattr(self.view, "socket_limits", None)
        if limits is None or not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # strawberry closes the socket (4401, 4409)
            return
        principal = self.context.principal if isinstance(self.context, Context) else None
        error = limits.refusal(principal, len(self.operations))
        if error is not None:
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)
        operation = self.operations.get(message["id"])
        if operation is not None and operation.task is not None:
            key = limits.started(principal)
            if key is not None:
                operation.task.add_done_callback(lambda _: limits.ended(key))


__all__ = ["LimitedTransportWSHandler", "SocketLimits", "RATE_LIMITED", "TOO_MANY_OPERATIONS"]
