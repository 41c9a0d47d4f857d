"""The GraphQL API: Strawberry types, queries, mutations, subscriptions, loaders, errors."""

from __future__ import annotations

import json
from collections import OrderedDict

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
        self._encoded: OrderedDict[int, tuple[object, str]] = OrderedDict()
        self.ledger = ledger
        self.bus = bus
        self.settings = settings

    def encode_json(self, data: object) -> str | bytes:
        """JSON, encoding a shared subscription's result once for all its subscribers: their
        `next` messages differ only in the operation id (api/fanout.py)."""
        if isinstance(data, dict) and data.get("type") == "next" and len(data) == 3:
            payload = data.get("payload")
            if isinstance(payload, dict) and len(payload) == 1 and "data" in payload:
                result = payload["data"]
                cached = self._encoded.get(id(result))
                if cached is None or cached[0] is not result:
                    cached = (result, json.dumps(result, separators=(",", ":")))
                    self._encoded[id(result)] = cached
                    if len(self._encoded) > 64:
                        self._encoded.popitem(last=False)
                return f'{{"id":{json.dumps(data["id"])},"type":"next","payload":{{"data":{cached[1]}}}}}'
        return super().encode_json(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(ledger=self.ledger, bus=self.bus, settings=self.settings, loaders=Loaders(self.ledger),
                       request=request, response=response)


def build_graphql_app(ledger: Ledger, bus: Bus, settings: Settings) -> GraphQL[Context, None]:
    return TracegraphGraphQL(ledger, bus, settings)


__all__ = ["build_graphql_app", "schema"]
