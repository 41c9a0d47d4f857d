"""Labels over HTTP: QR codes of items' label URIs, printable label sheets, and the pages a
scanned label opens (this server answering as a GS1 Digital Link resolver).

GET /labels/{itemId}.svg | .png           the QR code of the item's label URI (`?scale=1..40`)
GET /labels/{itemId}                      a printable label sheet (HTML); `.html` names it too
GET /labels/receipts/{eventId}            one label per item a receipt brought in
GET /items/{itemId}                       the item: HTML for a browser, its JSON linkset for
                                          `Accept: application/linkset+json` or `application/json`
                                          (or `?linkType=all`)
GET /01/{gtin}/10/{lot}, /00/{sscc}, …    the same for a GS1 Digital Link path

Every answer is for the caller's key (authn.py) through its session: an item or event it may not
see is a 404 with the body of an unknown one. A browser that sent no key gets a page holding no
data that sends the key the dashboard keeps (label_pages.SHELL). Each answer is audited.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import quote

import segno
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..domain import errors as E
from ..domain.errors import DomainError
from ..gs1.digital_link import parse_path
from ..services.labels import Label
from ..services.session import Services, Session
from . import label_pages as P
from .authn import PRINCIPAL, audit, principal_of

Wanted = Literal["html", "linkset", "json"]

# A page holding data renders only inline styles and images; the shell runs /static/page.js.
_DATA_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_SHELL_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:"
)
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_MEDIA = {"linkset": "application/linkset+json", "json": "application/json"}


def wanted(request: Request) -> Wanted:
    """What the client asks for, by `linkType=all` or the Accept header's preference (q-values);
    HTML when it names none of them, as GS1 resolvers answer browsers and `*/*`."""
    if request.query_params.get("linkType") in ("all", "linkset"):
        return "linkset"
    best: tuple[float, int, Wanted] = (0.0, 0, "html")
    for n, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        kind: Wanted | None = {
            "text/html": "html",
            "application/xhtml+xml": "html",
            "application/linkset+json": "linkset",
            "application/json": "json",
        }.get(media.lower())  # type: ignore[assignment]
        if kind is not None and (q, -n) > best[:2]:
            best = (q, -n, kind)
    return best[2]


def _shell() -> HTMLResponse:
    return HTMLResponse(P.SHELL, headers={**_PRIVATE, "Content-Security-Policy": _SHELL_CSP})


def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(
        body, status_code=status, headers={**_PRIVATE, "Content-Security-Policy": _DATA_CSP, **(headers or {})}
    )


def _refuse(request: Request, status: int, message: str, field: str | None = "id") -> Response:
    """A refusal as the client asked: an HTML page for a browser's page, else JSON `{error, field}`."""
    if wanted(request) == "html" and not request.url.path.endswith((".svg", ".png")):
        return _html(P.error_page(status, message), status)
    return JSONResponse({"error": message, **({"field": field} if field else {})}, status_code=status, headers=_PRIVATE)


def _refusal(request: Request, e: DomainError) -> Response:
    problem = e.problems[0]
    status = {E.NOT_FOUND: 404, E.INVALID: 400}.get(problem.code, 403)
    return _refuse(request, status, problem.message, problem.field)


def _scale(request: Request, default: int) -> int | Response:
    raw = request.query_params.get("scale")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 40:
        return _refuse(request, 400, f"scale must be a whole number from 1 to 40, not {raw[:20]!r}", "scale")
    return int(raw)


def _session(request: Request, services: Services) -> Session | None:
    """The caller's session; None for a browser that sent no key (it gets the shell page)."""
    return services.session(principal_of(request)) if PRINCIPAL in request.scope else None


