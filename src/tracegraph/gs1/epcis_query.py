"""The standard EPCIS 2.0 query parameters (GET /events): parsing, and matching an event against them.

Time bounds and a single exact EPC are answered by the store (`EventFilter`); the other
parameters are checked here, on each event as EPCIS gives it back, while the store's
pages are walked in commit order.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.events import EventRecord
from . import vocab
from .epcis_validate import EpcisError, parse_time
from .identifiers import canonical

SCAN_PAGE = 500
MAX_SCAN = 20_000  # events walked per request at most; a page may come back short, with a token
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000

_TIMES = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
_EQ = (
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "WD_readPoint",
    "WD_bizLocation",
    "EQ_persistentDisposition_set",
    "EQ_persistentDisposition_unset",
    "EQ_eventID",
    "eventType",
)
_MATCH = (
    "MATCH_epc",
    "MATCH_parentID",
    "MATCH_inputEPC",
    "MATCH_outputEPC",
    "MATCH_anyEPC",
    "MATCH_epcClass",
    "MATCH_inputEPCClass",
    "MATCH_outputEPCClass",
    "MATCH_anyEPCClass",
)
_TYPED = ("EQ_bizTransaction_", "EQ_source_", "EQ_destination_")
_PAGING = ("perPage", "nextPageToken")


@dataclass
class Params:
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    eq: dict[str, list[str]] = field(default_factory=dict)
    match: dict[str, list[str]] = field(default_factory=dict)
    typed: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (list, type) -> values


def parse(query: Mapping[str, list[str]]) -> tuple[Params, int, str | None, list[EpcisError]]:
    """Parameters, perPage, nextPageToken and the errors (unknown or malformed parameters)."""
    p = Params()
    errors: list[EpcisError] = []
    per_page, token = DEFAULT_PER_PAGE, None
    for name, raw in query.items():
        values = [v for r in raw for v in r.split("|") if v != ""]
        if name in _TIMES:
            t = parse_time(raw[-1]) if raw else None
            if t is None:
                errors.append(EpcisError(name, f"{name} must be a date and time with a time zone offset"))
                continue
            setattr(
                p,
                {
                    "GE_eventTime": "ge_event_time",
                    "LT_eventTime": "lt_event_time",
                    "GE_recordTime": "ge_record_time",
                    "LT_recordTime": "lt_record_time",
                }[name],
                t,
            )
        elif name in _EQ:
            p.eq[name] = values
        elif name in _MATCH:
            p.match[name] = values
        elif name.startswith(_TYPED) and name.split("_", 2)[2]:
            prefix, kind = name[: name.index("_", 3) + 1], name.split("_", 2)[2]
            p.typed[(prefix, kind)] = values
        elif name == "perPage":
            if not raw[-1].isdigit() or not 1 <= int(raw[-1]) <= MAX_PER_PAGE:
                errors.append(EpcisError(name, f"perPage must be a whole number from 1 to {MAX_PER_PAGE}"))
            else:
                per_page = int(raw[-1])
        elif name == "nextPageToken":
            token = raw[-1]
            if decode_token(token) is None and token:
                errors.append(EpcisError(name, "not a page token this server gave"))
        else:
            errors.append(EpcisError(name, f"unknown query parameter {name}"))
    return p, per_page, token, errors


def encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_token(token: str | None) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text[4:]) if text.startswith("seq:") and text[4:].isdigit() else None


# -- matching ----------------------------------------------------------------------------------

_key = canonical


def _epc_matches(value: str, patterns: list[str]) -> bool:
    """EPCIS 8.2.7.1.1: the same identifier (its URN or its Digital Link), or a pattern ending in *."""
    key = _key(value)
    for p in patterns:
        if p.endswith("*"):
            stem = p[:-1].replace("urn:epc:idpat:", "urn:epc:id:", 1)
            cls = p[:-1].replace("urn:epc:idpat:", "urn:epc:class:", 1)
            if value.startswith((stem, cls, p[:-1])):
                return True
        elif value == p or key == _key(p):
            return True
    return False


def _epcs(event: dict[str, Any], *keys: str) -> list[str]:
    return [x for k in keys for x in event.get(k) or [] if isinstance(x, str)]


def _classes(event: dict[str, Any], *keys: str) -> list[str]:
    return [q["epcClass"] for k in keys for q in event.get(k) or [] if isinstance(q, dict) and "epcClass" in q]


def _vocab_eq(value: Any, wanted: list[str], expand: Any) -> bool:
    return isinstance(value, str) and expand(value) in {expand(w) for w in wanted}


def matches(event: dict[str, Any], record: EventRecord, p: Params, trees: dict[str, set[str]]) -> bool:
    if p.ge_record_time and record.recorded_at < p.ge_record_time:
        return False
    if p.lt_record_time and record.recorded_at >= p.lt_record_time:
        return False
    t = parse_time(event.get("eventTime", ""))
    if t is not None and ((p.ge_event_time and t < p.ge_event_time) or (p.lt_event_time and t >= p.lt_event_time)):
        return False
    for name, wanted in p.eq.items():
        if name == "eventType" and event.get("type") not in wanted:
            return False
        if name == "EQ_eventID" and event.get("eventID") not in wanted:
            return False
        if name == "EQ_action" and event.get("action") not in wanted:
            return False
        if name == "EQ_bizStep" and not _vocab_eq(event.get("bizStep"), wanted, vocab.biz_step):
            return False
        if name == "EQ_disposition" and not _vocab_eq(event.get("disposition"), wanted, vocab.disposition):
            return False
        if name.startswith("EQ_persistentDisposition_"):
            got = (event.get("persistentDisposition") or {}).get(name.rsplit("_", 1)[1]) or []
            if not {vocab.disposition(x) for x in got} & {vocab.disposition(w) for w in wanted}:
                return False
        for where in ("readPoint", "bizLocation"):
            loc = (event.get(where) or {}).get("id")
            if name == f"EQ_{where}" and loc not in wanted:
                return False
            if name == f"WD_{where}" and not any(loc in trees.get(w, {w}) for w in wanted):
                return False
    for (prefix, kind), wanted in p.typed.items():
        list_name, key = {
            "EQ_bizTransaction_": ("bizTransactionList", "bizTransaction"),
            "EQ_source_": ("sourceList", "source"),
            "EQ_destination_": ("destinationList", "destination"),
        }[prefix]
        got = [
            e.get(key)
            for e in event.get(list_name) or []
            if isinstance(e, dict) and vocab.short(e.get("type")) == vocab.short(kind)
        ]
        if not set(got) & set(wanted):
            return False
    m = p.match
    checks = {
        "MATCH_epc": lambda: _epcs(event, "epcList", "childEPCs"),
        "MATCH_parentID": lambda: [event["parentID"]] if isinstance(event.get("parentID"), str) else [],
        "MATCH_inputEPC": lambda: _epcs(event, "inputEPCList"),
        "MATCH_outputEPC": lambda: _epcs(event, "outputEPCList"),
        "MATCH_anyEPC": lambda: (
            _epcs(event, "epcList", "childEPCs", "inputEPCList", "outputEPCList")
            + ([event["parentID"]] if isinstance(event.get("parentID"), str) else [])
        ),
        "MATCH_epcClass": lambda: _classes(event, "quantityList", "childQuantityList"),
        "MATCH_inputEPCClass": lambda: _classes(event, "inputQuantityList"),
        "MATCH_outputEPCClass": lambda: _classes(event, "outputQuantityList"),
        "MATCH_anyEPCClass": lambda: _classes(
            event, "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"
        ),
    }
    for name, wanted in m.items():
        if not any(_epc_matches(v, wanted) for v in checks[name]()):
            return False
    return True
