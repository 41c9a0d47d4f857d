"""The EPCIS 2.0 REST binding under /epcis: thin Starlette handlers, each parsing its request,
calling one use case of the caller's session (services/epcis.py) and mapping the answer."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..domain.capture import CaptureJob
from ..domain.errors import DomainError
from ..domain.query import Direction
from ..gs1 import epcis_query as Q
from ..gs1.epcis_validate import EpcisError
from ..http.authn import audit, principal_of
from ..services.epcis import Refused, document, query_document
from ..services.session import EpcisSession, Services, Session

log = logging.getLogger(__name__)
JSONLD = "application/ld+json"


def _refusal(e: Refused) -> JSONResponse:
    return JSONResponse(e.as_json(), status_code=e.status)


def _job_json(job: CaptureJob, behaviour: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "captureID": job.id,
        "createdAt": job.created_at.isoformat().replace("+00:00", "Z"),
        "running": job.running,
        "success": job.success,
        "errors": job.errors,
        "eventCount": job.event_count,
    }
    if job.finished_at:
        out["finishedAt"] = job.finished_at.isoformat().replace("+00:00", "Z")
    if behaviour:
        out["captureErrorBehaviour"] = behaviour
    return out


async def _json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused(400, [EpcisError("", f"the body is not JSON: {str(e)[:200]}")], "the body is not JSON") from e


def _not_found(title: str) -> JSONResponse:
    return JSONResponse(
        {"type": "epcisException:NoSuchResourceException", "title": title, "status": 404}, status_code=404
    )


def routes(services: Services) -> list[Route]:
    def session(request: Request) -> Session:
        return services.session(principal_of(request))

    def epcis(request: Request) -> EpcisSession:
        return session(request).epcis

    async def capture(request: Request) -> Response:
        behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower()
        caller = session(request)
        try:
            result = await caller.epcis.capture_document(await _json_body(request), behaviour)
        except Refused as e:
            return _refusal(e)
        await audit(caller, "epcis:capture", {"captureID": result.job.id, "events": result.job.event_count})
        return JSONResponse(
            _job_json(result.job, behaviour), status_code=202, headers={"Location": f"/epcis/capture/{result.job.id}"}
        )

    async def capture_job(request: Request) -> Response:
        job = await epcis(request).capture_job(request.path_params["capture_id"])
        if job is None:
            return _not_found("no such capture job")
        return JSONResponse(_job_json(job))

    async def capture_event(request: Request) -> Response:
        caller = session(request)
        try:
            event_id = await caller.epcis.capture_event(await _json_body(request))
        except Refused as e:
            return _refusal(e)
        await audit(caller, "epcis:event", {"eventID": event_id})
        return JSONResponse(
            {"eventID": event_id}, status_code=201, headers={"Location": f"/epcis/events/{quote(event_id, safe='')}"}
        )

    async def one_event(request: Request) -> Response:
        event = await epcis(request).event(request.path_params["event_id"])
        if event is None:
            return _not_found("no such event")
        return JSONResponse({"@context": document([]).get("@context"), **event}, media_type=JSONLD)

    async def events(request: Request) -> Response:
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        params, per_page, token, errors = Q.parse(query)
        if errors:
            return JSONResponse(
                {
                    "type": "epcisException:QueryParameterException",
                    "title": "unknown or malformed query parameters: " + ", ".join(e.field for e in errors),
                    "status": 400,
                    "errors": [e.as_json() for e in errors],
                },
                status_code=400,
            )
        found, contexts, next_token = await epcis(request).query(params, per_page, token)
        headers = {}
        if next_token:
            rest = [(k, v) for k in query if k != "nextPageToken" for v in query[k]]
            link = f"{request.url.path}?{urlencode([*rest, ('nextPageToken', next_token)])}"
            headers["Link"] = f'<{link}>; rel="next"'
        return JSONResponse(query_document(found, contexts), headers=headers, media_type=JSONLD)

    async def trace(request: Request) -> Response:
        root = request.query_params.get("id")
        direction = request.query_params.get("direction", "FORWARD").upper()
        if not root or direction not in Direction.__members__:
            return JSONResponse(
                {
                    "type": "epcisException:QueryParameterException",
                    "status": 400,
                    "title": "id (an item) and direction (FORWARD or BACKWARD) are required",
                },
                status_code=400,
            )
        caller = session(request)
        await audit(caller, "epcis:trace", {"id": root, "direction": direction})
        try:
            doc = await caller.epcis.export_trace(root, Direction(direction))
        except DomainError as e:
            return _not_found(e.problems[0].message)
        return JSONResponse(doc, media_type=JSONLD)

    async def recall(request: Request) -> Response:
        caller = session(request)
        recall_id = request.path_params["recall_id"]
        doc = await caller.epcis.export_recall(recall_id)
        if doc is None:
            return _not_found(f"unknown recall {recall_id[:200]}")
        await audit(caller, "epcis:recall", {"id": recall_id})
        return JSONResponse(doc, media_type=JSONLD)

    return [
        Route("/capture", capture, methods=["POST"]),
        Route("/capture/{capture_id}", capture_job, methods=["GET"]),
        Route("/events", capture_event, methods=["POST"]),
        Route("/events", events, methods=["GET"]),
        Route("/events/{event_id:path}", one_event, methods=["GET"]),
        Route("/trace", trace, methods=["GET"]),
        Route("/recalls/{recall_id}", recall, methods=["GET"]),
    ]
