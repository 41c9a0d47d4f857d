"""Two units through GraphQL: a material's second unit and catch weight, balances, moves and
stock totals in both units, and the refusals (a catch weight's weight left out, a second
quantity on a material that derives it, a second unit that is the base unit)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import ERRORS, Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

MATERIAL = f"mutation($input: CreateMaterialInput!) {{ createMaterial(input: $input) {{ {ERRORS} }} }}"
MOVES = "event { id moves { itemId fromLocationId toLocationId quantity secondQuantity } } " + ERRORS
ITEM = """
query($id: String!) {
  item(id: $id) { onHand { locationId quantity unit secondQuantity secondUnit } }
}
"""
TOTALS = """
query($m: ID!) {
  stockTotals(materialId: $m, locationId: "PLANT") { nodes { quantity unit secondQuantity secondUnit } }
  material(id: $m) { secondUnit catchWeight }
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def units(plant: Api) -> Api:
    await plant.create(
        "createMaterial",
        "CreateMaterialInput",
        {
            "id": "CHEESE",
            "name": "Cheese",
            "baseUnit": "KG",
            "secondUnit": "CASE",
            "conversions": [{"unit": "CASE", "factor": 12}],
        },
    )
    await plant.create(
        "createMaterial",
        "CreateMaterialInput",
        {"id": "HAM", "name": "Ham", "baseUnit": "CASE", "secondUnit": "KG", "catchWeight": True},
    )
    return plant


def receipt(lot: str, material: str, quantity: float, second: float | None = None, **new_item: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"itemId": lot, "quantity": quantity}
    if second is not None:
        line["secondQuantity"] = second
    return {"locationId": "WH", "newItems": [{"id": lot, "materialId": material, **new_item}], "outputs": [line]}


async def on_hand(api: Api, item_id: str) -> dict[str, tuple[float, str, float | None, str | None]]:
    item = (await api.data(ITEM, {"id": item_id}))["item"]
    return {
        b["locationId"]: (
            round(b["quantity"], 9),
            b["unit"],
            b["secondQuantity"] and round(b["secondQuantity"], 9),
            b["secondUnit"],
        )
        for b in item["onHand"]
    }


async def test_a_lot_is_kept_in_both_units_by_its_own_conversion(units: Api) -> None:
    await units.ok("receive", receipt("CH-1", "CHEESE", 100, conversions=[{"unit": "CASE", "factor": 10}]))
    await units.ok("receive", receipt("CH-2", "CHEESE", 60))
    payload = await units.mutate(
        "move", {"toLocationId": "LINE", "inputs": [{"itemId": "CH-1", "quantity": 30, "locationId": "WH"}]}, MOVES
    )
    assert payload["errors"] == []
    [moved] = payload["event"]["moves"]
    assert (moved["quantity"], moved["secondQuantity"]) == (30.0, 3.0)
    assert await on_hand(units, "CH-1") == {"WH": (70.0, "KG", 7.0, "CASE"), "LINE": (30.0, "KG", 3.0, "CASE")}
    data = await units.data(TOTALS, {"m": "CHEESE"})
    assert data["stockTotals"]["nodes"] == [
        {"quantity": 160.0, "unit": "KG", "secondQuantity": 15.0, "secondUnit": "CASE"}
    ]
    assert data["material"] == {"secondUnit": "CASE", "catchWeight": False}
    # Flour is kept in one unit: no second quantity anywhere.
    await units.receive("FL-2U", "FLOUR", 5)
    assert await on_hand(units, "FL-2U") == {"WH": (5.0, "KG", None, None)}


async def test_a_catch_weight_is_weighed_and_both_totals_kept(units: Api) -> None:
    refused = await units.mutate("receive", receipt("HAM-1", "HAM", 10))
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("outputs[0].secondQuantity", "INVALID_QUANTITY")]
    assert "catch weight" in refused["errors"][0]["message"]
    assert await units.item("HAM-1") is None  # nothing written
    await units.ok("receive", receipt("HAM-1", "HAM", 10, 98.4))
    payload = await units.mutate(
        "ship", {"inputs": [{"itemId": "HAM-1", "quantity": 3, "secondQuantity": 29.1, "locationId": "WH"}]}, MOVES
    )
    assert payload["errors"] == [] and payload["event"]["moves"][0]["secondQuantity"] == 29.1
    assert await on_hand(units, "HAM-1") == {"WH": (7.0, "CASE", 69.3, "KG")}
    data = await units.data(TOTALS, {"m": "HAM"})
    data["stockTotals"]["nodes"][0]["secondQuantity"] = round(data["stockTotals"]["nodes"][0]["secondQuantity"], 9)
    assert data["stockTotals"]["nodes"] == [
        {"quantity": 7.0, "unit": "CASE", "secondQuantity": 69.3, "secondUnit": "KG"}
    ]
    assert data["material"] == {"secondUnit": "KG", "catchWeight": True}


async def test_second_quantities_where_none_is_weighed_are_refused(units: Api) -> None:
    derived = await units.mutate("receive", receipt("CH-9", "CHEESE", 12, 1))
    assert [(e["field"], e["code"]) for e in derived["errors"]] == [("outputs[0].secondQuantity", "INVALID_QUANTITY")]
    assert "derived" in derived["errors"][0]["message"]
    one = await units.mutate("receive", receipt("FL-9", "FLOUR", 12, 1))
    assert [e["field"] for e in one["errors"]] == ["outputs[0].secondQuantity"]
    same = await units.data(MATERIAL, {"input": {"id": "X1", "name": "X", "baseUnit": "KG", "secondUnit": "KGM"}})
    assert [(e["field"], e["code"]) for e in same["createMaterial"]["errors"]] == [("secondUnit", "INVALID")]
    alone = await units.data(MATERIAL, {"input": {"id": "X2", "name": "X", "catchWeight": True}})
    assert [(e["field"], e["code"]) for e in alone["createMaterial"]["errors"]] == [("catchWeight", "INVALID")]
    # A lot of a material tracked in two units that converts neither way is refused.
    await units.create(
        "createMaterial", "CreateMaterialInput", {"id": "OIL", "name": "Oil", "baseUnit": "L", "secondUnit": "DRUM"}
    )
    no_rate = await units.mutate("receive", receipt("OIL-1", "OIL", 200))
    assert [(e["field"], e["code"]) for e in no_rate["errors"]] == [("newItems[0].conversions", "UNKNOWN_UNIT")]
    await units.ok("receive", receipt("OIL-1", "OIL", 200, conversions=[{"unit": "DRUM", "factor": 200}]))
    assert await on_hand(units, "OIL-1") == {"WH": (200.0, "L", 1.0, "DRUM")}
