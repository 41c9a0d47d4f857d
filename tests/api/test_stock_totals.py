"""Stock totals through GraphQL: per material and location, rolled up over the location tree,
with a paged drill-down to the balances they sum; a partner's totals count only its own."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOTALS = """
query($m: ID, $l: ID, $r: Boolean! = true, $v: Boolean! = false, $first: Int! = 2, $after: String) {
  stockTotals(materialId: $m, locationId: $l, rollUp: $r, includeVirtual: $v) {
    nodes {
      materialId locationId quantity unit itemCount lotCount serialCount containerCount rolledUp
      material { id } location { id }
      balances(first: $first, after: $after) {
        nodes { itemId locationId quantity unit item { kind status } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stocked(plant: Api) -> Api:
    """Shelf WH-A under WH (under PLANT): flour F1 (100 kg) at WH, F2 (2 bags) and F3 (held,
    5 kg) at WH-A, two ovens (serials) at LINE."""
    await plant.create("createLocation", "CreateLocationInput", {"id": "WH-A", "name": "Shelf A", "parentId": "WH"})
    await plant.receive("F1", "FLOUR", 100)
    await plant.receive("F2", "FLOUR", 2, unit="BAG", location="WH-A")
    await plant.receive("F3", "FLOUR", 5, location="WH-A", status="HOLD")
    for n in (1, 2):
        await plant.receive(f"OV-{n}", "OVEN", 1, location="LINE", kind="SERIAL")
    return plant


def table(data: dict[str, Any]) -> dict[tuple[str, str], tuple[float, str, int, int, int, bool]]:
    return {
        (t["materialId"], t["locationId"]): (
            t["quantity"],
            t["unit"],
            t["itemCount"],
            t["lotCount"],
            t["serialCount"],
            t["rolledUp"],
        )
        for t in data["stockTotals"]["nodes"]
    }


async def test_totals_roll_up_and_drill_down(stocked: Api) -> None:
    data = await stocked.data(TOTALS, {"m": "FLOUR"})
    assert table(data) == {
        ("FLOUR", "PLANT"): (155.0, "KG", 3, 3, 0, True),
        ("FLOUR", "WH"): (155.0, "KG", 3, 3, 0, True),
        ("FLOUR", "WH-A"): (55.0, "KG", 2, 2, 0, False),
    }
    plant = next(t for t in data["stockTotals"]["nodes"] if t["locationId"] == "PLANT")
    assert (plant["material"], plant["location"]) == ({"id": "FLOUR"}, {"id": "PLANT"})
    page = plant["balances"]
    assert [(b["itemId"], b["locationId"], b["quantity"]) for b in page["nodes"]] == [
        ("F1", "WH", 100.0),
        ("F2", "WH-A", 50.0),
    ]
    assert page["pageInfo"]["hasNextPage"]
    rest = await stocked.data(TOTALS, {"m": "FLOUR", "l": "PLANT", "after": page["pageInfo"]["endCursor"]})
    (only,) = rest["stockTotals"]["nodes"]
    assert [(b["itemId"], b["item"]["status"]) for b in only["balances"]["nodes"]] == [("F3", "HOLD")]
    assert not only["balances"]["pageInfo"]["hasNextPage"]


async def test_totals_of_a_location_without_roll_up_and_serials(stocked: Api) -> None:
    data = await stocked.data(TOTALS, {"l": "WH", "r": False})
    assert table(data) == {("FLOUR", "WH"): (100.0, "KG", 1, 1, 0, False)}
    ovens = await stocked.data(TOTALS, {"m": "OVEN", "first": 5})
    assert table(ovens) == {
        ("OVEN", "PLANT"): (2.0, "EA", 2, 0, 2, True),
        ("OVEN", "LINE"): (2.0, "EA", 2, 0, 2, False),
    }
    kinds = {b["item"]["kind"] for t in ovens["stockTotals"]["nodes"] for b in t["balances"]["nodes"]}
    assert kinds == {"SERIAL"}
    virtual = table(await stocked.data(TOTALS, {"m": "FLOUR", "v": True}))
    assert virtual[("FLOUR", "virtual:supplier")] == (-155.0, "KG", 3, 3, 0, False)


async def test_a_partner_sees_totals_of_its_own_stock_only(app: Starlette, stocked: Api) -> None:
    _, keys = await new_organization(stocked, "Partner P", ("OPERATOR",))
    async with key_client(app, keys["OPERATOR"]) as c:
        p = Api(c)
        assert (await p.data(TOTALS, {"m": "FLOUR"}))["stockTotals"]["nodes"] == []
        await p.create("createLocation", "CreateLocationInput", {"id": "P-WH", "name": "P store"})
        await p.receive("P-1", "FLOUR", 7, location="P-WH")
        data = await p.data(TOTALS, {"m": "FLOUR"})
        assert table(data) == {("FLOUR", "P-WH"): (7.0, "KG", 1, 1, 0, False)}
        assert [b["itemId"] for b in data["stockTotals"]["nodes"][0]["balances"]["nodes"]] == ["P-1"]
        # The shared site holds others' stock only: none of it is counted.
        assert (await p.data(TOTALS, {"l": "PLANT"}))["stockTotals"]["nodes"] == []
    _, other = await new_organization(stocked, "Partner Q", ("OPERATOR",))
    async with key_client(app, other["OPERATOR"]) as c:
        # P's own location: unknown to Q, like one that does not exist.
        for location in ("P-WH", "NOWHERE"):
            body = await Api(c).raw(TOTALS, {"l": location})
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    admin = table(await stocked.data(TOTALS, {"m": "FLOUR"}))
    assert admin[("FLOUR", "P-WH")] == (7.0, "KG", 1, 1, 0, False)
    assert admin[("FLOUR", "PLANT")] == (155.0, "KG", 3, 3, 0, True)
