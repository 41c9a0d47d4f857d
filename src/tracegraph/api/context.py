"""What every resolver gets: the ledger, the bus and the DataLoaders of its request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from ..bus import Bus
from ..config import Settings
from ..services.ledger import Ledger
from ..services.recall import Recalls
from .loaders import Loaders


@dataclass
class Context:
    """The request context. `loaders` are replaced at the start of every operation, so a
    WebSocket connection (one context for all its operations) never reads stale data."""

    ledger: Ledger
    bus: Bus
    settings: Settings
    loaders: Loaders
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    # The `connection_init` payload of a WebSocket connection (strawberry fills it in).
    connection_params: dict[str, Any] | None = field(default=None)

    @property
    def recalls(self) -> Recalls:
        return Recalls(self.ledger)

    def fresh_loaders(self) -> Loaders:
        self.loaders = Loaders(self.ledger)
        return self.loaders


Info: TypeAlias = strawberry.Info[Context, None]
