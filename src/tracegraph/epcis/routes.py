"""The EPCIS 2.0 REST binding under /epcis: thin Starlette handlers over `Epcis`."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..authn import audit, principal_of
from ..services.recall import Recalls
from ..services.visibility import Visibility

from ..domain.capture import CaptureJob
from ..domain.query import Direction
from . import query as Q
from .service import Epcis, Refused, document, query_document
from .validate import EpcisError

log = logging.getLogger(__name__)
JSONLD = "application/ld+json"


def _refusal(e: Refused) -> JSONResponse:
    return JSONResponse(e.as_json(), status_code=e.status)


def _job_json(job: CaptureJob, behaviour: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"captureID": job.id, "createdAt": job.created_at.isoformat().replace("+00:00", "Z"),
                           "running": job.running, "success": job.success, "errors": job.errors,
                           "eventCount": job.event_count}
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


def _visibility(epcis: Epcis, request: Request) -> Visibility:
    return Visibility(epcis.ledger.store, principal_of(request))


def routes(epcis: Epcis) -> list[Route]:
    async def capture(request: Request) -> Response:
        behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower()
        try:
            result = await epcis.capture_document(await _json_body(request), behaviour, by=principal_of(request))
        except Refused as e:
            return _refusal(e)
        await audit(epcis.ledger.store, request, "epcis:capture", {"captureID": result.job.id,
                                                                   "events": result.job.event_count})
        return JSONResponse(_job_json(result.job, behaviour), status_code=202,
                            headers={"Location": f"/epcis/capture/{result.job.id}"})

    async def capture_job(request: Request) -> Response:
        job = await epcis.capture_job(request.path_params["capture_id"], principal_of(request))
        if job is None:
            return JSONResponse({"type": "epcisException:NoSuchResourceException", "title": "no such capture job",
                                 "status": 404}, status_code=404)
        return JSONResponse(_job_json(job))

    async def capture_event(request: Request) -> Response:
        try:
            event_id = await epcis.capture_event(await _json_body(request), by=principal_of(request))
        except Refused as e:
            return _refusal(e)
        await audit(epcis.ledger.store, request, "epcis:event", {"eventID": event_id})
        return JSONResponse({"eventID": event_id}, status_code=201,
                            headers={"Location": f"/epcis/events/{quote(event_id, safe='')}"})

    async def one_event(request: Request) -> Response:
        event = await epcis.event(request.path_params["event_id"], _visibility(epcis, request))
        if event is None:
            return JSONResponse({"type": "epcisException:NoSuchResourceException", "title": "no such event",
                                 "status": 404}, status_code=404)
        return JSONResponse({"@context": document([]).get("@context"), **event}, media_type=JSONLD)

    async def events(request: Request) -> Response:
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        params, per_page, token, errors = Q.parse(query)
        if errors:
            return JSONResponse({"type": "epcisException:QueryParameterException",
                                 "title": "unknown or malformed query parameters: "
                                          + ", ".join(e.field for e in errors),
                                 "status": 400, "errors": [e.as_json() for e in errors]}, status_code=400)
        found, contexts, next_token = await epcis.query(params, per_page, token, _visibility(epcis, request))
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
            return JSONResponse({"type": "epcisException:QueryParameterException", "status": 400,
                                 "title": "id (an item) and direction (FORWARD or BACKWARD) are required"},
                                status_code=400)
        await audit(epcis.ledger.store, request, "epcis:trace", {"id": root, "direction": direction})
        return JSONResponse(await epcis.export_trace(root, Direction(direction), _visibility(epcis, request)),
                            media_type=JSONLD)

    async def recall(request: Request) -> Response:
        recalls = Recalls(epcis.ledger, principal_of(request))
        found = await recalls.get_many([request.path_params["recall_id"]])
        recall = found.get(request.path_params["recall_id"])
        if recall is None:
            return JSONResponse({"type": "epcisException:NoSuchResourceException", "status": 404,
                                 "title": f"unknown recall {request.path_params['recall_id'][:200]}"}, status_code=404)
        seen = (await recalls.view(recall)).recall  # what the caller may see of it
        ids = [a.id for a in seen.affected] or list(seen.suspect_ids)
        await audit(epcis.ledger.store, request, "epcis:recall", {"id": recall.id})
        return JSONResponse(await epcis.export_items(ids, _visibility(epcis, request)), media_type=JSONLD)

    return [
        Route("/capture", capture, methods=["POST"]),
        Route("/capture/{capture_id}", capture_job, methods=["GET"]),
        Route("/events", capture_event, methods=["POST"]),
        Route("/events", events, methods=["GET"]),
        Route("/events/{event_id:path}", one_event, methods=["GET"]),
        Route("/trace", trace, methods=["GET"]),
        Route("/recalls/{recall_id}", recall, methods=["GET"]),
    ]
