"""Exports over HTTP: a trace or a recall as the FSMA 204 sortable spreadsheet (CSV, XLSX) or JSON.

GET /exports/trace?id=LOT-1&direction=FORWARD&format=csv
GET /exports/recalls/{id}?format=xlsx
GET /exports/fsma?product=Flour&since=2026-01-01&until=2026-02-01&format=xlsx|zip|csv&cte=shipping
    (FDA's template: a tab per CTE; scoped by traceId+direction, recallId, product, since/until,
    lotFrom/lotTo)
GET /exports/audit?format=csv|json&since=…&until=…&organizationId=…   (ADMIN keys, the admin key)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..domain import audit as DA
from ..domain.errors import DomainError
from ..domain.fsma import CTES
from ..domain.query import Direction
from ..services.session import Services
from .authn import audit, principal_of
from .encoding import FORMATS, TEMPLATE_FORMATS, cte_slug, encode, encode_template, template_csv

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
    return Response(
        body, media_type=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def export_routes(services: Services) -> list[Route]:
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
        contact = request.query_params.get("throughContainers", "false").lower() == "true"
        session = services.session(principal_of(request))
        try:
            rows, meta = await session.export_trace(item_id, Direction(raw_direction), contact)
        except DomainError as e:
            return _refuse(404 if e.problems[0].code == "NOT_FOUND" else 403, e.problems[0].message, "id")
        await audit(session, "export:trace", {"id": item_id, "direction": raw_direction, "format": fmt})
        return _file(encode(fmt, rows, meta), fmt, f"trace-{raw_direction.lower()}-{item_id}")  # type: ignore[arg-type]

    async def recall(request: Request) -> Response:
        fmt = _format(request)
        if isinstance(fmt, Response):
            return fmt
        session = services.session(principal_of(request))
        recall_id = request.path_params["recall_id"]
        try:
            rows, meta = await session.export_recall(recall_id)
        except DomainError as e:
            return _refuse(404 if e.problems[0].code == "NOT_FOUND" else 403, e.problems[0].message, "id")
        await audit(session, "export:recall", {"id": recall_id, "format": fmt})
        return _file(encode(fmt, rows, meta), fmt, f"recall-{recall_id}")  # type: ignore[arg-type]

    async def fsma(request: Request) -> Response:
        """FDA's FSMA 204 template: an XLSX workbook (Introduction, Definitions, a tab per CTE),
        a zip of one CSV per CTE, or the CSV of one CTE (`cte=shipping`), of a trace (`traceId`,
        `direction`, `throughContainers`), a recall (`recallId`) or the whole ledger the caller
        sees, narrowed to products (`product`, repeated or comma-separated: material ids or
        names), an event-time range (`since`, `until`) and a lot code range (`lotFrom`, `lotTo`)."""
        q = request.query_params
        fmt = q.get("format", "xlsx").lower()
        if fmt not in TEMPLATE_FORMATS:
            return _refuse(400, f"format must be one of {', '.join(TEMPLATE_FORMATS)}, not {fmt[:20]!r}", "format")
        slugs = {cte_slug(c): c for c in CTES}
        cte = slugs.get(q.get("cte", "").lower().replace("_", "-").replace(" ", "-"))
        if fmt == "csv" and cte is None:
            return _refuse(400, f"format=csv needs `cte`, one of {', '.join(slugs)} (or format=zip for all)", "cte")
        raw_direction = q.get("direction", "FORWARD").upper()
        if raw_direction not in Direction.__members__:
            return _refuse(400, f"direction must be FORWARD or BACKWARD, not {raw_direction[:20]!r}", "direction")
        if q.get("traceId") and q.get("recallId"):
            return _refuse(400, "give `traceId` or `recallId`, not both", "recallId")
        times: dict[str, datetime | None] = {}
        for name in ("since", "until"):
            raw = q.get(name)
            try:
                at = datetime.fromisoformat(raw) if raw else None
            except ValueError:
                return _refuse(
                    400, f"`{name}` must be an ISO-8601 date or time (2026-01-31), not {(raw or '')[:40]!r}", name
                )
            times[name] = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
        since, until = times["since"], times["until"]
        if since is not None and until is not None and since >= until:
            return _refuse(400, "`since` must be before `until`", "since")
        lot_from, lot_to = q.get("lotFrom") or None, q.get("lotTo") or None
        if lot_from is not None and lot_to is not None and lot_from > lot_to:
            return _refuse(400, "`lotFrom` must not sort after `lotTo`", "lotFrom")
        products = [p.strip() for raw in q.getlist("product") for p in raw.split(",") if p.strip()]
        session = services.session(principal_of(request))
        try:
            tabs, meta = await session.export_fsma(
                trace_id=q.get("traceId") or None,
                direction=Direction(raw_direction),
                through_containers=q.get("throughContainers", "false").lower() == "true",
                recall_id=q.get("recallId") or None,
                products=products,
                since=since,
                until=until,
                lot_from=lot_from,
                lot_to=lot_to,
            )
        except DomainError as e:
            problem = e.problems[0]
            status = {"NOT_FOUND": 404, "INVALID": 400}.get(problem.code, 403)
            field = {"id": "recallId" if q.get("recallId") else "traceId"}.get(problem.field or "", problem.field)
            return _refuse(status, problem.message, field)
        await audit(session, "export:fsma", {k: v for k, v in q.items()})
        name = "fsma204-" + (
            f"trace-{q['traceId']}"
            if q.get("traceId")
            else f"recall-{q['recallId']}"
            if q.get("recallId")
            else "ledger"
        )
        if fmt == "csv" and cte is not None:
            return _file(template_csv(tabs[cte], cte), "csv", f"{name}-{cte_slug(cte)}")
        body = encode_template(fmt, tabs, meta)
        filename = f"{_SAFE.sub('_', name)[:80]}.{fmt}"
        return Response(
            body,
            media_type=TEMPLATE_FORMATS[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def audit_log(request: Request) -> Response:
        """The audit log as a file, streamed a page at a time: CSV (a header row, then one row per
        entry) or JSON (an array of entries). An ADMIN key gets its organization's entries; the
        admin key everyone's, or one organization's with `organizationId`."""
        fmt = request.query_params.get("format", "csv").lower()
        if fmt not in ("csv", "json"):
            return _refuse(400, f"format must be csv or json, not {fmt[:20]!r}", "format")
        times: dict[str, datetime | None] = {}
        for name in ("since", "until"):
            raw = request.query_params.get(name)
            try:
                at = datetime.fromisoformat(raw) if raw else None
            except ValueError:
                return _refuse(
                    400, f"`{name}` must be an ISO-8601 time (2026-11-23T10:00:00Z), not {(raw or '')[:40]!r}", name
                )
            times[name] = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
        since, until = times["since"], times["until"]
        if since is not None and until is not None and since >= until:
            return _refuse(400, "`since` must be before `until`", "since")
        session = services.session(principal_of(request))
        try:
            org, entries = session.audit_entries(request.query_params.get("organizationId") or None, since, until)
        except DomainError as e:
            return _refuse(403, f"{e.problems[0].message}: the audit log is for ADMIN keys", None)
        await audit(session, "export:audit", {"format": fmt, "organizationId": org, "since": since, "until": until})

        async def as_csv() -> AsyncIterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(DA.COLUMNS)
            async for e in entries:
                writer.writerow(DA.csv_cells(e))
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        async def as_json() -> AsyncIterator[str]:
            chunk, sep = ["["], ""
            async for e in entries:
                chunk.append(sep + json.dumps(DA.record(e), separators=(",", ":")))
                sep = ",\n"
                if len(chunk) >= 500:
                    yield "".join(chunk)
                    chunk = []
            chunk.append("]\n")
            yield "".join(chunk)

        name = f"audit-{org or 'all'}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        return StreamingResponse(
            as_csv() if fmt == "csv" else as_json(),
            media_type=FORMATS[fmt],
            headers={"Content-Disposition": f'attachment; filename="{_SAFE.sub("_", name)[:100]}.{fmt}"'},
        )

    return [
        Route("/exports/audit", audit_log, methods=["GET"]),
        Route("/exports/trace", trace, methods=["GET"]),
        Route("/exports/fsma", fsma, methods=["GET"]),
        Route("/exports/recalls/{recall_id}", recall, methods=["GET"]),
    ]
