"""Capture: refusals name the event and field and store nothing; facts are recorded whatever
the balances say; re-capture stores nothing twice; limits answer 413."""

from __future__ import annotations

import httpx
from epcis_kit import doc, object_event, query

SGTIN = "urn:epc:id:sgtin:4012345.011111.987"
SGTIN_DL = "https://id.gs1.org/01/04012345111118/21/987"


async def test_a_document_answers_202_with_the_location_of_its_capture_job(client: httpx.AsyncClient) -> None:
    r = await client.post("/epcis/capture", json=doc(object_event([SGTIN], eventID="urn:uuid:e1")))
    assert r.status_code == 202
    job = await client.get(r.headers["location"])
    assert job.status_code == 200
    body = job.json()
    assert body["captureID"] == r.headers["location"].rsplit("/", 1)[1]
    assert (body["running"], body["success"], body["errors"]) == (False, True, [])
    assert (await client.get("/epcis/capture/nope")).status_code == 404


async def test_a_single_event_answers_201_and_is_read_back_by_its_id(client: httpx.AsyncClient) -> None:
    event = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        **object_event([SGTIN], eventID="urn:uuid:single"),
    }
    r = await client.post("/epcis/events", json=event)
    assert r.status_code == 201, r.text
    got = await client.get(r.headers["location"])
    assert got.status_code == 200
    assert {k: v for k, v in got.json().items() if k not in ("@context", "recordTime")} == {
        k: v for k, v in event.items() if k != "@context"
    }
    assert (await client.get("/epcis/events/urn:uuid:other")).status_code == 404


async def test_an_invalid_event_refuses_the_whole_document_naming_event_and_field(client: httpx.AsyncClient) -> None:
    good = object_event([SGTIN], eventID="urn:uuid:good")
    bad = object_event(
        ["urn:epc:id:sgtin:1.2.3"],
        eventID="urn:uuid:bad",
        quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 5, "uom": "kilo"}],
    )
    r = await client.post("/epcis/capture", json=doc(good, bad))
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors and all(e["index"] == 1 and e["eventID"] == "urn:uuid:bad" for e in errors)
    assert any(e["field"].startswith("quantityList[0].uom") for e in errors), errors
    assert await query(client) == []  # nothing stored, the good event neither


async def test_form_checks_beyond_the_schema_name_the_field(client: httpx.AsyncClient) -> None:
    cases = [
        (object_event(["not an epc"]), "epcList[0]"),
        (object_event([SGTIN], eventTime="2024-03-04T08:00:00"), "eventTime"),
        (
            object_event([SGTIN], quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -2}]),
            "quantityList[0].quantity",
        ),
        ({**object_event([SGTIN]), "action": "MOVE"}, "action"),
        ({k: v for k, v in object_event([SGTIN]).items() if k != "eventTimeZoneOffset"}, ""),
    ]
    for event, field in cases:
        r = await client.post("/epcis/capture", json=doc(event))
        assert r.status_code == 400, (field, r.text)
        assert any(e["field"] == field and e["index"] == 0 for e in r.json()["errors"]), (field, r.json())
    assert (await client.post("/epcis/capture", content=b"{not json")).status_code == 400
    assert (await client.post("/epcis/capture", json={"type": "EPCISDocument"})).status_code == 400
    assert await query(client) == []


async def test_proceed_records_the_valid_events_and_reports_the_others(client: httpx.AsyncClient) -> None:
    good = object_event([SGTIN], eventID="urn:uuid:good")
    bad = object_event(["nope"], eventID="urn:uuid:bad")
    r = await client.post("/epcis/capture", json=doc(good, bad), headers={"GS1-Capture-Error-Behaviour": "proceed"})
    assert r.status_code == 202
    job = (await client.get(r.headers["location"])).json()
    assert job["success"] is False and job["running"] is False
    assert [(e["index"], e["eventID"], e["field"]) for e in job["errors"]] == [(1, "urn:uuid:bad", "epcList[0]")]
    assert [e["eventID"] for e in await query(client)] == ["urn:uuid:good"]


async def test_the_same_event_is_stored_once_by_eventid_or_by_hash(client: httpx.AsyncClient) -> None:
    with_id = object_event([SGTIN], eventID="urn:uuid:once")
    without_id = object_event(["urn:epc:id:sgtin:4012345.011111.988"], action="OBSERVE")
    for _ in range(2):
        assert (await client.post("/epcis/capture", json=doc(with_id, without_id, without_id))).status_code == 202
    assert (await client.post("/epcis/events", json=without_id)).status_code == 201
    events = await query(client)
    assert len(events) == 2
    hashed = [e for e in events if e["eventID"] != "urn:uuid:once"][0]
    assert hashed["eventID"].startswith("ni:///sha-256;") and hashed["eventID"].endswith("?ver=CBV2.0")
    # The same event with its time in another offset and its list in another order: the same hash.
    moved = {**without_id, "eventTime": "2024-03-04T07:00:00Z"}
    assert (await client.post("/epcis/capture", json=doc(moved))).status_code == 202
    assert len(await query(client)) == 2


