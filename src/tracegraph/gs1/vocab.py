"""CBV vocabulary: bare short names (`shipping`) and their web URIs (`https://ref.gs1.org/cbv/BizStep-shipping`)."""

from __future__ import annotations

from typing import Any

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
_URN = {
    "urn:epcglobal:cbv:bizstep:": CBV + "BizStep-",
    "urn:epcglobal:cbv:disp:": CBV + "Disp-",
    "urn:epcglobal:cbv:btt:": CBV + "BTT-",
    "urn:epcglobal:cbv:sdt:": CBV + "SDT-",
    "urn:epcglobal:cbv:er:": CBV + "ER-",
}


def full(value: str, prefix: str) -> str:
    """A CBV value as its web URI: bare names get `prefix`, old URNs their web form, other URIs stay."""
    if not isinstance(value, str):
        return value
    for urn, web in _URN.items():
        if value.startswith(urn):
            return web + value[len(urn) :]
    if ":" in value:
        return value
    return prefix + value


def biz_step(value: str) -> str:
    return full(value, CBV + "BizStep-")


def disposition(value: str) -> str:
    return full(value, CBV + "Disp-")


def short(value: str | None) -> str | None:
    """`https://ref.gs1.org/cbv/BizStep-shipping` -> `shipping`; other values unchanged."""
    if not value:
        return value
    value = full(value, "")
    if value.startswith(CBV) and "-" in value:
        return value.split("-", 1)[1]
    return value


_NESTED = {
    "persistentDisposition",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "errorDeclaration",
    "sensorElementList",
}


def _copy(value: Any) -> Any:
    """A copy deep enough that expand_event changes nothing of the caller's (JSON values)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def expand_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of an event with every bare CBV value in its web URI form (as JSON-LD expansion gives)."""
    e = {k: _copy(v) if k in _NESTED else v for k, v in event.items() if k != "@context"}
    if isinstance(e.get("bizStep"), str):
        e["bizStep"] = biz_step(e["bizStep"])
    if isinstance(e.get("disposition"), str):
        e["disposition"] = disposition(e["disposition"])
    pd = e.get("persistentDisposition")
    if isinstance(pd, dict):
        for k in ("set", "unset"):
            if isinstance(pd.get(k), list):
                pd[k] = [disposition(v) for v in pd[k]]
    for key, prefix in (("bizTransactionList", "BTT-"), ("sourceList", "SDT-"), ("destinationList", "SDT-")):
        for entry in e.get(key) or []:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                entry["type"] = full(entry["type"], CBV + prefix)
    err = e.get("errorDeclaration")
    if isinstance(err, dict) and isinstance(err.get("reason"), str):
        err["reason"] = full(err["reason"], CBV + "ER-")
    for element in e.get("sensorElementList") or []:
        for report in (element.get("sensorReport") or []) if isinstance(element, dict) else []:
            if not isinstance(report, dict):
                continue
            for k in ("type", "exception"):
                if isinstance(report.get(k), str):
                    report[k] = full(report[k], GS1_VOC)
            if isinstance(report.get("component"), str):
                report["component"] = full(report["component"], CBV + "Comp-")
    return e
