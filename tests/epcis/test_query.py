"""GET /epcis/events: the standard parameters, pages with nextPageToken and Link, unknown parameters refused."""

from __future__ import annotations

import httpx
import pytest
from epcis_kit import doc, example_paths, load, query

pytestmark = pytest.mark.asyncio


async def capture_examples(client: httpx.AsyncClient, *names: str) -> None:
    for path in example_paths():
        if path.name in names:
            assert (await client.post("/epcis/capture", json=load(path))).status_code == 202


def ids(events: list[dict]) -> list[str]:
    return [e["eventID"][15:23] if e["eventID"].startswith("ni:") else e["eventID"] for e in events]


async def test_each_standard_parameter_filters(client: httpx.AsyncClient) -> None:
    await capture_examples(
        client,
        "Example_9.6.1-ObjectEvent.jsonld",
        "Example_9.6.3-AggregationEvent.jsonld",
        "Example_9.6.4-TransformationEvent.jsonld",
        "PersistentDisposition-example.jsonld",
        "transaction_event_all_possible_fields.jsonld",
    )
    everything = await query(client, perPage=1000)
    assert len(everything) >= 7

    async def n(**params: str) -> int:
        return len(await query(client, perPage=1000, **params))

    by_type = {t: sum(1 for e in everything if e["type"] == t) for t in {e["type"] for e in everything}}
    for t, k in by_type.items():
        assert await n(eventType=t) == k
    assert await n(eventType="AggregationEvent|TransformationEvent") == by_type.get(
        "AggregationEvent", 0
    ) + by_type.get("TransformationEvent", 0)
    # 9.6.1's first event, and the declared transaction event (its own time, not the declaration's)
    assert await n(GE_eventTime="2005-04-04T00:00:00Z", LT_eventTime="2005-04-05T00:00:00Z") == 2
    assert await n(GE_recordTime="2000-01-01T00:00:00Z") == len(everything)
    assert await n(LT_recordTime="2000-01-01T00:00:00Z") == 0
    assert await n(EQ_action="OBSERVE") == sum(1 for e in everything if e.get("action") == "OBSERVE")
    # CBV values in short form and as web URIs alike.
    shipping = sum(1 for e in everything if e.get("bizStep") in ("shipping",))
    assert shipping and await n(EQ_bizStep="shipping") == shipping
    assert await n(EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping") == shipping
    assert await n(EQ_disposition="in_transit") == sum(1 for e in everything if e.get("disposition") == "in_transit")
    assert await n(EQ_readPoint="urn:epc:id:sgln:0614141.07346.1234") >= 1
    assert await n(EQ_bizLocation="urn:epc:id:sgln:0012345.11111.0") == 1
    assert await n(MATCH_epc="urn:epc:id:sgtin:0614141.107346.2018") == 3
    assert await n(MATCH_epc="urn:epc:idpat:sgtin:0614141.107346.*") >= 3
    assert await n(MATCH_parentID="urn:epc:id:sscc:0614141.1234567890") == 2
    assert await n(MATCH_inputEPC="urn:epc:id:sgtin:4012345.011122.25") == 1
    assert await n(MATCH_outputEPC="urn:epc:id:sgtin:4012345.077889.25") == 1
    assert await n(MATCH_anyEPC="urn:epc:id:sgtin:4012345.011122.25") == 1
    assert await n(MATCH_inputEPCClass="urn:epc:class:lgtin:4012345.011111.4444") == 1
    assert await n(MATCH_anyEPCClass="urn:epc:class:lgtin:4012345.011111.4444") == 2
    assert await n(MATCH_epcClass="urn:epc:idpat:sgtin:4012345.098765.*") == 1
    assert await n(MATCH_outputEPCClass="urn:epc:class:lgtin:4012345.011111.4444") == 0
    assert await n(EQ_bizTransaction_po="http://transaction.acme.com/po/12345678") >= 1
    assert await n(EQ_persistentDisposition_set="completeness_inferred") == 1
    assert await n(EQ_persistentDisposition_unset="completeness_inferred") == 1
    assert await n(EQ_source_location="urn:epc:id:sgln:4012345.00225.0") == 1
    assert await n(EQ_destination_location="urn:epc:id:sgln:0614141.00777.0") == 1


async def test_wd_follows_the_location_tree(client: httpx.AsyncClient) -> None:
    for loc in (
        {"id": "urn:epc:id:sgln:0614141.00000.0", "name": "Site", "kind": "SITE"},
        {"id": "urn:epc:id:sgln:0614141.00888.0", "name": "Dock", "parentId": "urn:epc:id:sgln:0614141.00000.0"},
    ):
        r = await client.post(
            "/graphql",
            json={
                "query": "mutation($i: CreateLocationInput!) { createLocation(input: $i) { errors { message } } }",
                "variables": {"i": loc},
            },
        )
        assert r.json()["data"]["createLocation"]["errors"] == []
    await capture_examples(client, "Example_9.6.3-AggregationEvent.jsonld")
    assert len(await query(client, WD_bizLocation="urn:epc:id:sgln:0614141.00000.0")) == 1
    assert len(await query(client, EQ_bizLocation="urn:epc:id:sgln:0614141.00000.0")) == 0
    assert len(await query(client, WD_readPoint="urn:epc:id:sgln:0614141.00777.0")) == 1


async def test_pages_follow_next_page_token_and_the_link_header(client: httpx.AsyncClient) -> None:
    events = [
        {
            "type": "ObjectEvent",
            "eventTime": f"2024-03-04T08:00:{n:02d}Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [f"urn:epc:id:sgtin:4012345.011111.{n}"],
            "action": "OBSERVE",
            "eventID": f"urn:uuid:e{n}",
        }
        for n in range(7)
    ]
    assert (await client.post("/epcis/capture", json=doc(*events))).status_code == 202
    seen: list[str] = []
    url: str | None = "/epcis/events?perPage=3&EQ_action=OBSERVE"
    while url:
        r = await client.get(url)
        assert r.status_code == 200
        page = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(page) <= 3
        seen += [e["eventID"] for e in page]
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
        assert url is None or "EQ_action=OBSERVE" in url
    assert seen == [f"urn:uuid:e{n}" for n in range(7)]


async def test_unknown_and_malformed_parameters_get_a_400_naming_them(client: httpx.AsyncClient) -> None:
    r = await client.get("/epcis/events", params={"MATCH_epcs": "x", "GE_eventTime": "yesterday", "perPage": "0"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"MATCH_epcs", "GE_eventTime", "perPage"}
    assert "MATCH_epcs" in r.json()["title"]
    assert (await client.get("/epcis/events", params={"nextPageToken": "garbage!"})).status_code == 400
