"""The GraphQL API: Strawberry types, queries, mutations, subscriptions, loaders, errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from ..bus import Bus
from ..config import Settings
from ..services.ledger import Ledger
from .context import Context
from .fanout import SharedSubscriptions
from .loaders import Loaders
from .schema import schema


class TracegraphGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP (GraphiQL on GET) and WebSocket, on one ledger and bus."""

    def __init__(self, ledger: Ledger, bus: Bus, settings: Settings):
        super().__init__(schema, graphql_ide="graphiql", subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
        # Identical subscriptions run once and fan out (api/fanout.py).
        self.schema = SharedSubscriptions(schema, settings.subscriber_queue)  # type: ignore[assignment]
        self.ledger = ledger
        self.bus = bus
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(ledger=self.ledger, bus=self.bus, settings=self.settings, loaders=Loaders(self.ledger),
                       request=request, response=response)


def build_graphql_app(ledger: Ledger, bus: Bus, settings: Settings) -> GraphQL[Context, None]:
    return TracegraphGraphQL(ledger, bus, settings)


__all__ = ["build_graphql_app", "schema"]
