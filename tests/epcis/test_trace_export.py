"""Trace semantics of captured events, the export of a trace as an EPCIS document, and one
ledger behind both doors: events recorded through GraphQL are given back by the EPCIS query."""

from __future__ import annotations

import httpx
from epcis_kit import doc, events_of, query

from tracegraph.gs1.epcis_validate import check_document

IN1, IN2 = "urn:epc:class:lgtin:4012345.011111.A", "urn:epc:id:sgtin:4012345.011111.7"
OUT = "urn:epc:class:lgtin:4012345.022222.B"
CASE = "urn:epc:id:sgtin:4012345.033333.1"
PALLET = "urn:epc:id:sscc:4012345.0000000001"


def transformation() -> dict:
    return {
        "type": "TransformationEvent",
        "eventID": "urn:uuid:make",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": [IN2],
        "inputQuantityList": [{"epcClass": IN1, "quantity": 10, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": OUT, "quantity": 9, "uom": "KGM"}],
        "ilmd": {"cbvmda:lotNumber": "B", "cbvmda:itemExpirationDate": "2025-01-31"},
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }


def aggregation(action: str, eid: str, parent: str = PALLET, child: str = CASE) -> dict:
    return {
        "type": "AggregationEvent",
        "eventID": eid,
        "eventTime": "2024-03-04T09:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": action,
        "parentID": parent,
        "childEPCs": [child],
    }


async def trace(client: httpx.AsyncClient, item: str, direction: str) -> set[str]:
    r = await client.post(
        "/graphql",
        json={
            "query": "query($id: String!, $d: TraceDirection!) { trace(id: $id, direction: $d) { items { id } } }",
            "variables": {"id": item, "d": direction},
        },
    )
    return {i["id"] for i in r.json()["data"]["trace"]["items"]}


async def test_transformation_inputs_flow_into_outputs_and_packing_child_into_parent(
    client: httpx.AsyncClient,
) -> None:
    pack_case = {
        **aggregation("ADD", "urn:uuid:pack-case", parent=CASE, child=IN2),
        "childEPCs": [],
        "childQuantityList": [{"epcClass": OUT, "quantity": 9, "uom": "KGM"}],
    }
    observed = aggregation("OBSERVE", "urn:uuid:observe")
    r = await client.post("/epcis/capture", json=doc(transformation(), pack_case, observed))
    assert r.status_code == 202, r.text
    assert await trace(client, IN1, "FORWARD") == {OUT, CASE, PALLET}
    assert await trace(client, PALLET, "BACKWARD") == {CASE, OUT, IN1, IN2}
    # ILMD became lot master data.
    r = await client.post("/graphql", json={"query": f'{{ item(id: "{OUT}") {{ lotCode expiresAt }} }}'})
    assert r.json()["data"]["item"]["lotCode"] == "B"
    assert r.json()["data"]["item"]["expiresAt"].startswith("2025-01-31")


async def test_a_trace_exports_as_an_epcis_document_of_its_events(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/epcis/capture", json=doc(transformation(), aggregation("ADD", "urn:uuid:p1", child=OUT)))
    ).status_code == 202
    assert (
        await client.post(
            "/epcis/capture",
            json=doc(
                aggregation(
                    "ADD",
                    "urn:uuid:other",
                    parent="urn:epc:id:sscc:4012345.0000000009",
                    child="urn:epc:id:sgtin:4012345.099999.1",
                )
            ),
        )
    ).status_code == 202
    r = await client.get("/epcis/trace", params={"id": IN1, "direction": "FORWARD"})
    assert r.status_code == 200
    exported = r.json()
    assert exported["type"] == "EPCISDocument"
    assert [e["eventID"] for e in events_of(exported)] == ["urn:uuid:make", "urn:uuid:p1"]
    assert check_document(exported) == ([], {})  # valid EPCIS, ready to capture elsewhere
    assert (await client.get("/epcis/trace", params={"direction": "FORWARD"})).status_code == 400


async def test_events_recorded_through_graphql_are_given_back_by_the_epcis_query(client: httpx.AsyncClient) -> None:
    for q, v in (
        (
            "mutation($i: CreateMaterialInput!) { createMaterial(input: $i) { errors { message } } }",
            {"id": "FLOUR", "name": "Flour", "baseUnit": "KG"},
        ),
        (
            "mutation($i: CreateLocationInput!) { createLocation(input: $i) { errors { message } } }",
            {"id": "WH", "name": "Warehouse"},
        ),
        (
            "mutation($i: ReceiveInput!) { receive(input: $i) { errors { message } } }",
            {
                "id": "rcv-1",
                "locationId": "WH",
                "newItems": [{"id": "LOT-1", "materialId": "FLOUR"}],
                "outputs": [{"itemId": "LOT-1", "quantity": 25}],
            },
        ),
    ):
        r = await client.post("/graphql", json={"query": q, "variables": {"i": v}})
        assert "errors" not in r.json(), r.json()
    events = await query(client, MATCH_anyEPCClass="LOT-1")
    assert len(events) == 1
    e = events[0]
    assert (e["type"], e["action"], e["bizStep"], e["eventID"]) == ("ObjectEvent", "ADD", "receiving", "rcv-1")
    assert e["quantityList"] == [{"epcClass": "LOT-1", "quantity": 25.0}]  # in the item's unit
    assert e["bizLocation"] == {"id": "WH"}
    assert (await client.get("/epcis/events/rcv-1")).json()["eventID"] == "rcv-1"


async def test_an_error_declaration_corrects_the_declared_event(client: httpx.AsyncClient) -> None:
    pack = aggregation("ADD", "urn:uuid:wrong")
    assert (await client.post("/epcis/capture", json=doc(pack))).status_code == 202
    assert await trace(client, CASE, "FORWARD") == {PALLET}
    declared = {**pack, "errorDeclaration": {"declarationTime": "2024-03-05T00:00:00Z", "reason": "incorrect_data"}}
    assert (await client.post("/epcis/capture", json=doc(declared))).status_code == 202
    assert await trace(client, CASE, "FORWARD") == set()  # the declared event's links are void
    got = await query(client, EQ_eventID="urn:uuid:wrong")
    assert [("errorDeclaration" in e) for e in got] == [False, True]  # both kept, as captured


async def test_a_persistent_disposition_sets_the_status(client: httpx.AsyncClient) -> None:
    lot = "urn:epc:class:lgtin:4012345.011111.R1"
    recall = {
        "type": "ObjectEvent",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": lot}],
        "persistentDisposition": {"set": ["recalled"]},
    }
    assert (await client.post("/epcis/capture", json=doc(recall))).status_code == 202
    r = await client.post("/graphql", json={"query": f'{{ item(id: "{lot}") {{ status }} }}'})
    assert r.json()["data"]["item"]["status"] == "HOLD"
    assert len(await query(client, EQ_persistentDisposition_set="recalled")) == 1
