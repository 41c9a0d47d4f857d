"""Form checks of EPCIS 2.0 input: the GS1 JSON schema, then identifiers, units, quantities and times.

Every error names the event it is about (its index in the document and its eventID, when the
event has one) and the field, as a JSON path inside the event (`epcList[2]`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from ..domain.models import MAX_ID_LENGTH
from ..domain.units import MAX_UNIT_LENGTH

EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent", "AssociationEvent")


@dataclass(frozen=True)
class EpcisError:
    field: str
    message: str
    index: int | None = None  # the event's index in the document's eventList
    event_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        return {"index": d["index"], "eventID": d["event_id"], "field": d["field"], "message": d["message"]}


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("tracegraph") / "gs1" / "schema" / "EPCIS-JSON-Schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _document_validator() -> Draft7Validator:
    return Draft7Validator(schema())


@cache
def _event_validator() -> Draft7Validator:
    s = schema()
    # One event, as it stands in an eventList (no @context of its own needed).
    return Draft7Validator({"$ref": "#/definitions/EPCIS-Document-Event", "definitions": s["definitions"]})


@cache
def _fast_event_check() -> Any:
    """The same schema compiled to Python (fastjsonschema): about 30 times faster than
    jsonschema, so a large document's valid events are checked quickly; an event it refuses
    is checked again with jsonschema, which names every error. Formats are not asserted by
    either (times are checked below)."""
    s = schema()
    return fastjsonschema.compile(
        {"$ref": "#/definitions/EPCIS-Document-Event", "definitions": s["definitions"]}, use_formats=False
    )


def _schema_valid(event: Any) -> bool:
    try:
        _fast_event_check()(event)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@cache
def _standalone_validator() -> Draft7Validator:
    """A single event sent on its own (POST /events): the schema's top level, with @context."""
    return Draft7Validator(schema())


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _deepest(error: ValidationError) -> ValidationError:
    """Of a failed anyOf/oneOf, the branch error that got furthest into the event."""
    best = error
    for sub in error.context or ():
        cand = _deepest(sub)
        if len(cand.absolute_path) > len(best.absolute_path):
            best = cand
    return best


def _message(error: ValidationError) -> str:
    text = error.message
    return text if len(text) <= 300 else text[:297] + "..."


def _event_id(event: Any) -> str | None:
    if isinstance(event, dict) and isinstance(event.get("eventID"), str):
        return event["eventID"][:MAX_ID_LENGTH]
    return None


def check_document(doc: Any) -> tuple[list[EpcisError], dict[int, list[EpcisError]]]:
    """Errors of the document itself, and errors per event index."""
    if not isinstance(doc, dict):
        return [EpcisError("", "an EPCISDocument must be a JSON object")], {}
    if doc.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        return [
            EpcisError(
                "type", f"expected an EPCISDocument (or an EPCISQueryDocument), got type {str(doc.get('type'))[:60]!r}"
            )
        ], {}
    body = doc.get("epcisBody")
    holder: Any = body
    if doc["type"] == "EPCISQueryDocument":
        results = body.get("queryResults") if isinstance(body, dict) else None
        holder = results.get("resultsBody") if isinstance(results, dict) else None
    events = holder.get("eventList") if isinstance(holder, dict) else None
    doc_errors: list[EpcisError] = []
    per_event: dict[int, list[EpcisError]] = {}
    # The document without its events first, then each event on its own: a bad event is named
    # by its index, and a large document is not walked as one instance.
    shell = doc
    if isinstance(events, list):
        holder["eventList"] = []
        shell = json.loads(json.dumps(doc))  # a copy of the document without its events
        holder["eventList"] = events
    for error in _document_validator().iter_errors(shell):
        e = _deepest(error)
        doc_errors.append(EpcisError(_path(e.absolute_path), _message(e)))
    if not isinstance(events, list):
        return doc_errors, per_event
    validator = _event_validator()
    for i, event in enumerate(events):
        errors = (
            []
            if _schema_valid(event)
            else [
                EpcisError(_path(_deepest(e).absolute_path), _message(_deepest(e)), i, _event_id(event))
                for e in validator.iter_errors(event)
            ]
        )
        if not errors:
            errors = check_event_form(event, i)
        if errors:
            per_event[i] = errors
    return doc_errors, per_event


