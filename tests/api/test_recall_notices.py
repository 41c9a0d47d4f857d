"""Recalls across companies, on one server over HTTP and real WebSockets.

Organization A receives A-RAW, makes A-LOT of it and ships A-LOT to B; B bakes B-BREAD from
A-LOT, splits B-PACK off it, splits B-UNIT off B-PACK and ships B-UNIT to C. A opens a recall
forward from A-RAW: it reaches A-LOT, B-BREAD, B-PACK and B-UNIT. A may see B-BREAD (one step
down) but not B-PACK, B-UNIT or B's later events; B is sent a notice listing exactly its own
three items; C (who only received goods, and owns none of them) is sent nothing and sees nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from servers import ADMIN_KEY, AUTH, uvicorn_in_loop
from websockets.asyncio.client import connect

from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id }} {ERRORS} }} }}"
KEY = f"mutation($o: ID!, $r: Role!) {{ createApiKey(organizationId: $o, role: $r) {{ key {ERRORS} }} }}"
OPEN = f"mutation($i: OpenRecallInput!) {{ openRecall(input: $i) {{ recall {{ id organizationId }} {ERRORS} }} }}"
RECALL = """query($id: String!) { recall(id: $id) {
  id reason suspectIds organizationId affectedCount accounted holdEventIds
  notes { text } hidden { organizationId count }
  suspects { itemId quantity onHand shipped accounted gaps }
  affected(first: 100) { edges { node { id depth kind lotCode quantity item { id } } } }
  report { stock { itemId locationId quantity } deliveries { itemId eventId shipmentId partnerId destinationId }
           totals { itemId created consumed shipped onHand }
           massBalance { rootId rootQuantity accounted gaps { itemId kind message } } accounted } } }"""
NOTICES = """query($o: ID) { recallNotices(first: 50, organizationId: $o) { edges { node {
  id recallId organizationId openedByOrganizationId openedByOrganization reason direction itemIds
  acknowledged acknowledgedBy } } } }"""
ACK = f"mutation($id: String!) {{ acknowledgeRecallNotice(id: $id) {{ notice {{ id acknowledged }} {ERRORS} }} }}"

B_ITEMS = {"B-BREAD", "B-PACK", "B-UNIT"}
HIDDEN_FROM_A = {"B-PACK", "B-UNIT", "B-SPLIT-1", "B-SPLIT-2", "B-SHIP"}  # items and events of B that A may not see
HIDDEN_FROM_B = {"A-RAW", "A-RECEIPT", "A-MAKE"}


def scan(text: str, forbidden: set[str], who: str) -> None:
    for x in forbidden:
        assert x not in text, (who, x, text[:600])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Any]]:
    settings = Settings(admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("data"), demo=False)
    async with uvicorn_in_loop(settings) as served:
        yield served


def client(base: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://{base}", headers={"Authorization": f"Bearer {key}"}, trust_env=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(served: tuple[str, Any]) -> dict[str, Any]:
    base, _ = served
    orgs: dict[str, str] = {}
    keys: dict[str, str] = {}
    async with client(base, ADMIN_KEY) as c:
        admin = Api(c)
        for m in ("RAW", "LOT", "BREAD"):
            await admin.create("createMaterial", "CreateMaterialInput", {"id": m, "name": m, "baseUnit": "KG"})
        for loc in ("WH", "DOCK", "LINE"):
            await admin.create("createLocation", "CreateLocationInput", {"id": loc, "name": loc})
        for name in ("A", "B", "C"):
            orgs[name] = (await admin.data(ORG, {"n": f"org {name}"}))["createOrganization"]["organization"]["id"]
            for role in ("OPERATOR", "QUALITY", "VIEWER"):
                keys[f"{name}-{role}"] = (await admin.data(KEY, {"o": orgs[name], "r": role}))["createApiKey"]["key"]
    async with client(base, keys["A-OPERATOR"]) as c:
        a = Api(c)
        await a.ok(
            "receive",
            {
                "locationId": "WH",
                "newItems": [{"id": "A-RAW", "materialId": "RAW"}],
                "outputs": [{"itemId": "A-RAW", "quantity": 100}],
                "id": "A-RECEIPT",
            },
        )
        await a.ok(
            "produce",
            {
                "locationId": "WH",
                "inputs": [{"itemId": "A-RAW", "quantity": 50, "locationId": "WH"}],
                "newItems": [{"id": "A-LOT", "materialId": "LOT"}],
                "outputs": [{"itemId": "A-LOT", "quantity": 50}],
                "id": "A-MAKE",
            },
        )
        await a.ok(
            "ship",
            {
                "inputs": [{"itemId": "A-LOT", "quantity": 20, "locationId": "WH"}],
                "partnerId": orgs["B"],
                "id": "A-SHIP",
            },
        )
    async with client(base, keys["B-OPERATOR"]) as c:
        b = Api(c)
        await b.ok(
            "receive",
            {
                "locationId": "DOCK",
                "outputs": [{"itemId": "A-LOT", "quantity": 20}],
                "partnerId": orgs["A"],
                "id": "B-RECEIPT",
            },
        )
        await b.ok(
            "produce",
            {
                "locationId": "LINE",
                "inputs": [{"itemId": "A-LOT", "quantity": 20, "locationId": "DOCK"}],
                "newItems": [{"id": "B-BREAD", "materialId": "BREAD"}],
                "outputs": [{"itemId": "B-BREAD", "quantity": 40}],
                "id": "B-BAKE",
            },
        )
        await b.ok(
            "split",
            {
                "inputs": [{"itemId": "B-BREAD", "quantity": 10, "locationId": "LINE"}],
                "newItems": [{"id": "B-PACK", "materialId": "BREAD"}],
                "outputs": [{"itemId": "B-PACK", "quantity": 10, "locationId": "LINE"}],
                "locationId": "LINE",
                "id": "B-SPLIT-1",
            },
        )
        await b.ok(
            "split",
            {
                "inputs": [{"itemId": "B-PACK", "quantity": 4, "locationId": "LINE"}],
                "newItems": [{"id": "B-UNIT", "materialId": "BREAD"}],
                "outputs": [{"itemId": "B-UNIT", "quantity": 4, "locationId": "LINE"}],
                "locationId": "LINE",
                "id": "B-SPLIT-2",
            },
        )
        await b.ok(
            "ship",
            {
                "inputs": [{"itemId": "B-UNIT", "quantity": 4, "locationId": "LINE"}],
                "partnerId": orgs["C"],
                "id": "B-SHIP",
            },
        )
    async with client(base, keys["A-QUALITY"]) as c:
        opened = (
            await Api(c).data(
                OPEN, {"i": {"id": "RC-1", "itemIds": ["A-RAW"], "reason": "salmonella", "direction": "FORWARD"}}
            )
        )["openRecall"]
        assert opened["errors"] == [] and opened["recall"]["organizationId"] == orgs["A"]
        note = await Api(c).data('mutation { addRecallNote(id: "RC-1", text: "A-internal note") { errors { code } } }')
        assert note["addRecallNote"]["errors"] == []
        mock = (
            await Api(c).data(
                OPEN,
                {"i": {"id": "RC-MOCK", "itemIds": ["A-RAW"], "reason": "drill", "direction": "FORWARD", "mock": True}},
            )
        )["openRecall"]
        assert mock["errors"] == []
    return {"orgs": orgs, "keys": keys, "base": base}


async def gql(world: dict[str, Any], key: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with client(world["base"], world["keys"][key]) as c:
        response = await c.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_opener_sees_its_recall_without_the_partner_s_identifiers(world: dict[str, Any]) -> None:
    body = await gql(world, "A-QUALITY", RECALL, {"id": "RC-1"})
    assert "errors" not in body, body
    recall = body["data"]["recall"]
    scan(json.dumps(body), HIDDEN_FROM_A, "A")
    affected = {e["node"]["id"] for e in recall["affected"]["edges"]}
    assert affected == {"A-RAW", "A-LOT", "B-BREAD"}, "what A may see: its own, and one step down"
    assert recall["hidden"] == [{"organizationId": world["orgs"]["B"], "count": 2}]  # B-PACK, B-UNIT
    assert recall["affectedCount"] == 2 and recall["suspectIds"] == ["A-RAW"]
    assert [n["text"] for n in recall["notes"]] == ["A-internal note"]
    assert {t["itemId"] for t in recall["report"]["totals"]} == affected
    assert recall["report"]["massBalance"][0]["rootId"] == "A-RAW"


async def test_the_opener_s_exports_and_epcis_document_are_filtered(world: dict[str, Any]) -> None:
    async with client(world["base"], world["keys"]["A-QUALITY"]) as c:
        as_csv = await c.get("/exports/recalls/RC-1", params={"format": "csv"})
        as_json = await c.get("/exports/recalls/RC-1", params={"format": "json"})
        epcis = await c.get("/epcis/recalls/RC-1")
    for r in (as_csv, as_json, epcis):
        assert r.status_code == 200, r.text
        scan(r.text, HIDDEN_FROM_A, "A")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows and any("A-RAW" in json.dumps(row) for row in rows)
    meta = as_json.json()
    assert meta["hidden"] == [{"organizationId": world["orgs"]["B"], "count": 2}]
    assert {i["id"] for i in meta["items"]} == {"A-RAW", "A-LOT", "B-BREAD"}
    events = {e.get("eventID") for e in epcis.json()["epcisBody"]["eventList"]}
    assert {"A-RECEIPT", "A-MAKE"} <= events


async def test_the_owner_is_notified_of_exactly_its_own_items(world: dict[str, Any]) -> None:
    orgs = world["orgs"]
    body = await gql(world, "B-QUALITY", NOTICES)
    assert "errors" not in body, body
    notices = [e["node"] for e in body["data"]["recallNotices"]["edges"]]
    assert len(notices) == 1, "one notice: none for the mock recall"
    n = notices[0]
    assert set(n["itemIds"]) == B_ITEMS and len(n["itemIds"]) == 3
    assert (
        n["recallId"],
        n["organizationId"],
        n["openedByOrganizationId"],
        n["openedByOrganization"],
        n["reason"],
        n["direction"],
        n["acknowledged"],
    ) == ("RC-1", orgs["B"], orgs["A"], "org A", "salmonella", "FORWARD", False)
    scan(json.dumps(body), HIDDEN_FROM_B, "B")
    # nobody else is told; the admin key sees every notice, or one organization's
    for key in ("A-QUALITY", "C-QUALITY"):
        assert (await gql(world, key, NOTICES))["data"]["recallNotices"]["edges"] == []
    admin = (await gql_admin(world, NOTICES, {"o": orgs["B"]}))["data"]["recallNotices"]["edges"]
    assert [e["node"]["id"] for e in admin] == [n["id"] for n in notices]
    # roles without the RECALL right read no notices; another organization's are not asked for
    for key, variables in (("B-VIEWER", {}), ("B-OPERATOR", {}), ("C-QUALITY", {"o": orgs["B"]})):
        refused = await gql(world, key, NOTICES, variables)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    # acknowledging: C does not know it; B does it once
    other = (await gql(world, "C-QUALITY", ACK, {"id": n["id"]}))["data"]["acknowledgeRecallNotice"]
    assert other["notice"] is None and other["errors"][0]["code"] == "NOT_FOUND"
    viewer = (await gql(world, "B-VIEWER", ACK, {"id": n["id"]}))["data"]["acknowledgeRecallNotice"]
    assert viewer["errors"][0]["code"] == "FORBIDDEN"
    done = (await gql(world, "B-QUALITY", ACK, {"id": n["id"]}))["data"]["acknowledgeRecallNotice"]
    assert done == {"notice": {"id": n["id"], "acknowledged": True}, "errors": []}
    again = (await gql(world, "B-QUALITY", NOTICES))["data"]["recallNotices"]["edges"][0]["node"]
    assert again["acknowledged"] and again["acknowledgedBy"]


async def gql_admin(world: dict[str, Any], query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{world['base']}", headers=AUTH, trust_env=False) as c:
        return (await c.post("/graphql", json={"query": query, "variables": variables or {}})).json()


async def test_the_notified_owner_sees_the_recall_filtered_and_may_not_change_it(world: dict[str, Any]) -> None:
    body = await gql(world, "B-QUALITY", RECALL, {"id": "RC-1"})
    assert "errors" not in body, body
    recall = body["data"]["recall"]
    scan(json.dumps(body), HIDDEN_FROM_B | {"A-internal note"}, "B")
    assert {e["node"]["id"] for e in recall["affected"]["edges"]} == {"A-LOT"} | B_ITEMS
    assert recall["hidden"] == [{"organizationId": world["orgs"]["A"], "count": 1}]  # A-RAW
    assert recall["suspectIds"] == [] and recall["notes"] == []
    assert {d["itemId"] for d in recall["report"]["deliveries"]} >= {"B-UNIT"}
    # the mock recall was told to no one: B does not see it
    assert (await gql(world, "B-QUALITY", RECALL, {"id": "RC-MOCK"}))["data"]["recall"] is None
    listed = (await gql(world, "B-VIEWER", "{ recalls { edges { node { id } } } }"))["data"]["recalls"]["edges"]
    assert [e["node"]["id"] for e in listed] == ["RC-1"]
    for mutation in (
        'mutation { addRecallNote(id: "RC-1", text: "x") { errors { code } } }',
        'mutation { setRecallStatus(id: "RC-1", status: CLOSED) { errors { code } } }',
        'mutation { holdRecall(id: "RC-1") { errors { code } } }',
    ):
        payload = next(iter((await gql(world, "B-QUALITY", mutation))["data"].values()))
        assert payload["errors"][0]["code"] == "FORBIDDEN", (mutation, payload)
    async with client(world["base"], world["keys"]["B-QUALITY"]) as c:
        for path in ("/exports/recalls/RC-1?format=json", "/epcis/recalls/RC-1"):
            r = await c.get(path)
            assert r.status_code == 200, r.text
            scan(r.text, HIDDEN_FROM_B | {"A-internal note"}, "B")


async def test_an_uninvolved_organization_sees_nothing_of_it(world: dict[str, Any]) -> None:
    body = await gql(world, "C-QUALITY", RECALL, {"id": "RC-1"})
    assert body["data"]["recall"] is None
    listed = await gql(world, "C-QUALITY", "{ recalls { edges { node { id } } } }")
    assert listed["data"]["recalls"]["edges"] == []
    async with client(world["base"], world["keys"]["C-QUALITY"]) as c:
        assert (await c.get("/exports/recalls/RC-1")).status_code == 404
        assert (await c.get("/epcis/recalls/RC-1")).status_code == 404
    # and it may not open a recall from an item it may not see
    opened = (await gql(world, "C-QUALITY", OPEN, {"i": {"itemIds": ["A-RAW"], "reason": "x"}}))["data"]["openRecall"]
    assert opened["recall"] is None and opened["errors"][0]["code"] == "NOT_FOUND"


async def test_the_opener_holds_only_its_own_items(world: dict[str, Any]) -> None:
    held = await gql(world, "A-QUALITY", 'mutation { holdRecall(id: "RC-1") { heldItemIds errors { code } } }')
    payload = held["data"]["holdRecall"]
    assert payload["errors"] == [] and set(payload["heldItemIds"]) == {"A-RAW", "A-LOT"}


async def subscribe(base: str, key: str, query: str) -> Any:
    ws = await connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def test_notices_and_progress_over_websockets(world: dict[str, Any], served: tuple[str, Any]) -> None:
    base, app = served
    keys = world["keys"]
    before = app.state.bus.subscriber_count
    notice_q = "subscription { recallNoticeReceived { recallId organizationId itemIds openedByOrganization } }"
    progress_q = (
        "subscription { recallProgress { recallId what affectedCount recall { id hidden { organizationId "
        "count } affected { edges { node { id } } } } } }"
    )
    b_notices = await subscribe(base, keys["B-QUALITY"], notice_q)
    c_notices = await subscribe(base, keys["C-QUALITY"], notice_q)
    a_progress = await subscribe(base, keys["A-QUALITY"], progress_q)
    b_progress = await subscribe(base, keys["B-VIEWER"], progress_q)
    c_progress = await subscribe(base, keys["C-QUALITY"], progress_q)
    try:
        for _ in range(500):
            if app.state.bus.subscriber_count >= before + 5:
                break
            await asyncio.sleep(0.01)
        opened = (
            await gql(world, "A-QUALITY", OPEN, {"i": {"id": "RC-2", "itemIds": ["A-LOT"], "reason": "foreign matter"}})
        )["data"]["openRecall"]
        assert opened["errors"] == []
        got = json.loads(await asyncio.wait_for(b_notices.recv(), timeout=10))
        assert got["type"] == "next", got
        notice = got["payload"]["data"]["recallNoticeReceived"]
        assert notice["recallId"] == "RC-2" and notice["organizationId"] == world["orgs"]["B"]
        assert set(notice["itemIds"]) == B_ITEMS and notice["openedByOrganization"] == "org A"
        scan(json.dumps(got), HIDDEN_FROM_B, "B")

        got = json.loads(await asyncio.wait_for(a_progress.recv(), timeout=10))
        progress = got["payload"]["data"]["recallProgress"]
        assert progress["recallId"] == "RC-2" and progress["what"] == "OPENED", got
        assert progress["affectedCount"] == 1  # B-BREAD; the rest is counted, not named
        assert progress["recall"]["hidden"] == [{"organizationId": world["orgs"]["B"], "count": 2}]
        scan(json.dumps(got), HIDDEN_FROM_A, "A")

        got = json.loads(await asyncio.wait_for(b_progress.recv(), timeout=10))
        progress = got["payload"]["data"]["recallProgress"]
        assert progress["recallId"] == "RC-2" and progress["affectedCount"] == 3
        scan(json.dumps(got), HIDDEN_FROM_B, "B")

        for ws in (c_notices, c_progress):  # C is told nothing
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=1.0)
    finally:
        for ws in (b_notices, c_notices, a_progress, b_progress, c_progress):
            await ws.close()


async def test_a_viewer_may_not_subscribe_to_notices(world: dict[str, Any], served: tuple[str, Any]) -> None:
    base, _ = served
    ws = await subscribe(base, world["keys"]["B-VIEWER"], "subscription { recallNoticeReceived { recallId } }")
    try:
        got = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        assert got["type"] == "next" and got["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN", got
        assert got["payload"].get("data") is None
    finally:
        await ws.close()


async def test_the_admin_key_sees_the_whole_recall(world: dict[str, Any]) -> None:
    recall = (await gql_admin(world, RECALL, {"id": "RC-1"}))["data"]["recall"]
    assert {e["node"]["id"] for e in recall["affected"]["edges"]} == {"A-RAW", "A-LOT"} | B_ITEMS
    assert recall["hidden"] == [] and recall["affectedCount"] == 4
    # the snapshot taken when A opened it is the whole recall's: the suspect's fate, shipments included
    assert recall["suspects"][0]["itemId"] == "A-RAW" and recall["suspects"][0]["quantity"] == 100
    notices = (await gql_admin(world, NOTICES))["data"]["recallNotices"]["edges"]
    assert {e["node"]["organizationId"] for e in notices} == {world["orgs"]["B"]}
