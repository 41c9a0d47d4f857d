"""Two (three) organizations on one server see exactly what the visibility rule allows, through
GraphQL (item, items, event, events, trace), the EPCIS query and subscriptions.

Supplier S makes S-LOT from S-RAW and ships it to customer C; C receives S-LOT, bakes C-BREAD
from it and ships it to a shop. T is a stranger. C sees S-LOT (one step up) but not S-RAW; S
sees C-BREAD (one step down) but not what C made of it later; T sees none of theirs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from starlette.applications import Starlette

from tracegraph.api import schema
from tracegraph.api.context import Context
from tracegraph.config import Settings
from tracegraph.domain.auth import Principal, Role

pytestmark = pytest.mark.asyncio(loop_scope="module")

ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id }} {ERRORS} }} }}"
KEY = f"mutation($o: ID!, $r: Role!) {{ createApiKey(organizationId: $o, role: $r) {{ key {ERRORS} }} }}"
ITEMS = "{ items(first: 100) { edges { node { id } } } }"
EVENTS = "{ events(first: 100) { edges { node { id itemIds moves { itemId } links { sourceId targetId } } } } }"
TRACE = (
    "query($id: String!, $d: TraceDirection!) { trace(id: $id, direction: $d) { items { id } "
    "edges { source target } hidden { organizationId count } } }"
)


def client(app: Starlette, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(app: Starlette, plant: Api) -> dict[str, Any]:
    orgs, keys = {}, {}
    for name in ("S", "C", "T"):
        orgs[name] = (await plant.data(ORG, {"n": f"org {name}"}))["createOrganization"]["organization"]["id"]
        keys[name] = (await plant.data(KEY, {"o": orgs[name], "r": "OPERATOR"}))["createApiKey"]["key"]
    async with client(app, keys["S"]) as c:
        s = Api(c)
        await s.receive("S-RAW", "FLOUR", 100)
        await s.ok(
            "produce",
            {
                "locationId": "WH",
                "inputs": [{"itemId": "S-RAW", "quantity": 50, "locationId": "WH"}],
                "newItems": [{"id": "S-LOT", "materialId": "DOUGH"}],
                "outputs": [{"itemId": "S-LOT", "quantity": 50}],
            },
        )
        await s.ok(
            "ship",
            {
                "inputs": [{"itemId": "S-LOT", "quantity": 20, "locationId": "WH"}],
                "partnerId": orgs["C"],
                "id": "S-SHIP",
            },
        )
    async with client(app, keys["C"]) as c:
        cc = Api(c)
        await cc.ok(
            "receive",
            {
                "locationId": "DOCK",
                "outputs": [{"itemId": "S-LOT", "quantity": 20}],
                "partnerId": orgs["S"],
                "id": "C-RECEIPT",
            },
        )
        await cc.ok(
            "produce",
            {
                "locationId": "LINE",
                "inputs": [{"itemId": "S-LOT", "quantity": 20, "locationId": "DOCK"}],
                "newItems": [{"id": "C-BREAD", "materialId": "BREAD"}],
                "outputs": [{"itemId": "C-BREAD", "quantity": 40}],
                "id": "C-BAKE",
            },
        )
        await cc.ok(
            "split",
            {
                "inputs": [{"itemId": "C-BREAD", "quantity": 10, "locationId": "LINE"}],
                "newItems": [{"id": "C-BREAD-PACK", "materialId": "BREAD"}],
                "outputs": [{"itemId": "C-BREAD-PACK", "quantity": 10, "locationId": "LINE"}],
                "locationId": "LINE",
                "id": "C-SPLIT",
            },
        )
    async with client(app, keys["T"]) as c:
        await Api(c).receive("T-LOT", "SUGAR", 5)
    return {"orgs": orgs, "keys": keys}


SEES = {
    "S": {"S-RAW", "S-LOT", "C-BREAD"},
    "C": {"S-LOT", "C-BREAD", "C-BREAD-PACK"},
    "T": {"T-LOT"},
}
ALL = {"S-RAW", "S-LOT", "C-BREAD", "C-BREAD-PACK", "T-LOT"}
EVENT_IDS = {"S-SHIP", "C-RECEIPT", "C-BAKE", "C-SPLIT"}


def no_foreign(org: str, body: Any, events: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    text = json.dumps(body)
    for x in ALL - SEES[org]:
        assert f'"{x}"' not in text, (org, x, text[:400])
    for x in EVENT_IDS - events:
        assert f'"{x}"' not in text, (org, x, text[:400])


@pytest.mark.parametrize("org", ["S", "C", "T"])
async def test_items_and_item(app: Starlette, world: dict[str, Any], org: str) -> None:
    async with client(app, world["keys"][org]) as c:
        api = Api(c)
        listed = {e["node"]["id"] for e in (await api.data(ITEMS))["items"]["edges"]}
        assert listed == SEES[org]
        for item in ALL:
            found = (await api.data("query($id: String!) { item(id: $id) { id lotCode } }", {"id": item}))["item"]
            assert (found is not None) is (item in SEES[org]), (org, item)


@pytest.mark.parametrize("org,events", [("S", {"S-SHIP", "C-RECEIPT", "C-BAKE"}), ("C", EVENT_IDS), ("T", set())])
async def test_events_are_the_visible_ones_redacted(
    app: Starlette, world: dict[str, Any], org: str, events: set[str]
) -> None:
    async with client(app, world["keys"][org]) as c:
        body = (await Api(c).data(EVENTS))["events"]
    ids = {e["node"]["id"] for e in body["edges"]}
    assert {i for i in ids if i in EVENT_IDS} == events
    no_foreign(org, body, events)


async def test_traces_stop_at_the_company_line_with_counts(app: Starlette, world: dict[str, Any]) -> None:
    orgs = world["orgs"]
    async with client(app, world["keys"]["C"]) as c:
        back = (await Api(c).data(TRACE, {"id": "C-BREAD-PACK", "d": "BACKWARD"}))["trace"]
    assert {i["id"] for i in back["items"]} == {"C-BREAD", "S-LOT"}
    assert back["hidden"] == [{"organizationId": orgs["S"], "count": 1}]  # S-RAW: counted, not named
    no_foreign("C", back, EVENT_IDS)
    async with client(app, world["keys"]["S"]) as c:
        fwd = (await Api(c).data(TRACE, {"id": "S-RAW", "d": "FORWARD"}))["trace"]
    assert {i["id"] for i in fwd["items"]} == {"S-LOT", "C-BREAD"}
    assert fwd["hidden"] == [{"organizationId": orgs["C"], "count": 1}]
    no_foreign("S", fwd, EVENT_IDS)
    async with client(app, world["keys"]["T"]) as c:  # a stranger: the same answer as an unknown id
        hidden = await Api(c).raw(TRACE, {"id": "S-RAW", "d": "FORWARD"})
        unknown = await Api(c).raw(TRACE, {"id": "S-RAW-NEVER", "d": "FORWARD"})
    assert hidden["data"] is None and hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert unknown["errors"][0]["extensions"] == hidden["errors"][0]["extensions"]
    assert "S-RAW" not in hidden["errors"][0]["message"].replace("S-RAW", "", 1)  # only the id it sent


async def test_every_field_answers_only_what_the_caller_sees(app: Starlette, world: dict[str, Any]) -> None:
    """No field is closed to an organization's key: each answers what the services let it see."""
    async with client(app, world["keys"]["C"]) as c:
        api = Api(c)
        stock = (await api.data("{ stock { edges { node { itemId location { id } } } } }"))["stock"]
        no_foreign("C", stock, EVENT_IDS)
        item = (await api.data('{ item(id: "S-LOT") { parentId createdByEventId createdByEvent { id } } }'))["item"]
        assert item == {"parentId": None, "createdByEventId": None, "createdByEvent": None}  # S's production
        trace = await api.data(
            '{ trace(id: "C-BREAD", direction: BACKWARD) { links { source target } '
            "massBalance { rootId } deliveries { itemId } customers { partnerId } } }"
        )
        assert {(x["source"], x["target"]) for x in trace["trace"]["links"]} == {("S-LOT", "C-BREAD")}
        no_foreign("C", trace, EVENT_IDS)
        for query in [
            "{ materials { edges { node { id } } } }",
            "{ locations { edges { node { id } } } }",
            "{ orders { edges { node { id } } } }",
            "{ shipments { edges { node { id partnerId } } } }",
            "{ organizations { edges { node { id } } } }",
        ]:
            no_foreign("C", await api.data(query), EVENT_IDS)
        body = (await c.post("/graphql", json={"query": "{ check { ok } }"})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the whole ledger: the admin's
        assert (await c.get("/exports/trace", params={"id": "C-BREAD", "direction": "BACKWARD"})).status_code == 403


@pytest.mark.parametrize("org", ["S", "C"])
async def test_nested_item_fields_list_only_what_is_visible(app: Starlette, world: dict[str, Any], org: str) -> None:
    nested = (
        "query($id: String!) { item(id: $id) { id inputs { id inputs { id } } outputs { id outputs { id } } "
        "events { id itemIds links { sourceId targetId } } createdByEvent { id itemIds } "
        "onHand { itemId quantity } } }"
    )
    async with client(app, world["keys"][org]) as c:
        for item in sorted(SEES[org]):
            body = (await Api(c).data(nested, {"id": item}))["item"]
            no_foreign(org, body, EVENT_IDS)
    async with client(app, world["keys"]["C"]) as c:
        lot = (await Api(c).data(nested, {"id": "S-LOT"}))["item"]
    assert lot["inputs"] == [] and [o["id"] for o in lot["outputs"]] == ["C-BREAD"]


async def test_exports_of_a_trace_hold_only_what_the_caller_sees(
    app: Starlette, world: dict[str, Any], plant: Api
) -> None:
    quality = (await plant.data(KEY, {"o": world["orgs"]["C"], "r": "QUALITY"}))["createApiKey"]["key"]
    async with client(app, quality) as c:
        for fmt in ("csv", "json"):
            r = await c.get("/exports/trace", params={"id": "C-BREAD-PACK", "direction": "BACKWARD", "format": fmt})
            assert r.status_code == 200, r.text
            assert "S-LOT" in r.text and "S-RAW" not in r.text and "T-LOT" not in r.text
        assert (await c.get("/exports/trace", params={"id": "T-LOT", "direction": "FORWARD"})).status_code == 404
        r = await c.get("/epcis/trace", params={"id": "C-BREAD-PACK", "direction": "BACKWARD"})
        assert r.status_code == 200 and "S-LOT" in r.text and "S-RAW" not in r.text
        r = await c.get("/epcis/trace", params={"id": "S-RAW", "direction": "FORWARD"})
        assert r.status_code == 404 and "S-LOT" not in r.text  # unknown to the caller, like a wrong id


@pytest.mark.parametrize("org", ["S", "C", "T"])
async def test_stock_of_visible_items_only(app: Starlette, world: dict[str, Any], org: str) -> None:
    async with client(app, world["keys"][org]) as c:
        body = (await Api(c).data("{ stock(first: 100) { edges { node { itemId locationId quantity } } } }"))["stock"]
    assert {e["node"]["itemId"] for e in body["edges"]} <= SEES[org]
    assert {e["node"]["itemId"] for e in body["edges"]} & SEES[org]
    no_foreign(org, body, EVENT_IDS)


@pytest.mark.parametrize("org", ["S", "C", "T"])
async def test_the_epcis_query_gives_only_visible_events(app: Starlette, world: dict[str, Any], org: str) -> None:
    async with client(app, world["keys"][org]) as c:
        r = await c.get("/epcis/events", params={"perPage": "100"})
        assert r.status_code == 200, r.text
        for item in ALL - SEES[org]:
            assert item not in r.text, (org, item)
        one = await c.get("/epcis/events/C-BAKE")
        assert (one.status_code == 200) is (org in ("S", "C")), (org, one.status_code)
        if one.status_code == 200:
            assert all(item not in one.text for item in ALL - SEES[org])


async def test_a_subscriber_gets_only_what_its_organization_sees(
    app: Starlette, world: dict[str, Any], plant: Api
) -> None:

    def ctx(org: str) -> Context:
        return Context(
            services=app.state.services,
            bus=app.state.bus,
            settings=Settings(demo=False),
            principal=Principal(organization_id=world["orgs"][org], role=Role.VIEWER),
        )

    sub = "subscription { eventRecorded { id itemIds event { itemIds } } }"
    streams = {org: await schema.subscribe(sub, context_value=ctx(org)) for org in ("S", "C", "T")}
    firsts = {org: asyncio.ensure_future(anext(s)) for org, s in streams.items()}  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    async with client(app, world["keys"]["C"]) as c:
        await Api(c).ok(
            "ship", {"inputs": [{"itemId": "C-BREAD-PACK", "quantity": 1, "locationId": "LINE"}], "id": "C-SHIP-LIVE"}
        )
    async with client(app, world["keys"]["S"]) as c:
        await Api(c).ok(
            "ship", {"inputs": [{"itemId": "S-LOT", "quantity": 1, "locationId": "WH"}], "id": "S-SHIP-LIVE"}
        )
    got_c = (await asyncio.wait_for(firsts["C"], 5)).data["eventRecorded"]
    got_s = (await asyncio.wait_for(firsts["S"], 5)).data["eventRecorded"]
    assert got_c["id"] == "C-SHIP-LIVE" and got_c["itemIds"] == ["C-BREAD-PACK"]
    # S's first visible event is its own shipment: C's shipment of C-BREAD-PACK is not S's to see.
    assert got_s["id"] == "S-SHIP-LIVE"
    await asyncio.sleep(0.2)
    assert not firsts["T"].done()
    for f in firsts.values():
        f.cancel()
    await asyncio.gather(*firsts.values(), return_exceptions=True)
    for s in streams.values():
        await s.aclose()  # type: ignore[union-attr]


async def test_an_organization_key_sees_its_own_organization_only(app: Starlette, world: dict[str, Any]) -> None:
    orgs = world["orgs"]
    async with client(app, world["keys"]["C"]) as c:
        api = Api(c)
        listed = [
            e["node"]["id"]
            for e in (await api.data("{ organizations { edges { node { id } } } }"))["organizations"]["edges"]
        ]
        assert listed == [orgs["C"]]
        q = "query($id: ID!) { organization(id: $id) { id } }"
        assert (await api.data(q, {"id": orgs["S"]}))["organization"] is None
        assert (await api.data(q, {"id": orgs["C"]}))["organization"] == {"id": orgs["C"]}


async def test_an_explicit_share_shows_the_item_and_its_upstream(
    app: Starlette, world: dict[str, Any], plant: Api
) -> None:
    orgs, keys = world["orgs"], world["keys"]
    share = (
        "mutation($i: String!, $o: ID!, $s: ShareScope!) { shareItem(itemId: $i, withOrganizationId: $o, "
        f"scope: $s) {{ share {{ itemId organizationId scope }} {ERRORS} }} }}"
    )
    quality = (await plant.data(KEY, {"o": orgs["S"], "r": "QUALITY"}))["createApiKey"]["key"]
    async with client(app, keys["S"]) as c:  # an OPERATOR may not share
        payload = (await Api(c).data(share, {"i": "S-LOT", "o": orgs["T"], "s": "UPSTREAM"}))["shareItem"]
        assert payload["errors"][0]["code"] == "FORBIDDEN"
    async with client(app, quality) as c:
        api = Api(c)
        payload = (await api.data(share, {"i": "C-BREAD", "o": orgs["T"], "s": "ITEM"}))["shareItem"]
        assert payload["share"] is None and payload["errors"][0]["code"] == "NOT_FOUND"  # not S's to share
        payload = (await api.data(share, {"i": "S-LOT", "o": orgs["T"], "s": "UPSTREAM"}))["shareItem"]
        assert payload == {"share": {"itemId": "S-LOT", "organizationId": orgs["T"], "scope": "UPSTREAM"}, "errors": []}
    async with client(app, keys["T"]) as c:
        listed = {e["node"]["id"] for e in (await Api(c).data(ITEMS))["items"]["edges"]}
        assert listed == {"T-LOT", "S-LOT", "S-RAW"}
        back = (await Api(c).data(TRACE, {"id": "S-LOT", "d": "BACKWARD"}))["trace"]
        assert [i["id"] for i in back["items"]] == ["S-RAW"] and back["hidden"] == []
        fwd = (await Api(c).data(TRACE, {"id": "S-LOT", "d": "FORWARD"}))["trace"]
        assert fwd["items"] == [] and {h["organizationId"] for h in fwd["hidden"]} == {orgs["C"]}


async def test_stock_and_status_changes_reach_only_who_may_see_the_item(app: Starlette, world: dict[str, Any]) -> None:

    def ctx(org: str) -> Context:
        return Context(
            services=app.state.services,
            bus=app.state.bus,
            settings=Settings(demo=False),
            principal=Principal(organization_id=world["orgs"][org], role=Role.VIEWER),
        )

    stock = "subscription { stockChanged { itemId eventId delta } }"
    status = "subscription { itemStatusChanged { itemId toStatus } }"
    streams = {
        (org, kind): await schema.subscribe(q, context_value=ctx(org))
        for org in ("S", "C", "T")
        for kind, q in (("stock", stock), ("status", status))
    }
    nexts = {k: asyncio.ensure_future(anext(s)) for k, s in streams.items()}  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    async with client(app, world["keys"]["C"]) as c:  # C's own item: S may not see C-BREAD-PACK
        await Api(c).ok("reclassify", {"inputs": [{"itemId": "C-BREAD-PACK"}], "status": "HOLD"})
        await Api(c).ok(
            "move", {"inputs": [{"itemId": "C-BREAD-PACK", "quantity": 1, "locationId": "LINE"}], "toLocationId": "WH"}
        )
    assert (await asyncio.wait_for(nexts[("C", "status")], 5)).data["itemStatusChanged"]["itemId"] == "C-BREAD-PACK"
    assert (await asyncio.wait_for(nexts[("C", "stock")], 5)).data["stockChanged"]["itemId"] == "C-BREAD-PACK"
    await asyncio.sleep(0.2)
    assert not any(nexts[(org, kind)].done() for org in ("S", "T") for kind in ("stock", "status"))
    for f in nexts.values():
        f.cancel()
    await asyncio.gather(*nexts.values(), return_exceptions=True)
    for s in streams.values():
        await s.aclose()  # type: ignore[union-attr]
