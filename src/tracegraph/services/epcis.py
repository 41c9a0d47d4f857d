"""The EPCIS door's use cases: capture, query and export, on the one ledger GraphQL serves."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ..domain.auth import Principal
from ..domain.capture import CaptureJob
from ..domain.errors import AccessDenied, DomainError
from ..domain.events import MAX_LINES, EventCommand, EventRecord, Source
from ..domain.query import EventFilter
from ..gs1 import epcis_events as M
from ..gs1 import epcis_query as Q
from ..gs1.epcis_validate import EpcisError, check_document, check_single_event
from ..gs1.identifiers import canonical
from ..store.port import CaptureJobs
from .ledger import MAX_BATCH, Ledger
from .visibility import Visibility

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
MAX_JOB_ERRORS = 50  # a capture job keeps the first errors; the 4xx answer gives them all


class Refused(Exception):
    """Input refused whole: `status` 400 (malformed), 413 (too large), 404, 409."""

    def __init__(self, status: int, errors: list[EpcisError], title: str):
        self.status = status
        self.errors = errors
        self.title = title
        super().__init__(title)

    def as_json(self) -> dict[str, Any]:
        kinds = {
            400: "ValidationException",
            403: "SecurityException",
            404: "NoSuchResourceException",
            413: "CaptureLimitExceededException",
        }
        return {
            "type": f"epcisException:{kinds.get(self.status, 'ImplementationException')}",
            "title": self.title,
            "status": self.status,
            "errors": [e.as_json() for e in self.errors],
        }


@dataclass
class CaptureResult:
    job: CaptureJob
    event_ids: list[str] = field(default_factory=list)


def events_of_document(doc: dict[str, Any]) -> list[Any]:
    body = doc.get("epcisBody") or {}
    if doc.get("type") == "EPCISQueryDocument":
        return ((body.get("queryResults") or {}).get("resultsBody") or {}).get("eventList") or []
    return body.get("eventList") or []


# The lists of an event that become the lines of one side of a ledger event (mapping.py).
_SIDES = (
    ("epcList", "quantityList", "childEPCs", "childQuantityList"),
    ("inputEPCList", "inputQuantityList"),
    ("outputEPCList", "outputQuantityList"),
)


def line_errors(events: Sequence[Any]) -> dict[int, list[EpcisError]]:
    """Events with more EPCs and quantities on one side than a ledger event holds (MAX_LINES),
    by index: refused with the count and the cap rather than failing later."""
    out: dict[int, list[EpcisError]] = {}
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            continue
        for side in _SIDES:
            count = sum(len(e[k]) for k in side if isinstance(e.get(k), list))
            if count > MAX_LINES:
                present = [k for k in side if isinstance(e.get(k), list) and e[k]]
                out.setdefault(i, []).append(
                    EpcisError(
                        "/".join(present),
                        f"{count} EPCs and quantities in {' and '.join(present)}; at most {MAX_LINES} "
                        "per event: split it into several events",
                        i,
                        e.get("eventID") if isinstance(e.get("eventID"), str) else None,
                    )
                )
    return out


def _denied(e: AccessDenied, cmds: Sequence[EventCommand]) -> Refused:
    """Events the caller may not record, each named: 404 when it names what the caller may not
    see, 403 when what it may see but not change."""
    errors = []
    for p in e.problems:
        m = re.match(r"events\[(\d+)\]\.(.*)", p.field or "")
        n, field = (int(m.group(1)), m.group(2)) if m else (0, p.field or "")
        errors.append(EpcisError(field, p.message, None, cmds[n].id if n < len(cmds) else None))
    status = 404 if any(p.code == "NOT_FOUND" for p in e.problems) else 403
    return Refused(status, errors, "events the caller may not record: nothing was captured")


class Epcis:
    def __init__(self, ledger: Ledger, max_events: int = MAX_BATCH):
        self.ledger = ledger
        self.store: CaptureJobs = ledger.store
        self.max_events = min(max_events, MAX_BATCH)

    # -- capture ----------------------------------------------------------------------------

    async def capture_document(
        self,
        doc: Any,
        behaviour: str = "rollback",
        by: Principal | None = None,
    ) -> CaptureResult:
        if behaviour not in ("rollback", "proceed"):
            raise Refused(
                400,
                [EpcisError("GS1-Capture-Error-Behaviour", f"must be rollback or proceed, got {behaviour[:40]!r}")],
                "unknown capture error behaviour",
            )
        events = events_of_document(doc) if isinstance(doc, dict) else []
        if isinstance(events, list) and len(events) > self.max_events:
            raise Refused(
                413,
                [
                    EpcisError(
                        "epcisBody.eventList",
                        f"{len(events)} events; at most {self.max_events} per capture (TRACEGRAPH_EPCIS_MAX_EVENTS)",
                    )
                ],
                "too many events",
            )
        oversized = line_errors(events) if isinstance(events, list) else {}
        if oversized and behaviour == "rollback":
            raise Refused(
                413,
                [e for i in sorted(oversized) for e in oversized[i]],
                f"{len(oversized)} events with too many EPCs or quantities: nothing was captured",
            )
        doc_errors, per_event = await asyncio.to_thread(check_document, doc)  # CPU: off the event loop
        if doc_errors:
            raise Refused(400, doc_errors, "the document is not valid EPCIS 2.0")
        for i, errs in oversized.items():
            per_event[i] = [*per_event.get(i, []), *errs]
        errors = [e for i in sorted(per_event) for e in per_event[i]]
        if errors and behaviour == "rollback":
            raise Refused(
                400, errors, f"{len(per_event)} of {len(events)} events are not valid EPCIS 2.0: nothing was captured"
            )
        good = [e for i, e in enumerate(events) if i not in per_event]
        created = datetime.now(UTC)
        ids = await self._record(good, doc.get("@context"), by)
        job = CaptureJob(
            id=uuid.uuid4().hex,
            running=False,
            success=not errors,
            created_at=created,
            finished_at=datetime.now(UTC),
            errors=[e.as_json() for e in errors[:MAX_JOB_ERRORS]],
            event_count=len(good),
            organization_id=by.organization_id if by is not None and not by.is_admin else None,
        )
        await self.store.save_capture(job)
        return CaptureResult(job, ids)

    async def capture_event(self, event: Any, by: Principal | None = None) -> str:
        oversized = line_errors([event]).get(0)
        if oversized:
            raise Refused(413, oversized, "the event has too many EPCs or quantities")
        errors = check_single_event(event)
        if errors:
            raise Refused(400, errors, "the event is not valid EPCIS 2.0")
        return (await self._record([event], event.get("@context"), by))[0]

    async def _record(
        self,
        events: Sequence[dict[str, Any]],
        context: Any,
        by: Principal | None = None,
    ) -> list[str]:
        if not events:
            return []
        # A URN and its Digital Link name one item: the one it was first captured as.
        keys = {i: canonical(i) for e in events for i in M.item_ids(e)}
        known = await self.store.aliases(sorted(set(keys.values())))
        fresh: dict[str, str] = {}
        for identifier, key in keys.items():
            if key not in known and key not in fresh:
                fresh[key] = identifier

        def resolve(identifier: str) -> str:
            key = keys.get(identifier) or canonical(identifier)
            return known.get(key) or fresh.get(key) or identifier

        cmds = []
        for e in events:
            try:
                cmds.append(M.to_command(e, context, resolve))
            except ValidationError as exc:  # a form the checks above let through: a 400, never a 500
                err = exc.errors(include_url=False)[0]
                raise Refused(
                    400,
                    [
                        EpcisError(
                            ".".join(str(p) for p in err["loc"]),
                            err["msg"],
                            None,
                            e.get("eventID") if isinstance(e.get("eventID"), str) else None,
                        )
                    ],
                    "an event cannot be recorded: nothing was captured",
                ) from exc
        if fresh:  # before the events: an alias never names an item no event created
            await self.store.add_aliases(fresh)
        await self._record_facts(cmds, by)
        return [M.event_id(e, context) for e in events]

    async def _record_facts(self, cmds: list[EventCommand], by: Principal | None = None) -> None:
        """Record the facts in one transaction. A fact whose ledger form cannot be planned is
        recorded as a sighting of its items instead (see mapping.as_observation)."""
        for _ in range(3):
            try:
                await self.ledger.record_many(cmds, Source.FACT, by)
                return
            except AccessDenied as e:
                raise _denied(e, cmds) from e
            except DomainError as e:
                bad = set()
                for p in e.problems:
                    m = re.match(r"events\[(\d+)\]", p.field or "")
                    bad.add(int(m.group(1)) if m else 0 if len(cmds) == 1 else -1)
                if -1 in bad or all(cmds[i].type.value == "OBSERVE" for i in bad):
                    raise Refused(
                        422, [EpcisError(p.field or "", p.message) for p in e.problems], "the events cannot be recorded"
                    ) from e
                cmds = [M.as_observation(c) if i in bad else c for i, c in enumerate(cmds)]
        raise Refused(422, [], "the events cannot be recorded")

    async def capture_job(self, capture_id: str, by: Principal | None = None) -> CaptureJob | None:
        """A capture job of the caller's organization (the admin key: any); another's is unknown."""
        job = await self.store.capture(capture_id)
        if job is None or by is None or by.is_admin or job.organization_id == by.organization_id:
            return job
        return None

    # -- query ------------------------------------------------------------------------------

    async def event(self, event_id: str, visibility: Visibility | None = None) -> dict[str, Any] | None:
        found = await self.ledger.events_by_id([event_id])
        records = [found[event_id]] if event_id in found else []
        if visibility is not None:
            records = await visibility.events(records)
        return M.to_epcis(records[0]) if records else None

    async def query(
        self, params: Q.Params, per_page: int, token: str | None, visibility: Visibility | None = None
    ) -> tuple[list[dict[str, Any]], list[Any], str | None]:
        """One page of events matching `params`, the @context parts they were captured with,
        and the token of the next page (or None)."""
        after = Q.decode_token(token)
        filt = EventFilter(since=params.ge_event_time, until=params.lt_event_time)
        match = await self._item_filter(params)
        if match:
            filt = EventFilter(since=filt.since, until=filt.until, item_id=match)
        locations = await self._location_trees(params)
        out: list[dict[str, Any]] = []
        contexts: list[Any] = []
        scanned = 0
        while len(out) < per_page:
            page = await self.ledger.events(filt, after, Q.SCAN_PAGE)
            shown = {e.id: e for e in await visibility.events([r for _, r in page])} if visibility else None
            for seq, record in page:
                after = seq
                if shown is not None:
                    if record.id not in shown:
                        continue
                    record = shown[record.id]
                event = M.to_epcis(record)
                if Q.matches(event, record, params, locations):
                    out.append(event)
                    contexts.append(record.command.extensions.get(M.CONTEXT_KEY))
                    if len(out) == per_page:
                        break
            scanned += len(page)
            if len(page) < Q.SCAN_PAGE and len(out) < per_page:
                return out, contexts, None
            if scanned >= Q.MAX_SCAN:
                break
        return out, contexts, Q.encode_token(after) if after is not None else None

    async def _item_filter(self, params: Q.Params) -> str | None:
        """One exact EPC to look events up by, when the query names exactly one."""
        values = params.match.get("MATCH_epc") or params.match.get("MATCH_anyEPC")
        if values and len(values) == 1 and not values[0].endswith("*") and len(params.match) == 1:
            known = await self.store.aliases([canonical(values[0])])
            item = known.get(canonical(values[0]), values[0])
            return item
        return None

    async def _location_trees(self, params: Q.Params) -> dict[str, set[str]]:
        """For each WD_ location: itself and every location below it in the location tree."""
        roots = {v for key in ("WD_readPoint", "WD_bizLocation") for v in params.eq.get(key, [])}
        if not roots:
            return {}
        children: dict[str, list[str]] = {}
        after: str | None = None
        while True:
            page = await self.ledger.page("Location", after, 1000)
            for loc in page:
                if loc.parent_id:
                    children.setdefault(loc.parent_id, []).append(loc.id)
            if len(page) < 1000:
                break
            after = page[-1].id
        out = {}
        for root in roots:
            seen, todo = {root}, [root]
            while todo:
                for c in children.get(todo.pop(), []):
                    if c not in seen:
                        seen.add(c)
                        todo.append(c)
            out[root] = seen
        return out

    # -- export -----------------------------------------------------------------------------

    async def export_items(self, item_ids: Iterable[str], visibility: Visibility | None = None) -> dict[str, Any]:
        """An EPCISDocument of every event that touched the items (a trace, a recall), in
        commit order, each once; only those `visibility` shows, redacted."""
        ids = list(dict.fromkeys(item_ids))
        by_item = await self.ledger.events_of_items(ids) if ids else {}
        seen: dict[str, EventRecord] = {}
        for records in by_item.values():
            for r in records:
                seen.setdefault(r.id, r)
        shown = list(seen.values()) if visibility is None else await visibility.events(list(seen.values()))
        records = sorted(shown, key=lambda r: (r.recorded_at, r.event_time, r.id))
        return document([M.to_epcis(r) for r in records], [r.command.extensions.get(M.CONTEXT_KEY) for r in records])


def document(events: list[dict[str, Any]], contexts: Iterable[Any] = ()) -> dict[str, Any]:
    return {
        "@context": context_of(contexts),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": events},
    }


def context_of(contexts: Iterable[Any]) -> list[Any]:
    """The standard context and the prefixes the events were captured with (first one wins)."""
    prefixes: dict[str, Any] = {}
    for ctx in contexts:
        for part in ctx or []:
            if isinstance(part, dict):
                for k, v in part.items():
                    prefixes.setdefault(k, v)
    extra = [{k: v} for k, v in prefixes.items()]
    extra.append({"tg": M.TG})
    return [*CONTEXT, *extra]


def query_document(events: list[dict[str, Any]], records_context: Iterable[Any] = ()) -> dict[str, Any]:
    return {
        "@context": context_of(records_context),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}},
    }