async def test_too_many_events_or_bytes_answer_413(client: httpx.AsyncClient) -> None:
    events = [object_event([f"urn:epc:id:sgtin:4012345.011111.{n}"]) for n in range(51)]  # the limit is 50
    r = await client.post("/epcis/capture", json=doc(*events))
    assert r.status_code == 413
    assert "TRACEGRAPH_EPCIS_MAX_EVENTS" in r.json()["errors"][0]["message"]
    big = b'{"type": "EPCISDocument", "pad": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    assert (await client.post("/epcis/capture", content=big)).status_code == 413
    assert await query(client) == []


async def test_facts_are_recorded_beyond_the_balances_and_kept_as_findings(client: httpx.AsyncClient) -> None:
    # A transformation consuming a lot never received here, more than could be on hand.
    event = {
        "type": "TransformationEvent",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.IN", "quantity": 500, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.022222.OUT", "quantity": 450, "uom": "KGM"}],
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }
    assert (await client.post("/epcis/capture", json=doc(event))).status_code == 202
    r = await client.post("/graphql", json={"query": "{ findings(first: 50) { edges { node { kind itemId } } } }"})
    kinds = {e["node"]["kind"] for e in r.json()["data"]["findings"]["edges"]}
    assert "UNKNOWN_ORIGIN" in kinds
    r = await client.post("/graphql", json={"query": "{ check { ok } }"})
    assert r.json()["data"]["check"]["ok"] is True


async def test_a_urn_and_its_digital_link_are_one_item_kept_as_first_captured(client: httpx.AsyncClient) -> None:
    pack = {
        "type": "AggregationEvent",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:4012345.0000000001",
        "childEPCs": [SGTIN],
    }
    make = {
        "type": "TransformationEvent",
        "eventTime": "2024-03-04T07:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "outputEPCList": [SGTIN_DL],
    }
    assert (await client.post("/epcis/capture", json=doc(make))).status_code == 202
    assert (await client.post("/epcis/capture", json=doc(pack))).status_code == 202
    r = await client.post(
        "/graphql",
        json={"query": '{ trace(id: "urn:epc:id:sgtin:4012345.011111.1", direction: FORWARD) { items { id } } }'},
    )
    assert {i["id"] for i in r.json()["data"]["trace"]["items"]} == {SGTIN_DL, "urn:epc:id:sscc:4012345.0000000001"}
    # Queried by either form, each event comes back with the identifier it was captured with.
    for form in (SGTIN, SGTIN_DL):
        assert [e["type"] for e in await query(client, MATCH_anyEPC=form)] == [
            "TransformationEvent",
            "AggregationEvent",
        ]
    assert (await query(client, MATCH_epc=SGTIN_DL))[0]["childEPCs"] == [SGTIN]


async def test_the_trace_finds_an_item_by_either_spelling(client: httpx.AsyncClient) -> None:
    make = {
        "type": "TransformationEvent",
        "eventTime": "2024-03-04T07:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "outputEPCList": [SGTIN_DL],
    }
    assert (await client.post("/epcis/capture", json=doc(make))).status_code == 202
    for form in (SGTIN, SGTIN_DL):
        r = await client.post(
            "/graphql", json={"query": f'{{ trace(id: "{form}", direction: BACKWARD) {{ items {{ id }} }} }}'}
        )
        assert [i["id"] for i in r.json()["data"]["trace"]["items"]] == ["urn:epc:id:sgtin:4012345.011111.1"]
    r = await client.get("/epcis/trace", params={"id": SGTIN, "direction": "BACKWARD"})
    assert len(r.json()["epcisBody"]["eventList"]) == 1


async def test_a_fact_the_ledger_cannot_plan_is_kept_as_a_sighting(client: httpx.AsyncClient) -> None:
    # Commissioned without a quantity: no move can be booked, the event is still a fact.
    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.NOQTY"}],
    }
    r = await client.post("/epcis/events", json=event)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert "ni%3A%2F%2F%2Fsha-256" in location  # a hash id, escaped in the Location
    got = await client.get(location)
    assert got.status_code == 200 and got.json()["eventID"].startswith("ni:///sha-256;")
    assert len(await query(client, MATCH_epcClass="urn:epc:class:lgtin:4012345.011111.NOQTY")) == 1
