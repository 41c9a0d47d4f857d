"""The GS1 example documents (EPCIS 2.0 examples published by GS1), carried in tests/epcis/examples."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "examples"


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.jsonld"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def events_of(doc: dict) -> list[dict]:
    body = doc.get("epcisBody", {})
    if "eventList" in body:
        return body["eventList"]
    return body["queryResults"]["resultsBody"]["eventList"]


def doc(*events: dict, context: list | None = None) -> dict:
    """An EPCISDocument of the events."""
    return {
        "@context": context or ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T08:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def object_event(epcs: list[str], action: str = "ADD", **fields) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": "2024-03-04T08:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": epcs,
        "action": action,
        **fields,
    }


async def query(client, **params) -> list[dict]:
    r = await client.get("/epcis/events", params=params)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "EPCISQueryDocument"
    return events_of(r.json())
