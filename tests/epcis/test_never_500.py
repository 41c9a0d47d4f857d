"""Malformed input gets a 4xx naming what is wrong, never a 500: every example event with one
field removed, emptied or given the wrong type."""

from __future__ import annotations

import httpx
from epcis_kit import doc, events_of, example_paths, load, query


def variants(event: dict) -> list[dict]:
    out = []
    for key in event:
        out.append({k: v for k, v in event.items() if k != key})
        for bad in (None, 7, [], ["x y"], [{"z": 1}]):
            out.append({**event, key: bad})
    return out


async def test_mutated_examples_are_refused_or_recorded_never_a_server_error(client: httpx.AsyncClient) -> None:
    seen = 0
    for path in example_paths():
        document = load(path)
        for event in events_of(document)[:1]:
            for variant in variants(event):
                r = await client.post("/epcis/capture", json=doc(variant, context=document["@context"]))
                assert r.status_code in (202, 400), (path.name, variant, r.text)
                if r.status_code == 400:
                    body = r.json()
                    assert body["errors"] and all("field" in e and "message" in e for e in body["errors"])
                    assert all(e["index"] == 0 for e in body["errors"]), body
                seen += 1
    assert seen > 300
    assert await query(client, perPage=1)  # some were well-formed and recorded