def label_routes(services: Services) -> tuple[list[Route], Route]:
    """The label routes, and the Digital Link resolver's route, which matches any `/{ai}/…` path
    and so goes after every other route."""

    async def label(request: Request) -> Response:
        session = _session(request, services)
        ref: str = request.path_params["ref"]
        fmt = "html"
        for suffix in (".svg", ".png", ".html"):
            if ref.endswith(suffix) and len(ref) > len(suffix):
                ref, fmt = ref[: -len(suffix)], suffix[1:]
                break
        if session is None:
            return _shell()
        scale = _scale(request, 8 if fmt == "png" else 4)
        if isinstance(scale, Response):
            return scale
        try:
            if fmt == "html":
                found = await session.labels.label(ref)
                body: str | bytes = P.sheet(f"Label of {found.item.id}", [found])
            else:
                item = await session.labels.item(ref)
                uri = session.labels.uri(item)
                body = P.qr_svg(uri, scale) if fmt == "svg" else P.qr_png(uri, scale)
        except DomainError as e:
            return _refusal(request, e)
        except segno.DataOverflowError:
            return _refuse(request, 422, "the label URI is too long for a QR code")
        await audit(session, "label:item", {"id": ref, "format": fmt})
        if fmt == "html":
            assert isinstance(body, str)
            return _html(body)
        media = "image/svg+xml" if fmt == "svg" else "image/png"
        name = f"label-{quote(ref, safe='')[:80]}.{fmt}"
        return Response(
            body,
            media_type=media,
            headers={
                **_PRIVATE,
                "Content-Disposition": f'inline; filename="{name}"',
                **({"Content-Security-Policy": "default-src 'none'"} if fmt == "svg" else {}),
            },
        )

    async def receipt(request: Request) -> Response:
        session = _session(request, services)
        if session is None:
            return _shell()
        event_id: str = request.path_params["event_id"]
        try:
            event, labels = await session.labels.receipt(event_id)
        except DomainError as e:
            return _refusal(request, e)
        except segno.DataOverflowError:
            return _refuse(request, 422, "a label URI is too long for a QR code")
        await audit(session, "label:receipt", {"id": event_id, "labels": len(labels)})
        note = f" · received {event.event_time.date().isoformat()}"
        return _html(P.sheet(f"Labels of receipt {event.id}", labels, note))

    async def opened(request: Request, session: Session, label: Label, anchor: str) -> Response:
        """The item a scanned URI named, as the client asked for it."""
        kind = wanted(request)
        await audit(session, "label:open", {"id": label.item.id, "uri": anchor[:300], "as": kind})
        linkset_url = f"{session.labels.links.item_page(label.item.id)}?linkType=all"
        if kind == "html":
            link = f'<{linkset_url}>; rel="linkset"; type="application/linkset+json"'
            return _html(P.item_page(label), headers={"Link": link})
        body = json.dumps(session.labels.linkset(label, anchor), indent=1)
        return Response(body, media_type=_MEDIA[kind], headers=_PRIVATE)

    async def item(request: Request) -> Response:
        session = _session(request, services)
        if session is None:
            return _shell()
        item_id: str = request.path_params["item_id"]
        try:
            found = await session.labels.label(item_id)
        except DomainError as e:
            return _refusal(request, e)
        return await opened(request, session, found, session.labels.links.item_page(found.item.id))

    async def digital_link(request: Request) -> Response:
        raw: Any = request.scope.get("raw_path") or request.scope["path"].encode()
        path = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
        link = parse_path(path.split("?", 1)[0])
        if link is None:
            return JSONResponse({"error": "not found"}, status_code=404, headers=_PRIVATE)
        session = _session(request, services)
        if session is None:
            return _shell()
        try:
            found = await session.labels.resolve(link)
            label = await session.labels.label(found.id)
        except DomainError as e:
            return _refusal(request, e)
        return await opened(request, session, label, link.uri(session.labels.links.digital_link_base))

    routes = [
        Route("/labels/receipts/{event_id:path}", receipt, methods=["GET"]),
        Route("/labels/{ref:path}", label, methods=["GET"]),
        Route("/items/{item_id:path}", item, methods=["GET"]),
    ]
    return routes, Route("/{ai}/{rest:path}", digital_link, methods=["GET"])
