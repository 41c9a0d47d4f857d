"""The GraphQL API: Strawberry types, queries, mutations, subscriptions, loaders, errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from ..bus import Bus
from ..authn import PRINCIPAL
from ..config import Settings
from ..domain.auth import bearer
from ..services.auth import Auth
from ..services.ledger import Ledger
from .context import Context
from .fanout import SharedSubscriptions, TransportWSHandler
from .loaders import Loaders
from .schema import make_schema, schema


class TracegraphGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP (GraphiQL on GET) and WebSocket, on one ledger and bus."""

    graphql_transport_ws_handler_class = TransportWSHandler  # shared results written directly (api/fanout.py)

    def __init__(self, ledger: Ledger, bus: Bus, settings: Settings, auth: Auth | None = None):
        super().__init__(schema, graphql_ide="graphiql", subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
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
        """Authenticate a WebSocket in `connection_init`: `{"Authorization": "Bearer <key>"}`.
        A missing or wrong key closes it with 4403 (strawberry's rejection code)."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        value = params.get("Authorization", params.get("authorization"))
        principal = await self.auth.authenticate(bearer(value if isinstance(value, str) else None)) \
            if self.auth is not None else None
        if principal is None:
            raise ConnectionRejectionError({"error": "missing, invalid, revoked or expired API key"})
        context.principal = principal
        return UNSET


def build_graphql_app(ledger: Ledger, bus: Bus, settings: Settings, auth: Auth | None = None,
                      ) -> GraphQL[Context, None]:
    return TracegraphGraphQL(ledger, bus, settings, auth)


__all__ = ["build_graphql_app", "schema"]
