"""The CBV 2.0 event hash (`ni:///sha-256;…?ver=CBV2.0`) of an EPCIS 2.0 JSON event.

A port of the GS1 reference implementation (PyPI `epcis-event-hash-generator` 1.9.3, MIT
License, Copyright (c) 2019 RalphTro): the event is turned into the XML-shaped tree the
algorithm is defined on, a pre-hash string is built in the canonical property order, and
hashed. The reference expands bare CBV values through JSON-LD; here the vocabulary terms
are expanded by property, with no JSON-LD processor and no network. The test suite checks
every example document against the reference (tests/epcis/test_hash.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from functools import lru_cache
from typing import Any

from ._dl_normaliser import normaliser as _dl_normaliser
from .vocab import expand_event

Node = tuple[Any, str, list[Any]]

_QE = [("epcClass", None), ("quantity", None), ("uom", None)]
PROP_ORDER: list[tuple[Any, Any]] = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", [("epc", None)]),
    ("inputEPCList", [("epc", None)]),
    ("childEPCs", [("epc", None)]),
    ("quantityList", [("quantityElement", _QE)]),
    ("childQuantityList", [("quantityElement", _QE)]),
    ("inputQuantityList", [("quantityElement", _QE)]),
    ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", [("quantityElement", _QE)]),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    ("bizTransactionList", [(("type", None), ("bizTransaction", None))]),
    ("sourceList", [(("type", None), ("source", None))]),
    ("destinationList", [(("type", None), ("destination", None))]),
    (
        "sensorElementList",
        [
            (
                "sensorElement",
                [
                    (
                        "sensorMetadata",
                        [
                            (k, None)
                            for k in (
                                "time",
                                "startTime",
                                "endTime",
                                "deviceID",
                                "deviceMetadata",
                                "rawData",
                                "dataProcessingMethod",
                                "bizRules",
                            )
                        ],
                    ),
                    (
                        "sensorReport",
                        [
                            (k, None)
                            for k in (
                                "type",
                                "exception",
                                "deviceID",
                                "deviceMetadata",
                                "rawData",
                                "dataProcessingMethod",
                                "time",
                                "microorganism",
                                "chemicalSubstance",
                                "value",
                                "component",
                                "stringValue",
                                "booleanValue",
                                "hexBinaryValue",
                                "uriValue",
                                "minValue",
                                "maxValue",
                                "meanValue",
                                "sDev",
                                "percRank",
                                "percValue",
                                "uom",
                                "coordinateReferenceSystem",
                            )
                        ],
                    ),
                ],
            )
        ],
    ),
]
_IGNORED = ("recordTime", "eventID", "type", "errorDeclaration")


def namespaces_of(context: Any) -> dict[str, str]:
    """Prefix -> `{uri}` for the prefixes a JSON-LD @context declares."""
    out: dict[str, str] = {}
    for c in context if isinstance(context, list) else [context]:
        if isinstance(c, dict):
            for key, value in c.items():
                if isinstance(value, str):
                    out[key] = "{" + value + "}"
    return out


def _ns(text: Any, namespaces: dict[str, str], is_value: bool = False) -> Any:
    if not isinstance(text, str):
        return text
    prefix, sep, rest = text.partition(":")
    if sep and prefix in namespaces:
        if is_value:
            return namespaces[prefix].replace("{", "").replace("}", "") + rest
        return namespaces[prefix] + rest
    return text


def _json_to_py(obj: Any, namespaces: dict[str, str]) -> Node:
    py: Node = ("", "", [])
    if isinstance(obj, list):
        for child in obj:
            py[2].append(_json_to_py(child, namespaces))
    elif isinstance(obj, dict):
        if "type" in obj:
            py = (obj["type"], "", [])
        if "#text" in obj:
            py = (py[0], obj["#text"], py[2])
        for key, val in obj.items():
            if key in ("#text", "rdfs:comment", "comment"):
                continue
            child = _json_to_py(val, namespaces)
            key = _ns(key, namespaces)
            if isinstance(val, list):
                for element in child[2]:
                    py[2].append((key, element[1], element[2]))
            else:
                py[2].append((key, child[1], child[2]))
    else:
        if isinstance(obj, bool):
            text = str(obj)
        else:
            text = str(obj)
        return "", str(_ns(text, namespaces, True)), []
    if not any(k in obj for k in ("bizTransaction", "source", "destination")) if isinstance(obj, dict) else True:
        py[2].sort()
    return py


def _xml_shape(node: Node) -> Node:
    """The reference's deep_structure_correction: JSON lists into their XML element form."""
    children = list(node[2]) if len(node) > 2 else []
    lists: dict[str, list[Node]] = {}
    for element in [e for e in children if not isinstance(e[0], tuple) and e[0].endswith("List")]:
        lists.setdefault(element[0], []).append((element[0][:-4], element[1], element[2]))
        children.remove(element)
    for name, elements in lists.items():
        if name in ("sourceList", "destinationList", "bizTransactionList"):
            children.append((name, "", [(e[2][0], e[2][1]) if len(e[2]) == 2 else e for e in elements]))
        else:
            children.append((name, "", elements))
    child_epcs: list[Node] = []
    for element in [e for e in children if e[0] == "childEPCs"]:
        child_epcs.append(("epc", element[1], []))
        children.remove(element)
    if child_epcs:
        children.append(("childEPCs", "", child_epcs))
    fixed = [e if e[0] in ("sourceList", "destinationList", "bizTransactionList") else _xml_shape(e) for e in children]
    name = node[0]
    if name in ("inputEPC", "outputEPC"):
        return "epc", node[1], fixed
    if name in ("inputQuantity", "outputQuantity", "childQuantity") or (name == "quantity" and fixed):
        return "quantityElement", node[1], fixed
    return name, node[1], fixed


