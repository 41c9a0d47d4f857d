"""What every resolver gets: the caller's session (the one door to the services), the bus and the
DataLoaders of its request."""

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
from ..services.recall import Recalls
from ..services.session import Services, Session
from .loaders import Loaders


@dataclass
class Context:
    """The request context. `loaders` are replaced at the start of every operation, so a
    WebSocket connection (one context for all its operations) never reads stale data."""

    services: Services
    bus: Bus
    settings: Settings
    _loaders: Loaders | None = field(default=None, repr=False)
    auth: Auth | None = None
    # Who calls: set from the request's key (HTTP) or the connection_init payload (WebSocket).
    principal: Principal | None = None
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    # The `connection_init` payload of a WebSocket connection (strawberry fills it in).
    connection_params: dict[str, Any] | None = field(default=None)
    _session: Session | None = field(default=None, repr=False)

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
    def session(self) -> Session:
        """The caller's session: every use case, bound to the caller (services/session.py)."""
        caller = self.caller
        if self._session is None or self._session.principal != caller:
            self._session = self.services.session(caller)
        return self._session

    @property
    def recalls(self) -> Recalls:
        return self.session.recalls

    def fresh_loaders(self) -> Loaders:
        self._loaders = Loaders(self.session.fresh())
        return self._loaders

    @property
    def loaders(self) -> Loaders:
        """The operation's loaders, over the caller's session (made on first use)."""
        if self._loaders is None or self._loaders.session is not self.session:
            self._loaders = Loaders(self.session)
        return self._loaders


Info: TypeAlias = strawberry.Info[Context, None]
