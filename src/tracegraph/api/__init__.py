"""The GraphQL API: Strawberry types, queries, mutations, subscriptions, loaders, errors."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from ..bus import Bus
from ..authn import PRINCIPAL, RateLimiter
from ..config import Settings
from ..domain.auth import Unauthenticated, bearer
from ..services.auth import Auth
from ..services.ledger import Ledger
from .context import Context
from .fanout import SharedSubscriptions, TransportWSHandler
from .loaders import Loaders
from .schema import make_schema, schema
from .wslimits import LimitedTransportWSHandler, SocketLimits


log = logging.getLogger("tracegraph.auth")


class SocketHandler(LimitedTransportWSHandler, TransportWSHandler):
    """graphql-transport-ws with the socket limits and the shared subscriptions' direct writes."""


class TracegraphGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP (GraphiQL on GET) and WebSocket, on one ledger and bus."""

    # Operations a socket sends are limited per connection and per key (api/wslimits.py); shared
    # results are written directly to the sockets (api/fanout.py).
    graphql_transport_ws_handler_class = SocketHandler  # type: ignore[assignment]

    def __init__(self, ledger: Ledger, bus: Bus, settings: Settings, auth: Auth | None = None,
                 limiter: RateLimiter | None = None):
        # SocketLimits counts operations instead of strawberry, with a code and the limit.
        super().__init__(schema, graphql_ide="graphiql", subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
                         max_subscriptions_per_connection=None)
        self.socket_limits = SocketLimits(settings.ws_max_operations, settings.ws_max_operations_per_key, limiter)
        # Identical subscriptions run once and fan out (api/fanout.py).
        served = schema if settings.introspection else make_schema(introspection=False)
        self.schema = SharedSubscriptions(served, settings.subscriber_queue)  # type: ignore[assignment]
        self.ledger = ledger
        self.bus = bus
        self.settings = settings
        self.auth = auth

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(ledger=self.ledger, bus=self.bus, settings=self.settings, loaders=Loaders(self.ledger),
                       auth=self.auth, principal=request.scope.get(PRINCIPAL), request=request, response=response)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate a WebSocket in `connection_init`: `{"Authorization": "Bearer <key or JWT>"}`.
        A missing or wrong key or token closes it with 4403 (strawberry's rejection code); why is
        logged."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        value = params.get("Authorization", params.get("authorization"))
        if self.auth is None:
            raise ConnectionRejectionError({"error": "authentication is not configured"})
        try:
            principal = await self.auth.identify(bearer(value if isinstance(value, str) else None))
        except Unauthenticated as e:
            log.info("WebSocket connection refused: %s", e.message)
            raise ConnectionRejectionError({"error": e.message}) from None
        context.principal = principal
        return UNSET


def build_graphql_app(ledger: Ledger, bus: Bus, settings: Settings, auth: Auth | None = None,
                      limiter: RateLimiter | None = None) -> GraphQL[Context, None]:
    return TracegraphGraphQL(ledger, bus, settings, auth, limiter)


__all__ = ["build_graphql_app", "schema"]