@lru_cache(maxsize=65536)
def _fix_time(text: str) -> str:
    from datetime import datetime

    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if t.tzinfo is None:
        t = t.astimezone()  # dateutil reads a naive time as local time too
    t = t.astimezone(UTC)
    t = t.replace(microsecond=round(t.microsecond, -3)) if round(t.microsecond, -3) < 1_000_000 else t
    return t.isoformat(timespec="milliseconds")[:-6] + "Z"


def _web_vocabulary(text: str) -> str:
    return (
        text.replace("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-")
        .replace("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-")
        .replace("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-")
        .replace("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-")
        .replace("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-")
    )


def _numeric(text: str) -> str:
    try:
        n = float(text)
    except ValueError:
        return text
    if n == n and n not in (float("inf"), float("-inf")) and int(n) == n:
        return str(int(n))
    return str(n)


@lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    text = _numeric(_web_vocabulary(text))
    return _dl_normaliser(text) or text


class _PreHash:
    def __init__(self) -> None:
        pass

    def child(self, child: Node, order: Any) -> str:
        text = ""
        grand = self.in_order(child[2], order) if order else ""
        if child[1]:
            text = child[1].strip()
            name = child[0].lower()
            text = _fix_time(text) if "time" in name and "offset" not in name else canonical_value(text)
            if text:
                text = "=" + text
        if text or grand:
            return child[0] + text + grand
        return ""

    def in_order(self, children: list[Any], order: Any) -> str:
        pre = ""
        extensions = self.user_extensions(children)
        for name, sub_order in order:
            values = []
            for child in [x for x in children if x[0] == name]:
                s = self.child(child, sub_order)
                if s:
                    values.append(s)
                if len(child[2]) == 0:
                    children.remove(child)
            values.sort()
            if "".join(values):
                if pre:
                    values.insert(0, pre)
                pre = "".join(values)
        if extensions:
            pre = pre + self.generic(extensions)
        return pre

    @staticmethod
    def user_extensions(children: list[Any]) -> list[Any]:
        if len(children) <= 1:
            return []
        for child in children:
            if "eventTime" in child[0] or "action" in child[0]:
                return []
        found = [x for x in children if isinstance(x, tuple) and isinstance(x[0], str) and "{" in x[0] and "/}" in x[0]]
        for x in found:
            children.remove(x)
        return found

    def generic(self, children: list[Any]) -> str:
        values = []
        for child in children:
            if isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], tuple):
                values.append(self.generic(list(child)))
            else:
                text = child[1].strip()
                if text:
                    text = "=" + canonical_value(text)
                values.append(child[0] + text + self.generic(child[2]))
        if len(children) > 1 and not any(c[0] in ("bizTransaction", "source", "destination") for c in children):
            values.sort()
        return "".join(values)


def pre_hash(event: dict[str, Any], context: Any = None) -> str:
    """The canonical pre-hash string of one event (`context`: the document's @context)."""
    namespaces = namespaces_of(context if context is not None else event.get("@context"))
    if "@context" in event and context is not None:
        namespaces.update(namespaces_of(event["@context"]))
    node = _xml_shape(_json_to_py(expand_event(event), namespaces))
    children = node[2]
    p = _PreHash()
    ordered = p.in_order(children, PROP_ORDER)
    rest = [c for c in children if c[0] not in _IGNORED]
    return "eventType=" + node[0] + ordered + (p.generic(rest) if rest else "")


def event_hash(event: dict[str, Any], context: Any = None) -> str:
    try:
        text = pre_hash(event, context)
    except (TypeError, ValueError, IndexError, AttributeError, KeyError):
        # A shape the algorithm cannot walk (the reference fails on it too): a digest of the
        # canonical JSON instead, marked as such.
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return f"ni:///sha-256;{hashlib.sha256(canonical.encode()).hexdigest()}?ver=tracegraph-json"
    return f"ni:///sha-256;{hashlib.sha256(text.encode('utf-8')).hexdigest()}?ver=CBV2.0"
