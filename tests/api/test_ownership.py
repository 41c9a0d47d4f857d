"""Every event and item belongs to the organization whose key recorded it: through GraphQL
commands, EPCIS capture, master data and recall holds; the admin key keeps what it is given."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id }} {ERRORS} }} }}"
KEY = f"mutation($o: ID!, $r: Role!) {{ createApiKey(organizationId: $o, role: $r) {{ key {ERRORS} }} }}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def two(app: Starlette, plant: Api) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("acme", "beta"):
        org = (await plant.data(ORG, {"n": name}))["createOrganization"]["organization"]["id"]
        keys = {}
        for role in ("OPERATOR", "QUALITY"):
            keys[role] = (await plant.data(KEY, {"o": org, "r": role}))["createApiKey"]["key"]
        out[name] = (org, keys)
    return out


def client(app: Starlette, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


async def test_commands_master_data_and_facts_belong_to_the_recording_organization(
    app: Starlette, two: dict[str, Any]
) -> None:
    store = app.state.store
    acme, acme_keys = two["acme"]
    beta, beta_keys = two["beta"]
    async with client(app, acme_keys["OPERATOR"]) as c:
        acme_api = Api(c)
        await acme_api.create("createMaterial", "CreateMaterialInput", {"id": "OWN-MAT", "name": "Own"})
        event = await acme_api.receive("OWN-LOT", "OWN-MAT", 10)
        batch = (
            await acme_api.data(
                "mutation($i: [EventInput!]!) { recordEvents(input: $i) { events { id } errors { message } } }",
                {
                    "i": [
                        {
                            "type": "RECEIVE",
                            "locationId": "WH",
                            "newItems": [{"id": "OWN-LOT-2", "materialId": "FLOUR"}],
                            "outputs": [{"itemId": "OWN-LOT-2", "quantity": 1}],
                        }
                    ]
                },
            )
        )["recordEvents"]
    assert (await store.get("Material", ["OWN-MAT"]))["OWN-MAT"].organization_id == acme
    items = await store.get("Item", ["OWN-LOT", "OWN-LOT-2"])
    assert {i.organization_id for i in items.values()} == {acme}
    events = await store.events_by_id([event["id"], batch["events"][0]["id"]])
    assert {e.organization_id for e in events.values()} == {acme}

    epc = "urn:epc:id:sgtin:4012345.011111.777"
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T08:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventID": "urn:uuid:own-1",
                    "eventTime": "2024-03-04T08:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "epcList": [epc],
                    "action": "ADD",
                    "bizStep": "commissioning",
                }
            ]
        },
    }
    async with client(app, beta_keys["OPERATOR"]) as c:
        assert (await c.post("/epcis/capture", json=document)).status_code == 202
    assert (await store.events_by_id(["urn:uuid:own-1"]))["urn:uuid:own-1"].organization_id == beta
    assert (await store.get("Item", [epc]))[epc].organization_id == beta


async def test_recall_holds_belong_to_the_quality_teams_organization(app: Starlette, two: dict[str, Any]) -> None:
    acme, acme_keys = two["acme"]
    async with client(app, acme_keys["OPERATOR"]) as c:
        await Api(c).receive("HOLD-LOT", "FLOUR", 5)
    async with client(app, acme_keys["QUALITY"]) as c:
        api = Api(c)
        opened = (
            await api.data(
                'mutation { openRecall(input: {id: "RC-OWN", itemIds: ["HOLD-LOT"], direction: FORWARD, '
                'reason: "test"}) { recall { id } errors { code message } } }'
            )
        )["openRecall"]
        assert opened["errors"] == [], opened
        held = (await api.data('mutation { holdRecall(id: "RC-OWN") { errors { code message } } }'))["holdRecall"]
        assert held["errors"] == [], held
    recall = (await app.state.store.recalls(["RC-OWN"]))["RC-OWN"]
    events = await app.state.store.events_by_id(recall.hold_event_ids)
    assert events and {e.organization_id for e in events.values()} == {acme}


async def test_the_admin_key_records_what_it_is_given(app: Starlette, plant: Api) -> None:
    event = await plant.receive("ADMIN-LOT", "FLOUR", 1)
    assert (await app.state.store.events_by_id([event["id"]]))[event["id"]].organization_id is None
