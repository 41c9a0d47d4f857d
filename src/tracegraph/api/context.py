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
from ..domain.auth import Principal
from ..services.auth import Auth
from ..services.ledger import Ledger
from ..services.recall import Recalls
from ..services.visibility import Visibility
from .loaders import Loaders


@dataclass
class Context:
    """The request context. `loaders` are replaced at the start of every operation, so a
    WebSocket connection (one context for all its operations) never reads stale data."""

    ledger: Ledger
    bus: Bus
    settings: Settings
    loaders: Loaders
    auth: Auth | None = None
    # Who calls: set from the request's key (HTTP) or the connection_init payload (WebSocket).
    principal: Principal | None = None
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    # The `connection_init` payload of a WebSocket connection (strawberry fills it in).
    connection_params: dict[str, Any] | None = field(default=None)
    _visibility: Visibility | None = field(default=None, repr=False)

    @property
    def caller(self) -> Principal:
        """The authenticated caller. A context without a request (`schema.execute` in tests and
        tools) acts as the admin; a request without a principal never gets this far."""
        from ..domain.auth import ADMIN

        if self.principal is not None:
            return self.principal
        if self.request is None:
            return ADMIN
        raise PermissionError("unauthenticated request")

    @property
    def recalls(self) -> Recalls:
        return Recalls(self.ledger, self.caller, self.visibility)

    @property
    def visibility(self) -> Visibility:
        """What the caller may see (services/visibility.py), cached for one operation."""
        if self._visibility is None:
            self._visibility = Visibility(self.ledger.store, self.caller)
        return self._visibility

    def fresh_loaders(self) -> Loaders:
        self._visibility = None
        self.loaders = Loaders(self.ledger)
        return self.loaders


Info: TypeAlias = strawberry.Info[Context, None]
