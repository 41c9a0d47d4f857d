"""The audit log: mutations, traces, exports and EPCIS captures are appended with the key and
organization; ADMIN keys read their organization's, the admin key everyone's; others may not."""

from __future__ import annotations

import json

import httpx
import pytest
from api_kit import ERRORS, Api
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOG = "query($o: ID) { auditLog(first: 100, organizationId: $o) { edges { node { action keyId organizationId detail } } } }"


def client(app: Starlette, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


async def test_who_did_what_is_logged_and_readable_by_admins(app: Starlette, plant: Api) -> None:
    org = (
        await plant.data(f'mutation {{ createOrganization(name: "Audited") {{ organization {{ id }} {ERRORS} }} }}')
    )["createOrganization"]["organization"]["id"]
    keys = {}
    for role in ("ADMIN", "OPERATOR", "QUALITY"):
        keys[role] = (
            await plant.data(
                "mutation($o: ID!, $r: Role!) { createApiKey(organizationId: $o, role: $r) { key } }",
                {"o": org, "r": role},
            )
        )["createApiKey"]["key"]
    async with client(app, keys["OPERATOR"]) as c:
        await Api(c).receive("AUD-LOT", "FLOUR", 5)
        await Api(c).data('{ trace(id: "AUD-LOT", direction: FORWARD) { items { id } } }')
        body = (await c.post("/graphql", json={"query": LOG})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with client(app, keys["QUALITY"]) as c:
        assert (await c.get("/exports/trace", params={"id": "AUD-LOT", "direction": "FORWARD"})).status_code == 200
    async with client(app, keys["ADMIN"]) as c:
        mine = [e["node"] for e in (await Api(c).data(LOG))["auditLog"]["edges"]]
        other = (await c.post("/graphql", json={"query": LOG, "variables": {"o": "someone-else"}})).json()
    actions = [e["action"] for e in mine]
    assert actions[:4] == ["mutation:receive", "query:trace", "query:auditLog", "export:trace"], actions
    assert {e["organizationId"] for e in mine} == {org} and all(e["keyId"] for e in mine)
    assert json.loads(mine[0]["detail"])["input"]["newItems"][0]["id"] == "AUD-LOT"
    assert [e["node"]["organizationId"] for e in other["data"]["auditLog"]["edges"]] == [org] * len(
        other["data"]["auditLog"]["edges"]
    )  # an ADMIN key reads its own organization's, whatever it asks
    everything = [e["node"] for e in (await plant.data(LOG))["auditLog"]["edges"]]
    assert "mutation:createOrganization" in {e["action"] for e in everything}


ALL = "{ auditLog(first: 1000) { nodes { action detail } } }"


async def test_inline_arguments_are_logged_as_variables_are(plant: Api) -> None:
    """The detail holds each audited field's own arguments, written inline or passed as
    variables (a variable left out takes the operation's default), one entry per field."""
    before = len((await plant.data(ALL))["auditLog"]["nodes"])
    got = await plant.data(
        'mutation { receive(input: {locationId: "WH", newItems: [{id: "INL-LOT", materialId: "FLOUR", '
        f'lotCode: "INL-LOT"}}], outputs: [{{itemId: "INL-LOT", quantity: 2}}]}}) {{ {ERRORS} }} }}'
    )
    assert got["receive"]["errors"] == []
    await plant.data(
        'query($d: TraceDirection = BACKWARD, $max: Int) { a: trace(id: "INL-LOT", direction: FORWARD) { items { id } }'
        ' b: trace(id: "INL-LOT", direction: $d, maxDepth: $max) { items { id } } }'
    )
    await plant.data(
        "query($id: String!) { ...T }  fragment T on Query { trace(id: $id, direction: FORWARD, maxDepth: 3) { items { id } } }",
        {"id": "INL-LOT"},
    )
    new = (await plant.data(ALL))["auditLog"]["nodes"][before:]
    entries = [(e["action"], json.loads(e["detail"])) for e in new if e["action"] != "query:auditLog"]
    assert entries[0][0] == "mutation:receive"
    assert entries[0][1]["input"]["newItems"] == [{"id": "INL-LOT", "materialId": "FLOUR", "lotCode": "INL-LOT"}]
    assert entries[0][1]["input"]["outputs"] == [{"itemId": "INL-LOT", "quantity": 2}]
    assert entries[1:4] == [
        ("query:trace", {"id": "INL-LOT", "direction": "FORWARD"}),
        ("query:trace", {"id": "INL-LOT", "direction": "BACKWARD"}),  # $max not given: left out
        ("query:trace", {"id": "INL-LOT", "direction": "FORWARD", "maxDepth": 3}),
    ]


async def test_a_new_key_is_never_in_the_log(plant: Api) -> None:
    org = (await plant.data(f'mutation {{ createOrganization(name: "Keyed") {{ organization {{ id }} {ERRORS} }} }}'))[
        "createOrganization"
    ]["organization"]["id"]
    key = (await plant.data(f'mutation {{ createApiKey(organizationId: "{org}", role: OPERATOR) {{ key }} }}'))[
        "createApiKey"
    ]["key"]
    log = (await plant.data(ALL))["auditLog"]["nodes"]
    assert {
        "action": "mutation:createApiKey",
        "detail": json.dumps({"organizationId": org, "role": "OPERATOR"}, separators=(",", ":")),
    } in log
    assert all(key not in e["detail"] for e in log)
