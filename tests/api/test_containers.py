"""Containers through GraphQL: the materials a container allows (given when it is created,
changed by its owner with setAllowedMaterials, enforced on pack), and what is in it now and
who occupied it when, as the caller may see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_kit import ERRORS, Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

SET = (
    "mutation($input: SetAllowedMaterialsInput!) { setAllowedMaterials(input: $input) "
    f"{{ item {{ id allowedMaterialIds }} {ERRORS} }} }}"
)
CONTAINER = """
query($id: String!) {
  item(id: $id) {
    id allowedMaterialIds
    contents { itemId quantity since packedByEventIds item { materialId } }
    occupancy { itemId quantity packedAt packedByEventId unpackedAt unpackedByEventId packedBy { type } unpackedBy { type } }
  }
}
"""


# Packs after the lots' receipts (recorded now): in whole hours from the next one on.
BASE = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def T(hours: int) -> str:  # noqa: N802
    return (BASE + timedelta(hours=hours)).isoformat()


def same_time(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


async def new_tank(api: Api, tank: str, allowed: list[str] | None, location: str = "WH") -> None:
    await api.ok(
        "receive",
        {
            "locationId": location,
            "newItems": [
                {"id": tank, "kind": "CONTAINER", "containerType": "PERMANENT", "allowedMaterialIds": allowed}
            ],
            "outputs": [{"itemId": tank, "quantity": 1}],
        },
    )


def pack(tank: str, item: str, event_id: str, time: str, location: str = "WH") -> dict[str, Any]:
    return {
        "containerId": tank,
        "locationId": location,
        "inputs": [{"itemId": item, "quantity": 10}],
        "id": event_id,
        "eventTime": time,
    }


async def set_allowed(api: Api, tank: str, materials: list[str] | None) -> dict[str, Any]:
    return (await api.data(SET, {"input": {"containerId": tank, "materialIds": materials}}))["setAllowedMaterials"]


async def test_a_tank_takes_only_the_materials_it_allows(plant: Api) -> None:
    await new_tank(plant, "TANK-1", ["FLOUR"])
    await plant.receive("FL-A", "FLOUR", 100)
    await plant.receive("SU-A", "SUGAR", 100)
    await plant.ok("pack", pack("TANK-1", "FL-A", "T1-P1", T(0)))
    refused = await plant.mutate("pack", pack("TANK-1", "SU-A", "T1-P2", T(1)))
    assert refused["event"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == ("inputs[0].itemId", "MATERIAL_NOT_ALLOWED")
    assert all(word in error["message"] for word in ("SU-A", "SUGAR", "TANK-1"))

    done = await set_allowed(plant, "TANK-1", ["FLOUR", "SUGAR"])
    assert done == {"item": {"id": "TANK-1", "allowedMaterialIds": ["FLOUR", "SUGAR"]}, "errors": []}
    await plant.ok("pack", pack("TANK-1", "SU-A", "T1-P2", T(1)))
    cleared = await set_allowed(plant, "TANK-1", None)
    assert cleared["item"]["allowedMaterialIds"] is None

    # Typed errors: an unknown material, an item that is not a container, an unknown container.
    bad = await set_allowed(plant, "TANK-1", ["FLOUR", "NOPE"])
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("materialIds[1]", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in (await set_allowed(plant, "FL-A", ["FLOUR"]))["errors"]] == [
        ("containerId", "INVALID")
    ]
    assert [(e["field"], e["code"]) for e in (await set_allowed(plant, "NO-TANK", ["FLOUR"]))["errors"]] == [
        ("containerId", "NOT_FOUND")
    ]
    # Only a container has allowed materials.
    wrong = await plant.mutate(
        "receive",
        {
            "locationId": "WH",
            "newItems": [{"id": "FL-Z", "materialId": "FLOUR", "allowedMaterialIds": ["FLOUR"]}],
            "outputs": [{"itemId": "FL-Z", "quantity": 1}],
        },
    )
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("newItems[0].allowedMaterialIds", "INVALID")]


async def test_contents_and_occupancy(plant: Api) -> None:
    await new_tank(plant, "TANK-2", None)
    await plant.receive("FL-B", "FLOUR", 100)
    await plant.receive("SU-B", "SUGAR", 100)
    await plant.ok("pack", pack("TANK-2", "FL-B", "T2-P1", T(2)))
    await plant.ok("pack", pack("TANK-2", "SU-B", "T2-P2", T(3)))
    await plant.ok(
        "unpack",
        {"containerId": "TANK-2", "inputs": [{"itemId": "FL-B"}], "id": "T2-U1", "eventTime": T(4)},
    )
    await plant.ok("pack", pack("TANK-2", "FL-B", "T2-P3", T(5)))
    tank = (await plant.data(CONTAINER, {"id": "TANK-2"}))["item"]
    assert tank["allowedMaterialIds"] is None
    assert [(s["itemId"], s["packedByEventId"], s["unpackedByEventId"]) for s in tank["occupancy"]] == [
        ("FL-B", "T2-P1", "T2-U1"),
        ("SU-B", "T2-P2", None),
        ("FL-B", "T2-P3", None),
    ]
    first = tank["occupancy"][0]
    assert (
        first["quantity"] == 10 and first["packedBy"] == {"type": "PACK"} and first["unpackedBy"] == {"type": "UNPACK"}
    )
    assert same_time(first["unpackedAt"], T(4))
    now = {c["itemId"]: c for c in tank["contents"]}
    assert set(now) == {"FL-B", "SU-B"}
    assert same_time(now["FL-B"]["since"], T(5)) and now["FL-B"]["packedByEventIds"] == ["T2-P3"]
    assert now["SU-B"]["item"] == {"materialId": "SUGAR"}
    # A lot is not a container: no contents, no occupancy.
    lot = (await plant.data(CONTAINER, {"id": "FL-B"}))["item"]
    assert (lot["contents"], lot["occupancy"]) == ([], [])


async def test_a_partner_sees_its_own_stays_and_changes_only_its_own_tanks(app: Starlette, plant: Api) -> None:
    q_org, q_keys = await new_organization(plant, "Tank owner Q", ("OPERATOR",))
    p_org, p_keys = await new_organization(plant, "Filler P", ("OPERATOR", "VIEWER"))
    async with key_client(app, q_keys["OPERATOR"]) as c:
        q = Api(c)
        await q.create("createLocation", "CreateLocationInput", {"id": "Q-WH", "name": "Q store"})
        await new_tank(q, "TANK-Q", ["FLOUR"], location="Q-WH")
        await q.receive("Q-1", "FLOUR", 50, location="Q-WH")
        await q.ok("pack", pack("TANK-Q", "Q-1", "Q-P1", T(6), location="Q-WH"))
        await q.ok(
            "ship",
            {"inputs": [{"itemId": "TANK-Q", "quantity": 1, "locationId": "Q-WH"}], "partnerId": p_org, "id": "Q-SHIP"},
        )
    async with key_client(app, p_keys["OPERATOR"]) as c:
        p = Api(c)
        await p.create("createLocation", "CreateLocationInput", {"id": "P-WH", "name": "P store"})
        await p.ok(
            "receive", {"locationId": "P-WH", "outputs": [{"itemId": "TANK-Q", "quantity": 1}], "partnerId": q_org}
        )
        await p.receive("P-1", "FLOUR", 20, location="P-WH")
        await p.receive("P-2", "SUGAR", 20, location="P-WH")
        await p.ok("pack", pack("TANK-Q", "P-1", "P-P1", T(7), location="P-WH"))
        # Q's list holds for P's packs too.
        refused = await p.mutate("pack", pack("TANK-Q", "P-2", "P-P2", T(8), location="P-WH"))
        assert [e["code"] for e in refused["errors"]] == ["MATERIAL_NOT_ALLOWED"]
        # P sees the tank, not Q's lot in it: only its own stay.
        tank = (await p.data(CONTAINER, {"id": "TANK-Q"}))["item"]
        assert [s["itemId"] for s in tank["occupancy"]] == ["P-1"]
        assert [x["itemId"] for x in tank["contents"]] == ["P-1"]
        # Seeing is not owning.
        assert [e["code"] for e in (await set_allowed(p, "TANK-Q", None))["errors"]] == ["FORBIDDEN"]
    async with key_client(app, p_keys["VIEWER"]) as c:
        assert [e["code"] for e in (await set_allowed(Api(c), "TANK-Q", None))["errors"]] == ["FORBIDDEN"]
    _, t_keys = await new_organization(plant, "Stranger T", ("OPERATOR",))
    async with key_client(app, t_keys["OPERATOR"]) as c:
        t = Api(c)
        assert (await t.data(CONTAINER, {"id": "TANK-Q"}))["item"] is None
        assert [e["code"] for e in (await set_allowed(t, "TANK-Q", None))["errors"]] == ["NOT_FOUND"]
    async with key_client(app, q_keys["OPERATOR"]) as c:
        q = Api(c)
        assert (await set_allowed(q, "TANK-Q", ["FLOUR", "SUGAR"]))["errors"] == []
    admin = (await plant.data(CONTAINER, {"id": "TANK-Q"}))["item"]
    assert [s["itemId"] for s in admin["occupancy"]] == ["Q-1", "P-1"]
    assert admin["allowedMaterialIds"] == ["FLOUR", "SUGAR"]
