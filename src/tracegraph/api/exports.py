"""Exports over HTTP: a trace or a recall as the FSMA 204 sortable spreadsheet (CSV, XLSX) or JSON.

    GET /exports/trace?id=LOT-1&direction=FORWARD&format=csv
    GET /exports/recalls/{id}?format=xlsx
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..domain.errors import DomainError
from ..authn import audit, principal_of
from ..services.exports import FORMATS, Exports
from ..services.visibility import Visibility
from ..services.ledger import Ledger
from ..services.recall import Recalls
from ..services.trace import TraceOptions
from ..store.port import Direction

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _refuse(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, **({"field": field} if field else {})}, status_code=status)


def _format(request: Request) -> str | JSONResponse:
    fmt = request.query_params.get("format", "csv").lower()
    if fmt not in FORMATS:
        return _refuse(400, f"format must be one of {', '.join(FORMATS)}, not {fmt[:20]!r}", "format")
    return fmt


def _file(body: bytes, fmt: str, name: str) -> Response:
    filename = f"{_SAFE.sub('_', name)[:80]}.{fmt}"
    return Response(body, media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def export_routes(ledger: Ledger) -> list[Route]:
    exports = Exports(ledger)

    async def trace(request: Request) -> Response:
        fmt = _format(request)
        if isinstance(fmt, Response):
            return fmt
        item_id = request.query_params.get("id")
        if not item_id:
            return _refuse(400, "the query parameter `id` (the item to trace from) is required", "id")
        raw_direction = request.query_params.get("direction", "FORWARD").upper()
        if raw_direction not in Direction.__members__:
            return _refuse(400, f"direction must be FORWARD or BACKWARD, not {raw_direction[:20]!r}", "direction")
        visibility = Visibility(ledger.store, principal_of(request))
        if not await ledger.items([item_id]) or not await visibility.item(item_id):
            return _refuse(404, f"unknown item {item_id[:200]}", "id")
        contact = request.query_params.get("throughContainers", "false").lower() == "true"
        result = await ledger.trace(item_id, Direction(raw_direction),
                                    options=TraceOptions(through_containers=contact))
        result, hidden = await visibility.trace(result)
        await audit(ledger.store, request, "export:trace", {"id": item_id, "direction": raw_direction, "format": fmt})
        rows = await exports.rows(result.nodes, None if visibility.unrestricted else visibility)
        meta: dict[str, Any] = {"trace": {"id": item_id, "direction": raw_direction, "count": len(result.items)},
                                "items": [{"id": i, "depth": result.depth[i]} for i in result.items]}
        if hidden:
            meta["hidden"] = [{"organizationId": org, "count": n} for org, n in sorted(
                hidden.items(), key=lambda x: x[0] or "")]
        return _file(exports.encode(fmt, rows, meta), fmt, f"trace-{raw_direction.lower()}-{item_id}")  # type: ignore[arg-type]

    async def recall(request: Request) -> Response:
        fmt = _format(request)
        if isinstance(fmt, Response):
            return fmt
        recalls = Recalls(ledger, principal_of(request))
        try:
            found = await recalls.get(request.path_params["recall_id"])
        except DomainError as e:
            return _refuse(404, e.problems[0].message, "id")
        await audit(ledger.store, request, "export:recall", {"id": found.id, "format": fmt})
        view = await recalls.view(found)  # what the caller may see of it (services/recall.py)
        seen = view.recall
        ids = [a.id for a in seen.affected] or list(seen.suspect_ids)
        rows = await exports.rows(ids, None if recalls.visibility.unrestricted else recalls.visibility)
        meta: dict[str, Any] = {"recall": seen.model_dump(mode="json", exclude={"affected"}),
                                "items": [a.model_dump(mode="json") for a in seen.affected]}
        if view.hidden:
            meta["hidden"] = [{"organizationId": org, "count": n} for org, n in sorted(
                view.hidden.items(), key=lambda x: x[0] or "")]
        return _file(exports.encode(fmt, rows, meta), fmt, f"recall-{found.id}")  # type: ignore[arg-type]

    return [
        Route("/exports/trace", trace, methods=["GET"]),
        Route("/exports/recalls/{recall_id}", recall, methods=["GET"]),
    ]
