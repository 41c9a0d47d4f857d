"""Batch actions over EPCIS: an event's action in the tracegraph namespace (by its full name or
a prefix of the document's context) is recorded with the fact; a bad one is kept as given with
an ACTION_INVALID finding; an event recorded through GraphQL is exported with its action."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from epcis_kit import doc, object_event, query

from tracegraph.domain.actions import EventAction
from tracegraph.domain.events import EventCommand, EventRecord, EventType, Line, Source
from tracegraph.gs1.epcis_events import TG, to_command, to_epcis

SGTIN = "urn:epc:id:sgtin:4012345.011111.988"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"tg": TG}]
GQL = "query($id: String!) { event(id: $id) { action { typeId parameters { name value } } } }"
FINDINGS = "{ findings(first: 50) { nodes { kind eventId } } }"


async def graphql(client: httpx.AsyncClient, query_: str, variables: dict | None = None) -> dict:
    r = await client.post("/graphql", json={"query": query_, "variables": variables or {}})
    assert r.status_code == 200 and not r.json().get("errors"), r.text
    return r.json()["data"]


async def test_a_captured_action_is_recorded_and_a_bad_one_found(client: httpx.AsyncClient) -> None:
    good = object_event(
        [SGTIN], "OBSERVE", eventID="urn:uuid:sieved", **{"tg:action": {"type": "SIEVE", "parameters": {"mesh": 63}}}
    )
    bad = object_event(
        [SGTIN],
        "OBSERVE",
        eventID="urn:uuid:sieved-bad",
        **{f"{TG}action": {"type": "SIEVE", "parameters": {"mesh": "fine"}}},
    )
    r = await client.post("/epcis/capture", json=doc(good, bad, context=CONTEXT))
    assert r.status_code == 202, r.text
    assert (await client.get(r.headers["location"])).json()["success"] is True
    got = await graphql(client, GQL, {"id": "urn:uuid:sieved"})
    assert got["event"]["action"] == {"typeId": "SIEVE", "parameters": [{"name": "mesh", "value": "63"}]}
    got = await graphql(client, GQL, {"id": "urn:uuid:sieved-bad"})
    assert got["event"]["action"] == {"typeId": "SIEVE", "parameters": [{"name": "mesh", "value": "fine"}]}
    found = (await graphql(client, FINDINGS))["findings"]["nodes"]
    assert {"kind": "ACTION_INVALID", "eventId": "urn:uuid:sieved-bad"} in found
    # Given back as captured.
    back = {e["eventID"]: e for e in await query(client)}
    assert back["urn:uuid:sieved"]["tg:action"] == {"type": "SIEVE", "parameters": {"mesh": 63}}


def test_a_malformed_action_is_left_in_the_event() -> None:
    event = object_event([SGTIN], "OBSERVE", **{f"{TG}action": {"type": "SIEVE", "parameters": "63"}})
    assert to_command(event).action is None
    assert to_command(object_event([SGTIN], "OBSERVE", **{f"{TG}action": "SIEVE"})).action is None


def test_an_event_recorded_through_graphql_is_exported_with_its_action() -> None:
    action = EventAction(type="SIEVE", parameters={"mesh": 63.0})
    cmd = EventCommand(type=EventType.OBSERVE, id="e-1", inputs=[Line(item_id="B-1")], action=action)
    t = datetime(2024, 3, 4, tzinfo=UTC)
    record = EventRecord(
        id="e-1", type=EventType.OBSERVE, source=Source.COMMAND, event_time=t, recorded_at=t, action=action, command=cmd
    )
    out = to_epcis(record)
    assert out[f"{TG}action"] == {"type": "SIEVE", "parameters": {"mesh": 63.0}}
    assert to_command(out).action == action
