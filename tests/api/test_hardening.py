"""Hardening over HTTP (httpx against the ASGI app): the query cost limit, the batch cap, the
audit export, and that every trace, recall, export and mutation is audited on every door."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from servers import ADMIN_KEY
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings
from tracegraph.domain.audit import COLUMNS

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAX_COST = 5000
MAX_BATCH = 3

ORDERS = "query($n: Int!) { orders(first: $n) { nodes { id events(first: 50) { nodes { id } } } } }"
LOG = "{ auditLog(first: 1000) { edges { node { action organizationId detail } } } }"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    app = create_app(
        Settings(
            data_dir=tmp_path_factory.mktemp("data"),
            demo=False,
            admin_key=ADMIN_KEY,
            max_query_cost=MAX_COST,
            max_batch_events=MAX_BATCH,
            epcis_max_events=MAX_BATCH,
        )
    )
    async with app.router.lifespan_context(app):
        yield app


def client(app: Starlette, key: str = ADMIN_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: Starlette) -> AsyncIterator[Api]:
    async with client(app) as c:
        api = Api(c)
        await api.create("createMaterial", "CreateMaterialInput", {"id": "FLOUR", "name": "Flour", "baseUnit": "KG"})
        await api.create("createLocation", "CreateLocationInput", {"id": "WH", "name": "Warehouse"})
        yield api


async def actions(api: Api) -> list[str]:
    return [e["node"]["action"] for e in (await api.data(LOG))["auditLog"]["edges"]]


def receive(lot: str) -> dict[str, Any]:
    return {
        "type": "RECEIVE",
        "locationId": "WH",
        "newItems": [{"id": lot, "materialId": "FLOUR"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }


# -- the query cost --------------------------------------------------------------------------


async def test_a_query_over_the_cost_limit_is_refused_with_its_cost_and_the_limit(admin: Api) -> None:
    cheap = await admin.raw(ORDERS, {"n": 2})
    assert "errors" not in cheap and cheap["data"] == {"orders": {"nodes": []}}
    body = await admin.raw(ORDERS, {"n": 100})  # the same document: its cost follows the variables
    assert body["data"] is None
    [error] = body["errors"]
    # orders, its nodes (a page of 100), each: id, events, its nodes (a page of 50), each: id
    cost = 1 + (1 + 100 * (1 + (1 + (1 + 50 * 1))))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": MAX_COST}
    assert f"estimated cost {cost} exceeds the limit of {MAX_COST}" in error["message"]
    assert "TRACEGRAPH_MAX_QUERY_COST" in error["message"]


async def test_a_costly_mutation_is_refused_and_nothing_is_written_or_audited(admin: Api) -> None:
    before = await actions(admin)
    query = (
        "mutation($input: [EventInput!]!) { recordEvents(input: $input) { events { id items { id "
        "events { id items { id } } } } errors { code } } }"
    )
    body = await admin.raw(query, {"input": [receive("COSTLY-1")]})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert await admin.item("COSTLY-1") is None
    after = await actions(admin)
    assert "mutation:recordEvents" not in after[len(before) :], after[len(before) :]


async def test_the_cost_limit_holds_for_fragments_and_default_page_sizes(admin: Api) -> None:
    # `orders` without `first` is a page of 50 (its default), spread through a fragment
    query = "query { ...O } fragment O on Query { orders { nodes { ... on Order { events { nodes { id type } } } } } }"
    body = await admin.raw(query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    skipped = await admin.raw(query.replace("orders {", "orders @skip(if: true) {"))
    assert "errors" not in skipped


# -- batch caps ------------------------------------------------------------------------------


async def test_a_batch_over_the_cap_is_refused_whole_naming_its_size_and_the_cap(admin: Api) -> None:
    query = f"mutation($input: [EventInput!]!) {{ recordEvents(input: $input) {{ events {{ id }} {ERRORS} }} }}"
    payload = (await admin.data(query, {"input": [receive(f"BATCH-{n}") for n in range(MAX_BATCH + 1)]}))[
        "recordEvents"
    ]
    assert payload["events"] is None
    assert payload["errors"] == [
        {
            "field": "input",
            "code": "BATCH_TOO_LARGE",
            "message": f"{MAX_BATCH + 1} events in one batch; at most {MAX_BATCH} "
            "(TRACEGRAPH_MAX_BATCH_EVENTS): send them in smaller batches",
        }
    ]
    for n in range(MAX_BATCH + 1):
        assert await admin.item(f"BATCH-{n}") is None
    ok = (await admin.data(query, {"input": [receive(f"BATCH-{n}") for n in range(MAX_BATCH)]}))["recordEvents"]
    assert ok["errors"] == [] and len(ok["events"]) == MAX_BATCH


async def test_an_epcis_capture_over_the_cap_is_a_413_and_nothing_is_stored(admin: Api) -> None:
    events = [
        {
            "type": "ObjectEvent",
            "eventTime": "2024-03-04T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [f"urn:epc:id:sgtin:4012345.011111.{n}"],
            "action": "OBSERVE",
        }
        for n in range(MAX_BATCH + 1)
    ]
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T08:00:00Z",
        "epcisBody": {"eventList": events},
    }
    r = await admin.client.post("/epcis/capture", json=document)
    assert r.status_code == 413
    assert f"{MAX_BATCH + 1} events; at most {MAX_BATCH}" in r.json()["errors"][0]["message"]
    assert (await admin.client.get("/epcis/events", params={"MATCH_epc": events[0]["epcList"][0]})).json()["epcisBody"][
        "queryResults"
    ]["resultsBody"]["eventList"] == []


async def test_an_epcis_event_with_too_many_epcs_is_a_413_naming_the_count_and_the_cap(admin: Api) -> None:
    context = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
    epcs = [f"urn:epc:id:sgtin:4012345.022222.{n}" for n in range(1001)]
    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-03-04T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
        "action": "ADD",
        "bizStep": "commissioning",
    }
    single = await admin.client.post("/epcis/events", json={"@context": context, **event})
    document = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T08:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    whole = await admin.client.post("/epcis/capture", json=document)
    for r in (single, whole):
        assert r.status_code == 413, r.text
        [error] = r.json()["errors"]
        assert error["index"] == 0 and error["field"] == "epcList"
        assert error["message"].startswith("1001 EPCs and quantities in epcList; at most 1000 per event")
    found = await admin.client.get("/epcis/events", params={"MATCH_epc": epcs[0]})
    assert found.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


async def test_an_event_with_too_many_lines_is_refused_naming_the_cap(admin: Api) -> None:
    query = f"mutation($input: [EventInput!]!) {{ recordEvents(input: $input) {{ events {{ id }} {ERRORS} }} }}"
    lines = [{"itemId": f"LINE-{n}", "quantity": 1} for n in range(1001)]
    payload = (await admin.data(query, {"input": [{"type": "RECEIVE", "locationId": "WH", "outputs": lines}]}))[
        "recordEvents"
    ]
    assert payload["events"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input[0].outputs", "TOO_LONG")]
    assert "1000" in payload["errors"][0]["message"]


# -- the audit log: every door, and its export ------------------------------------------------


async def org_keys(admin: Api, name: str, *roles: str) -> tuple[str, dict[str, str]]:
    org = (await admin.data(f'mutation {{ createOrganization(name: "{name}") {{ organization {{ id }} {ERRORS} }} }}'))[
        "createOrganization"
    ]["organization"]["id"]
    keys = {}
    for role in roles:
        keys[role] = (
            await admin.data(
                "mutation($o: ID!, $r: Role!) { createApiKey(organizationId: $o, role: $r) { key } }",
                {"o": org, "r": role},
            )
        )["createApiKey"]["key"]
    return org, keys


async def test_traces_recalls_exports_and_captures_are_audited_on_every_door(app: Starlette, admin: Api) -> None:
    org, keys = await org_keys(admin, "Doors", "ADMIN")
    async with client(app, keys["ADMIN"]) as c:
        api = Api(c)
        await api.receive("DOOR-LOT", "FLOUR", 5)
        # a trace through a fragment is a trace too
        await api.data('query { ...T } fragment T on Query { trace(id: "DOOR-LOT", direction: FORWARD) { count } }')
        assert (await c.get("/exports/trace", params={"id": "DOOR-LOT"})).status_code == 200
        assert (await c.get("/epcis/trace", params={"id": "DOOR-LOT", "direction": "FORWARD"})).status_code == 200
        event = {
            "type": "ObjectEvent",
            "eventTime": "2024-03-04T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": ["urn:epc:id:sgtin:4012345.011111.77"],
            "action": "OBSERVE",
        }
        document = {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-04T08:00:00Z",
            "epcisBody": {"eventList": [event]},
        }
        assert (await c.post("/epcis/capture", json=document)).status_code == 202
        one = {**event, "epcList": ["urn:epc:id:sgtin:4012345.011111.78"], "@context": document["@context"]}
        assert (await c.post("/epcis/events", json=one)).status_code == 201
        opened = (
            await api.data(
                'mutation { openRecall(input: {itemIds: ["DOOR-LOT"], reason: "test", mock: true}) '
                f"{{ recall {{ id }} {ERRORS} }} }}"
            )
        )["openRecall"]
        assert opened["errors"] == []
        mine = await actions(api)
    for action in (
        "mutation:receive",
        "query:trace",
        "export:trace",
        "epcis:trace",
        "epcis:capture",
        "epcis:event",
        "mutation:openRecall",
    ):
        assert action in mine, (action, mine)
    # the admin key's recall exports (closed to organization keys until they are filtered)
    recall_id = opened["recall"]["id"]
    await admin.data("query($id: String!) { recall(id: $id) { id } }", {"id": recall_id})
    assert (await admin.client.get(f"/exports/recalls/{recall_id}")).status_code == 200
    assert (await admin.client.get(f"/epcis/recalls/{recall_id}")).status_code == 200
    everything = await actions(admin)
    assert {"query:recall", "export:recall", "epcis:recall"} <= set(everything)


async def test_the_audit_log_exports_as_csv_and_json_for_admins_only(app: Starlette, admin: Api) -> None:
    org, keys = await org_keys(admin, "Exported", "ADMIN", "QUALITY", "VIEWER")
    other, other_keys = await org_keys(admin, "Elsewhere", "OPERATOR")
    async with client(app, other_keys["OPERATOR"]) as c:
        await Api(c).receive("ELSEWHERE-LOT", "FLOUR", 1)
    async with client(app, keys["ADMIN"]) as c:
        await Api(c).raw('{ trace(id: "NOTHING", direction: FORWARD) { count } }')
        r = await c.get("/exports/audit", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith('attachment; filename="audit-')
        rows = list(csv.reader(io.StringIO(r.text)))
        assert tuple(rows[0]) == COLUMNS
        entries = [dict(zip(COLUMNS, row, strict=False)) for row in rows[1:]]
        assert {e["organizationId"] for e in entries} == {org}  # its own organization only, whatever it asks
        assert [e["action"] for e in entries] == ["query:trace", "export:audit"]
        asked = await c.get("/exports/audit", params={"format": "json", "organizationId": other})
        assert {e["organizationId"] for e in asked.json()} == {org}
        later = await c.get("/exports/audit", params={"format": "json", "since": "2999-01-01T00:00:00Z"})
        assert later.status_code == 200 and later.json() == []
        bad = await c.get("/exports/audit", params={"since": "yesterday"})
        assert bad.status_code == 400 and bad.json()["field"] == "since" and "ISO-8601" in bad.json()["error"]
        backwards = await c.get("/exports/audit", params={"since": "2026-01-02", "until": "2026-01-01"})
        assert backwards.status_code == 400 and backwards.json()["field"] == "since"
        fmt = await c.get("/exports/audit", params={"format": "xlsx"})
        assert fmt.status_code == 400 and fmt.json()["field"] == "format"
    for role in ("QUALITY", "VIEWER"):
        async with client(app, keys[role]) as c:
            r = await c.get("/exports/audit")
            assert r.status_code == 403 and f"role {role}" in r.json()["error"], r.text
    everyone = (await admin.client.get("/exports/audit", params={"format": "json"})).json()
    assert {org, other, None} <= {e["organizationId"] for e in everyone}
    assert [e["id"] for e in everyone] == sorted(e["id"] for e in everyone)
    assert (
        json.loads(
            next(e["detail"] for e in everyone if e["action"] == "mutation:receive" and e["organizationId"] == other)
        )["input"]["newItems"][0]["id"]
        == "ELSEWHERE-LOT"
    )
    theirs = (await admin.client.get("/exports/audit", params={"format": "json", "organizationId": other})).json()
    assert {e["organizationId"] for e in theirs} == {other} and "mutation:receive" in {e["action"] for e in theirs}
    window = (
        await admin.client.get(
            "/exports/audit", params={"format": "json", "since": everyone[1]["at"], "until": everyone[3]["at"]}
        )
    ).json()
    assert [e["id"] for e in window] == [e["id"] for e in everyone[1:3]]


async def test_no_mutation_changes_or_deletes_an_audit_entry(admin: Api) -> None:
    fields = (await admin.data("{ __schema { mutationType { fields { name } } } }"))["__schema"]["mutationType"]
    assert not [f["name"] for f in fields["fields"] if "audit" in f["name"].lower()]