def check_single_event(event: Any) -> list[EpcisError]:
    if not isinstance(event, dict):
        return [EpcisError("", "an EPCIS event must be a JSON object", 0)]
    if event.get("type") not in (*EVENT_TYPES,) and not isinstance(event.get("type"), str):
        return [EpcisError("type", "an EPCIS event needs a type", 0, _event_id(event))]
    validator = _standalone_validator() if "@context" in event else _event_validator()
    errors = [
        EpcisError(_path(_deepest(e).absolute_path), _message(_deepest(e)), 0, _event_id(event))
        for e in validator.iter_errors(event)
    ]
    return errors or check_event_form(event, 0)


# -- beyond the schema -----------------------------------------------------------------------

_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_ID_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QTY_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def parse_time(value: object) -> datetime | None:
    """An xsd:dateTime with its offset, or None (also for a value that is not a string)."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _bad_id(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a non-empty identifier"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"
    if not _PRINTABLE.fullmatch(value):
        return "may hold printable ASCII characters only, without spaces"
    if ":" not in value:
        return "must be a URI (an EPC URN or a GS1 Digital Link URI)"
    return None


def check_event_form(event: dict[str, Any], index: int) -> list[EpcisError]:
    eid = _event_id(event)
    errors: list[EpcisError] = []

    def err(field: str, message: str) -> None:
        errors.append(EpcisError(field, message, index, eid))

    if "eventID" in event and (problem := _bad_id(event["eventID"])):
        err("eventID", f"eventID {problem}")
    for key in ("eventTime", "recordTime"):
        if key in event and parse_time(event[key]) is None:
            err(
                key,
                f"{key} must be a date and time with a time zone offset (xsd:dateTime), got {str(event[key])[:60]!r}",
            )
    decl = event.get("errorDeclaration")
    if isinstance(decl, dict) and parse_time(decl.get("declarationTime")) is None:
        err("errorDeclaration.declarationTime", "declarationTime must be a date and time with a time zone offset")
    for key in (*_ID_FIELDS, "parentID"):
        values = event.get(key)
        for n, value in enumerate(values if isinstance(values, list) else [values] if values is not None else []):
            if problem := _bad_id(value):
                err(f"{key}[{n}]" if key != "parentID" else key, f"identifier {problem}")
    for key in _QTY_FIELDS:
        for n, q in enumerate(event.get(key) or []):
            if not isinstance(q, dict):
                continue
            if problem := _bad_id(q.get("epcClass")):
                err(f"{key}[{n}].epcClass", f"epcClass {problem}")
            qty = q.get("quantity")
            if qty is not None and (
                isinstance(qty, bool)
                or not isinstance(qty, int | float)
                or qty <= 0
                or qty != qty
                or qty in (float("inf"), float("-inf"))
            ):
                err(f"{key}[{n}].quantity", f"quantity must be a number greater than zero, got {qty!r}")
            uom = q.get("uom")
            if uom is not None and (not isinstance(uom, str) or not uom.isalnum() or len(uom) > MAX_UNIT_LENGTH):
                err(f"{key}[{n}].uom", f"uom must be a UN/ECE Recommendation 20 unit code, got {str(uom)[:20]!r}")
            if uom is not None and qty is None:
                err(f"{key}[{n}].uom", "a uom needs a quantity")
    for key in ("readPoint", "bizLocation"):
        loc = event.get(key)
        if isinstance(loc, dict) and (problem := _bad_id(loc.get("id"))):
            err(f"{key}.id", f"location id {problem}")
    for key in ("sourceList", "destinationList"):
        kind = key[: -len("List")]
        for n, s in enumerate(event.get(key) or []):
            if isinstance(s, dict) and (problem := _bad_id(s.get(kind))):
                err(f"{key}[{n}].{kind}", f"{kind} {problem}")
    for n, bt in enumerate(event.get("bizTransactionList") or []):
        if isinstance(bt, dict) and (problem := _bad_id(bt.get("bizTransaction"))):
            err(f"bizTransactionList[{n}].bizTransaction", f"bizTransaction {problem}")
    for n, element in enumerate(event.get("sensorElementList") or []):
        if not isinstance(element, dict):
            continue
        meta = element.get("sensorMetadata") or {}
        for key in ("time", "startTime", "endTime"):
            if key in meta and parse_time(meta[key]) is None:
                err(f"sensorElementList[{n}].sensorMetadata.{key}", f"{key} must be a date and time with an offset")
        for r, report in enumerate(element.get("sensorReport") or []):
            if isinstance(report, dict) and "time" in report and parse_time(report["time"]) is None:
                err(f"sensorElementList[{n}].sensorReport[{r}].time", "time must be a date and time with an offset")
    return errors
