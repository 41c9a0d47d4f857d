"""Shelf life through GraphQL: refusals, FEFO, the near-expiry list, items by expiry, and the
lotsNearingExpiry feed, with partners seeing only their own lots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from api_kit import BATCH, Api, key_client, new_organization
from starlette.applications import Starlette

from tracegraph.api.context import Context
from tracegraph.api.schema import schema
from tracegraph.config import Settings
from tracegraph.domain.auth import Principal, Role
from tracegraph.services.shelf import ExpiryWatch

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOW = datetime.now(UTC)


def iso(days: float) -> str:
    return (NOW + timedelta(days=days)).isoformat()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dairy(plant: Api) -> Api:
    """Milk (3 days needed to ship, warned 4 days ahead) at the warehouse: a lot expired, one
    held, two fresh, one without expiry in the cold room."""
    await plant.create(
        "createMaterial",
        "CreateMaterialInput",
        {
            "id": "MILK",
            "name": "Milk",
            "baseUnit": "L",
            "shelfLifeDays": 10,
            "minRemainingShelfLifeDays": 3,
            "expiryWarningDays": 4,
        },
    )
    await plant.ok(
        "receive",
        {
            "locationId": "WH",
            "eventTime": iso(-11),
            "newItems": [{"id": "MK-OLD", "materialId": "MILK"}],  # received 11 days ago: expired yesterday
            "outputs": [{"itemId": "MK-OLD", "quantity": 50}],
        },
    )
    await plant.receive("MK-HOLD", "MILK", 40, expiresAt=iso(1), status="HOLD")
    await plant.receive("MK-A", "MILK", 20, expiresAt=iso(2))
    await plant.receive("MK-B", "MILK", 30, expiresAt=iso(5))
    return plant


async def test_material_shelf_life_rules_read_back(dairy: Api) -> None:
    data = await dairy.data('{ material(id: "MILK") { shelfLifeDays minRemainingShelfLifeDays expiryWarningDays } }')
    assert data["material"] == {"shelfLifeDays": 10, "minRemainingShelfLifeDays": 3, "expiryWarningDays": 4}
    item = await dairy.item("MK-A", "expiresAt")
    assert item is not None and datetime.fromisoformat(item["expiresAt"]) == NOW + timedelta(days=2)


async def test_an_expired_lot_is_refused_with_nothing_written(dairy: Api) -> None:
    before = await dairy.balances("MK-OLD")
    payload = await dairy.mutate("ship", {"inputs": [{"itemId": "MK-OLD", "quantity": 5, "locationId": "WH"}]})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("inputs[0].itemId", "EXPIRED")]
    assert "MK-OLD expired at" in payload["errors"][0]["message"] and payload["event"] is None
    item = await dairy.item("MK-OLD", "expiresAt")
    assert item is not None and datetime.fromisoformat(item["expiresAt"]) == NOW - timedelta(days=1)
    issue = {
        "inputs": [{"itemId": "MK-OLD", "quantity": 5, "locationId": "WH"}],
        "newItems": [{"id": "MK-BATCH", "materialId": "MILK", "kind": "BATCH"}],
        "outputs": [{"itemId": "MK-BATCH"}],
        "locationId": "LINE",
    }
    payload = await dairy.mutate("issue", issue)
    assert [e["code"] for e in payload["errors"]] == ["EXPIRED"]
    # In a batch: the good event is not written either.
    move = {
        "type": "MOVE",
        "id": "MV-OK",
        "fromLocationId": "WH",
        "toLocationId": "DOCK",
        "inputs": [{"itemId": "MK-A", "quantity": 1}],
    }
    ship = {"type": "SHIP", "id": "SHP-OLD", "locationId": "WH", "inputs": [{"itemId": "MK-OLD", "quantity": 1}]}
    answer = (await dairy.data(BATCH, {"i": [move, ship]}))["recordEvents"]
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("input[1].inputs[0].itemId", "EXPIRED")]
    assert await dairy.balances("MK-OLD") == before and await dairy.balances("MK-A", virtual=False) == {"WH": 20}
    # Judged at the event's time: shipped four days before its expiry, it went.
    shipped = await dairy.ok(
        "ship", {"inputs": [{"itemId": "MK-OLD", "quantity": 5, "locationId": "WH"}], "eventTime": iso(-5)}
    )
    assert shipped["type"] == "SHIP"


async def test_shipping_needs_the_minimum_remaining_shelf_life(dairy: Api) -> None:
    payload = await dairy.mutate("ship", {"inputs": [{"itemId": "MK-A", "quantity": 1, "locationId": "WH"}]})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("inputs[0].itemId", "SHELF_LIFE_TOO_SHORT")]
    assert "MK-A expires at" in payload["errors"][0]["message"]


FEFO = """query($m: ID!, $l: ID!, $q: Float!, $s: Boolean!) {
    fefo(materialId: $m, locationId: $l, quantity: $q, forShipping: $s) {
        requested unit picked shortfall covered
        picks { itemId quantity onHand daysLeft item { status } }
        skipped { itemId reason }
    }
}"""


async def test_fefo_proposes_first_expiry_first(dairy: Api) -> None:
    got = (await dairy.data(FEFO, {"m": "MILK", "l": "WH", "q": 35, "s": False}))["fefo"]
    assert [(p["itemId"], p["quantity"]) for p in got["picks"]] == [("MK-A", 20), ("MK-B", 15)]
    assert got["skipped"] == [{"itemId": "MK-HOLD", "reason": "STATUS_FORBIDS"}]  # the expired one is never read
    assert (got["covered"], got["picked"], got["shortfall"], got["unit"]) == (True, 35, 0, "L")
    assert 1.9 < got["picks"][0]["daysLeft"] <= 2
    shipping = (await dairy.data(FEFO, {"m": "MILK", "l": "WH", "q": 35, "s": True}))["fefo"]
    assert [(p["itemId"], p["quantity"]) for p in shipping["picks"]] == [("MK-B", 30)]
    assert {s["itemId"]: s["reason"] for s in shipping["skipped"]} == {
        "MK-HOLD": "STATUS_FORBIDS",
        "MK-A": "SHELF_LIFE_TOO_SHORT",
    }
    assert (shipping["covered"], shipping["shortfall"]) == (False, 5)
    body = await dairy.raw(FEFO, {"m": "NO-SUCH", "l": "WH", "q": 1, "s": False})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await dairy.raw(FEFO, {"m": "MILK", "l": "WH", "q": -1, "s": False})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_QUANTITY"


NEAR = """query($days: Int, $m: ID, $x: Boolean!, $first: Int!, $after: String) {
    nearExpiry(days: $days, materialId: $m, includeExpired: $x, first: $first, after: $after) {
        edges { cursor node { itemId stage daysLeft warningDays onHand unit } }
        pageInfo { hasNextPage endCursor }
    }
}"""


async def near(api: Api, **v: Any) -> list[tuple[str, str]]:
    args = {"days": None, "m": None, "x": True, "first": 50, "after": None, **v}
    conn = (await api.data(NEAR, args))["nearExpiry"]
    return [(e["node"]["itemId"], e["node"]["stage"]) for e in conn["edges"]]


async def test_near_expiry_lists_lots_within_their_warning_period(dairy: Api) -> None:
    assert await near(dairy, m="MILK") == [
        ("MK-OLD", "EXPIRED"),
        ("MK-HOLD", "NEAR_EXPIRY"),
        ("MK-A", "NEAR_EXPIRY"),
    ]
    assert await near(dairy) == await near(dairy, m="MILK")  # every material's own warning period
    assert await near(dairy, m="MILK", x=False) == [("MK-HOLD", "NEAR_EXPIRY"), ("MK-A", "NEAR_EXPIRY")]
    assert [i for i, _ in await near(dairy, days=6, x=False)] == ["MK-HOLD", "MK-A", "MK-B"]
    first = (await dairy.data(NEAR, {"m": "MILK", "x": True, "first": 2, "days": None, "after": None}))["nearExpiry"]
    assert [e["node"]["itemId"] for e in first["edges"]] == ["MK-OLD", "MK-HOLD"]
    assert first["pageInfo"]["hasNextPage"] and first["edges"][0]["node"]["daysLeft"] < 0
    rest = await near(dairy, m="MILK", first=2, after=first["pageInfo"]["endCursor"])
    assert rest == [("MK-A", "NEAR_EXPIRY")]
    body = await dairy.raw(NEAR, {"days": -1, "m": None, "x": True, "first": 5, "after": None})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


ITEMS = """query($m: ID, $order: ItemOrder!, $until: DateTime, $first: Int!, $after: String) {
    items(materialId: $m, orderBy: $order, expiresUntil: $until, first: $first, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor }
    }
}"""


async def test_items_by_expiry(dairy: Api) -> None:
    order: list[str] = []
    after = None
    while True:
        conn = (await dairy.data(ITEMS, {"m": "MILK", "order": "EXPIRY", "until": None, "first": 2, "after": after}))[
            "items"
        ]
        order += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert order == ["MK-OLD", "MK-HOLD", "MK-A", "MK-B"]
    conn = (await dairy.data(ITEMS, {"m": "MILK", "order": "ID", "until": iso(1.5), "first": 10, "after": None}))[
        "items"
    ]
    assert [e["node"]["id"] for e in conn["edges"]] == ["MK-HOLD", "MK-OLD"]


async def test_stock_by_expiry_range(dairy: Api) -> None:
    q = """query($until: DateTime) {
        stock(materialId: "MILK", includeVirtual: false, expiresUntil: $until) { nodes { itemId quantity } }
    }"""
    nodes = (await dairy.data(q, {"until": iso(1.5)}))["stock"]["nodes"]
    assert {n["itemId"] for n in nodes} == {"MK-OLD", "MK-HOLD"}


SUB = "subscription($m: ID) { lotsNearingExpiry(materialId: $m) { itemId stage warningDays daysLeft } }"


def context(app: Starlette, principal: Principal | None = None) -> Context:
    return Context(services=app.state.services, bus=app.state.bus, settings=Settings(demo=False), principal=principal)


async def drain(stream: Any, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        result = await asyncio.wait_for(anext(stream), timeout=5)
        assert not result.errors, result.errors
        out.append(result.data["lotsNearingExpiry"])
    return out


async def test_lots_nearing_expiry_are_announced_once(app: Starlette, dairy: Api) -> None:
    stream = await schema.subscribe(SUB, {"m": "MILK"}, context_value=context(app))
    first = asyncio.ensure_future(drain(stream, 3))
    for _ in range(200):
        if app.state.bus.subscriber_count >= 1:
            break
        await asyncio.sleep(0.005)
    announced = await app.state.expiry_watch.check()
    got = await first
    expected = {("MK-OLD", "EXPIRED"), ("MK-HOLD", "NEAR_EXPIRY"), ("MK-A", "NEAR_EXPIRY")}
    assert {(a["itemId"], a["stage"]) for a in got} == expected
    assert {(a["item_id"], a["stage"]) for a in announced} == expected
    assert all(a["warningDays"] == 4 for a in got)
    # Checked again, by this instance or by a new one on the same store (a restart): nothing new.
    assert await app.state.expiry_watch.check() == []
    assert await ExpiryWatch(app.state.ledger).check() == []
    # Two days on, MK-A has expired and MK-B is near: each told once.
    later = await ExpiryWatch(app.state.ledger).check(NOW + timedelta(days=2, hours=1))
    assert {(a["item_id"], a["stage"]) for a in later} >= {("MK-A", "EXPIRED"), ("MK-B", "NEAR_EXPIRY")}
    await stream.aclose()  # type: ignore[union-attr]


async def test_partners_see_only_their_own_lots(app: Starlette, dairy: Api) -> None:
    org_p, keys_p = await new_organization(dairy, "Dairy P", ("OPERATOR", "VIEWER"))
    org_q, keys_q = await new_organization(dairy, "Bakery Q", ("VIEWER",))
    async with key_client(app, keys_p["OPERATOR"]) as c:
        p = Api(c)
        await p.create(
            "createMaterial",
            "CreateMaterialInput",
            {"id": "P-MILK", "name": "P milk", "baseUnit": "L", "expiryWarningDays": 3},
        )
        await p.create("createLocation", "CreateLocationInput", {"id": "P-WH", "name": "P store"})
        await p.receive("P-LOT", "P-MILK", 10, location="P-WH", expiresAt=iso(1))
        assert [i for i, _ in await near(p)] == ["P-LOT"]
        got = (await p.data(FEFO, {"m": "P-MILK", "l": "P-WH", "q": 4, "s": False}))["fefo"]
        assert [(x["itemId"], x["quantity"]) for x in got["picks"]] == [("P-LOT", 4)]
    async with key_client(app, keys_q["VIEWER"]) as c:
        q = Api(c)
        assert await near(q, days=1000) == []
        body = await q.raw(FEFO, {"m": "P-MILK", "l": "P-WH", "q": 4, "s": False})
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        items = await q.data(ITEMS, {"m": None, "order": "EXPIRY", "until": None, "first": 50, "after": None})
        assert items["items"]["edges"] == []
    streams = {
        org: await schema.subscribe(SUB, context_value=context(app, Principal(organization_id=org, role=Role.VIEWER)))
        for org in (org_p, org_q)
    }
    firsts = {org: asyncio.ensure_future(anext(s)) for org, s in streams.items()}  # type: ignore[arg-type]
    for _ in range(200):
        if app.state.bus.subscriber_count >= 2:
            break
        await asyncio.sleep(0.005)
    await app.state.expiry_watch.check()
    seen = (await asyncio.wait_for(firsts[org_p], 5)).data["lotsNearingExpiry"]
    assert (seen["itemId"], seen["stage"]) == ("P-LOT", "NEAR_EXPIRY")
    await asyncio.sleep(0.2)
    assert not firsts[org_q].done()
    for f in firsts.values():
        f.cancel()
    await asyncio.gather(*firsts.values(), return_exceptions=True)
    for s in streams.values():
        await s.aclose()  # type: ignore[union-attr]
