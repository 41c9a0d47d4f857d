"""The ASGI application: GraphQL (with GraphiQL and subscriptions), EPCIS 2.0 under /epcis, /health and
the live dashboard and the recall workbench."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from .bus import AuthChanged, Message, Notice, make_bus
from .config import Settings
from .config import settings as default_settings
from .domain.consistency import InvalidConsistencyToken
from .domain.errors import RETRY_AFTER_SECONDS, UNAVAILABLE, StoreUnavailable
from .domain.query import EventFilter
from .http.authn import Authenticate, RateLimiter
from .http.consistency import CausalConsistency, refusal
from .http.limits import BodySizeLimit
from .oidc import OidcConfig, OidcVerifier
from .services.auth import Auth
from .services.labels import Links
from .services.ledger import Ledger
from .services.session import Services
from .services.shelf import ExpiryWatch
from .store.factory import make_store
from .store.port import GraphStore

log = logging.getLogger("tracegraph")

STATIC = Path(__file__).parent / "static"  # the dashboard, with cytoscape vendored by `make vendor`


async def invalid_token(request: Request, exc: Exception) -> JSONResponse:
    """A consistency token the store refused (one it never gave): 400 naming the header."""
    assert isinstance(exc, InvalidConsistencyToken)
    return JSONResponse(refusal(exc), status_code=400)


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Any REST door the store could not serve: 503 with `Retry-After`, nothing written."""
    message = exc.message if isinstance(exc, StoreUnavailable) else "the store does not answer now"
    return JSONResponse(
        {"error": message, "code": UNAVAILABLE}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> Starlette:
    from .api import build_graphql_app
    from .api.fanout import ExposeWebSocketProtocol
    from .http.exports import export_routes
    from .http.labels import label_routes

    settings = settings or default_settings()
    store = store or make_store(settings)
    oidc = OidcConfig.from_settings(settings)
    tokens = OidcVerifier(oidc) if oidc is not None else None
    auth = Auth(store, settings.admin_key, tokens)
    ledger = Ledger(store)
    bus = make_bus(settings.redis_url, settings.subscriber_queue, ledger)  # catches up on the ledger's log
    links = Links(settings.digital_link_base, settings.public_base)
    services = Services(ledger, auth, settings.epcis_max_events, links)
    ledger.on_recorded(bus.publish_entry)

    # One token bucket per key for its HTTP requests and its WebSocket operations together.
    limiter = RateLimiter(settings.rate_limit, settings.rate_burst) if settings.rate_limit > 0 else None
    graphql = build_graphql_app(services, bus, settings, auth, limiter)
    sessions = graphql.sessions

    # A change that affects authentication reaches every instance's Auth and open WebSockets
    # (through Redis when set: there this instance's own change comes back from Redis too, but
    # its sockets are closed at once, before the mutation answers).
    async def publish_auth_change(kind: str, id: str) -> None:
        if settings.redis_url:
            sessions.changed(kind, id)
        await bus.publish([AuthChanged(kind, id)])

    def on_message(message: Message) -> None:
        if isinstance(message, AuthChanged):
            auth.forget(message.kind, message.id)
            sessions.changed(message.kind, message.id)

    auth.on_change(publish_auth_change)
    bus.add_listener(on_message)

    async def publish_notice(subject: str, payload: dict) -> None:
        await bus.publish([Notice(subject, payload)])

    ledger.on_notice(publish_notice)
    state = {"ready": False}
    watch = ExpiryWatch(ledger)

    async def watch_expiry() -> None:
        """The expiry check, every `expiry_check_seconds`; a failed check is logged and retried."""
        while True:
            try:
                await watch.check()
            except Exception:  # noqa: BLE001 - a store briefly down: the next check catches up
                log.exception("the expiry check failed")
            await asyncio.sleep(settings.expiry_check_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        first_start = store.name == "ladybug" and not any(settings.data_dir.glob("*"))
        await store.open()
        await bus.start()
        key = await auth.first_start_key()
        if key is not None:
            # Printed once, on purpose: only its hash is kept (in the store, so in the data
            # directory for the embedded store).
            print(
                f"tracegraph: the admin key, shown this once (send it as `Authorization: Bearer <key>`):\n    {key}",
                flush=True,
            )
        if settings.demo and (
            first_start or (store.name != "ladybug" and not await ledger.events(EventFilter(), None, 1))
        ):
            from .demo import load_demo

            count = await load_demo(ledger)
            log.info("loaded the demo data: %d events", count)
        state["ready"] = True
        watcher = (
            asyncio.create_task(watch_expiry(), name="expiry-watch") if settings.expiry_check_seconds > 0 else None
        )
        try:
            yield
        finally:
            state["ready"] = False
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await sessions.stop()
            await bus.stop()
            if tokens is not None:
                await tokens.aclose()
            await store.close()

    async def health(request: Request) -> JSONResponse:
        # The bus is reported, not required: writes go on without it (subscribers catch up
        # from the store when it is back), so an instance whose Redis is away still serves.
        if not state["ready"]:
            return JSONResponse({"status": "starting", "store": store.name, "bus": bus.health()}, status_code=503)
        try:
            await store.ping()
        except Exception:  # noqa: BLE001 - any failure means the store does not answer
            log.exception("store ping failed")
            return JSONResponse({"status": "unavailable", "store": store.name, "bus": bus.health()}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.name, "bus": bus.health()})

    async def dashboard(request: Request) -> FileResponse:
        return FileResponse(STATIC / "dashboard.html")

    async def recall_workbench(request: Request) -> FileResponse:
        return FileResponse(STATIC / "recall.html")  # holds no data: its script asks /graphql with the key

    from .epcis.routes import routes as epcis_routes

    labels, resolver = label_routes(services)

    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *export_routes(services),
            Route("/dashboard", dashboard, methods=["GET"]),
            Route("/recall", recall_workbench, methods=["GET"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            Mount("/epcis", routes=epcis_routes(services)),
            *labels,
            resolver,  # GS1 Digital Link paths (/01/…, /00/…): last, it matches any /{ai}/… path
        ],
        lifespan=lifespan,
        exception_handlers={StoreUnavailable: store_unavailable, InvalidConsistencyToken: invalid_token},
        middleware=[
            Middleware(ExposeWebSocketProtocol),  # first: it must see the server's own `send`
            Middleware(CausalConsistency),  # the Tracegraph-Bookmark header, for every door
            Middleware(Authenticate, auth=auth, limiter=limiter),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
    )
    app.state.ledger = ledger
    app.state.services = services
    app.state.bus = bus
    app.state.store = store
    app.state.auth = auth
    app.state.graphql = graphql
    app.state.expiry_watch = watch
    return app
