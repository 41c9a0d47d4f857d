"""Every GS1 example document is captured, queried back and exported faithfully."""

from __future__ import annotations

import httpx
import pytest
from epcis_kit import events_of, example_paths, load, query

from tracegraph.gs1.epcis_events import event_id


def normalised(event: dict) -> dict:
    """What the comparison ignores: the fields the server adds (eventID when absent, recordTime)."""
    return {k: v for k, v in event.items() if k not in ("recordTime", "@context")}


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.name)
async def test_each_example_is_captured_and_queried_back_field_by_field(client: httpx.AsyncClient, path) -> None:
    document = load(path)
    r = await client.post("/epcis/capture", json=document)
    assert r.status_code == 202, r.text
    assert r.headers["location"].startswith("/epcis/capture/")
    job = (await client.get(r.headers["location"])).json()
    assert job["running"] is False and job["success"] is True and job["errors"] == []
    inputs = events_of(document)
    for sent in inputs:
        eid = event_id(sent, document.get("@context"))
        got = await query(client, EQ_eventID=eid)
        assert len(got) == 1 + sum(
            1
            for e in inputs
            if e is not sent and e.get("eventID") == eid and ("errorDeclaration" in e) != ("errorDeclaration" in sent)
        ), eid
        got = [g for g in got if ("errorDeclaration" in g) == ("errorDeclaration" in sent)]
        expected = normalised({**sent, "eventID": eid})
        assert normalised(got[0]) == expected
        assert got[0]["recordTime"]
    # The whole store's events, in capture order, are the document's (each once).
    everything = await query(client, perPage=1000)
    assert len(everything) == len({(event_id(e, document.get("@context")), "errorDeclaration" in e) for e in inputs})
    # Captured again: nothing new.
    r = await client.post("/epcis/capture", json=document)
    assert r.status_code == 202
    assert len(await query(client, perPage=1000)) == len(everything)


async def test_the_query_document_keeps_the_prefixes_of_the_captured_events(client: httpx.AsyncClient) -> None:
    paths = [p for p in example_paths() if p.name == "object_event_all_possible_fields.jsonld"]
    document = load(paths[0])
    assert (await client.post("/epcis/capture", json=document)).status_code == 202
    r = await client.get("/epcis/events")
    context = r.json()["@context"]
    for part in document["@context"]:
        assert part in context or (isinstance(part, dict) and all({k: v} in context for k, v in part.items()))
