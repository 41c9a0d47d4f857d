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
