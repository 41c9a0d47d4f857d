"""The GraphQL API: Strawberry types, queries, mutations, subscriptions, loaders, errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NoReturn

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from ..bus import Bus
from ..config import Settings
from ..domain.auth import Unauthenticated, bearer
from ..http.authn import PRINCIPAL, RateLimiter
from ..services.auth import Auth
from ..services.session import Services
from .context import Context
from .fanout import SharedSubscriptions, TransportWSHandler
from .schema import make_schema, schema
from .wsauth import AUTH_CLOSE_CODE, ClosingWebSocketAdapter, SessionTransportWSHandler, SocketSessions
from .wslimits import LimitedTransportWSHandler, SocketLimits

GRAPHIQL_PAGE = Path(__file__).parents[1] / "static" / "graphiql.html"

log = logging.getLogger("tracegraph.auth")


SUBSCRIPTION_OVER_HTTP = GraphQLError(
    "subscriptions are served over WebSocket (the graphql-transport-ws protocol at /graphql), "
    "not over HTTP; send queries and mutations over HTTP",
    extensions={"code": "SUBSCRIPTION_OVER_HTTP"},
)


def subscription_over_http(query: str | None, operation_name: str | None) -> bool:
    """Whether a document's operation to run is a subscription; a document that does not parse
    or names no such operation is left to strawberry, which answers it."""
    if not query or "subscription" not in query:
        return False
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class SocketHandler(SessionTransportWSHandler, LimitedTransportWSHandler, TransportWSHandler):
    """graphql-transport-ws closed when its key or token stops being accepted, with the socket
    limits and the shared subscriptions' direct writes."""


class TracegraphGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP (GraphiQL on GET) and WebSocket, on one ledger and bus."""

    # Operations a socket sends are limited per connection and per key (api/wslimits.py); shared
    # results are written directly to the sockets (api/fanout.py).
    graphql_transport_ws_handler_class = SocketHandler
    # Sockets the server closes itself (api/wsauth.py) take no further close or message.
    websocket_adapter_class = ClosingWebSocketAdapter

    def __init__(
        self,
        services: Services,
        bus: Bus,
        settings: Settings,
        auth: Auth | None = None,
        limiter: RateLimiter | None = None,
    ):
        # SocketLimits counts operations instead of strawberry, with a code and the limit.
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            max_subscriptions_per_connection=None,
        )
        self.socket_limits = SocketLimits(settings.ws_max_operations, settings.ws_max_operations_per_key, limiter)
        # Identical subscriptions run once and fan out (api/fanout.py).
        served = schema if settings.introspection else make_schema(introspection=False)
        self.schema = SharedSubscriptions(served, settings.subscriber_queue)  # type: ignore[assignment]
        self.services = services
        self.bus = bus
        self.settings = settings
        self.auth = auth
        # Open sockets by key and organization: closed when their key or token stops being accepted.
        self.sessions = SocketSessions(auth)

    async def execute_single(  # noqa: PLR0917 - strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A subscription sent as a plain HTTP request is answered with a clear error (strawberry
        would run it as a query, and its stream is no value: "Unexpected error.")."""
        if subscription_over_http(request_data.query, request_data.operation_name):
            logging.getLogger("tracegraph.graphql").info("refused: a subscription over HTTP %s", request_adapter.method)
            return ExecutionResult(data=None, errors=[SUBSCRIPTION_OVER_HTTP])
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from this server's own assets (static/graphiql.html, vendored by `make
        vendor`): it works with no internet. The page holds no data; the key is entered in it."""
        return HTMLResponse(GRAPHIQL_PAGE.read_text(encoding="utf-8"))

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            services=self.services,
            bus=self.bus,
            settings=self.settings,
            auth=self.auth,
            principal=request.scope.get(PRINCIPAL),
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate a WebSocket in `connection_init`: `{"Authorization": "Bearer <key or JWT>"}`.
        A missing or wrong key or token closes it with 4403 (strawberry's rejection code) and the
        reason (as the HTTP 401 says it); it is logged too."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        value = params.get("Authorization", params.get("authorization"))
        if self.auth is None:
            await self._refuse(context, "authentication is not configured")
        try:
            principal = await self.auth.identify(bearer(value if isinstance(value, str) else None))
        except Unauthenticated as e:
            log.info("WebSocket connection refused: %s", e.message)
            await self._refuse(context, e.message)
        context.principal = principal
        return UNSET

    @staticmethod
    async def _refuse(context: Context, reason: str) -> NoReturn:
        """Close the socket with 4403 and `reason`, then let strawberry refuse the connection (its
        own close, 4403 "Forbidden", finds the socket closed: ClosingWebSocketAdapter)."""
        if isinstance(context.response, WebSocket):
            await ClosingWebSocketAdapter.close_socket(context.response, AUTH_CLOSE_CODE, reason)
        raise ConnectionRejectionError({"error": reason})


def build_graphql_app(
    services: Services, bus: Bus, settings: Settings, auth: Auth | None = None, limiter: RateLimiter | None = None
) -> TracegraphGraphQL:
    return TracegraphGraphQL(services, bus, settings, auth, limiter)


__all__ = ["build_graphql_app", "schema"]
