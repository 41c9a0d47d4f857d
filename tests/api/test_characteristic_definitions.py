"""Characteristic definitions through GraphQL: defineCharacteristics (owner only; NOT_FOUND,
FORBIDDEN, INVALID), Material.characteristicDefinitions, the checks on receive and
setCharacteristics, an out-of-spec result reclassifying its lot (and a correction undoing it),
Item.characteristicResults, and the items search by a characteristic's value or range, as the
caller may see it."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import ERRORS, Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEFINE = (
    "mutation($input: DefineCharacteristicsInput!) { defineCharacteristics(input: $input) "
    "{ material { id characteristicDefinitions { name type unit values min max minDate maxDate required "
    f"outOfSpecClassificationId }} }} {ERRORS} }} }}"
)
RESULTS = (
    "id classificationId characteristics characteristicResults { name value unit inSpec definition { name min max } }"
)
SEARCH = """
query($m: ID, $c: CharacteristicSearch, $first: Int, $after: String) {
  items(materialId: $m, characteristic: $c, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}
"""
GRAIN_DEFS: list[dict[str, Any]] = [
    {
        "name": "moisture",
        "type": "NUMBER",
        "unit": "PCT",
        "min": 0,
        "max": 14.5,
        "required": True,
        "outOfSpecClassificationId": "HOLD",
    },
    {"name": "grade", "type": "TEXT", "values": ["A", "B"]},
    {"name": "organic", "type": "BOOLEAN"},
    {"name": "tested_on", "type": "DATE", "minDate": "2024-01-01", "maxDate": "2024-12-31"},
]


async def define(api: Api, material: str, definitions: list[dict[str, Any]]) -> dict[str, Any]:
    return (await api.data(DEFINE, {"input": {"materialId": material, "definitions": definitions}}))[
        "defineCharacteristics"
    ]


async def search(api: Api, material: str | None, first: int = 20, after: str | None = None, **c: Any) -> list[str]:
    page = (await api.data(SEARCH, {"m": material, "c": c, "first": first, "after": after}))["items"]
    return [e["node"]["id"] for e in page["edges"]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def grain(plant: Api) -> Api:
    await plant.create("createMaterial", "CreateMaterialInput", {"id": "GRAIN", "name": "Grain", "baseUnit": "KG"})
    defined = await define(plant, "GRAIN", GRAIN_DEFS)
    assert defined["errors"] == []
    return plant


async def test_definitions_are_defined_and_read_back(grain: Api) -> None:
    q = 'query { material(id: "GRAIN") { characteristicDefinitions { name type unit values min max minDate maxDate required outOfSpecClassificationId } } }'
    defs = (await grain.data(q))["material"]["characteristicDefinitions"]
    assert [d["name"] for d in defs] == ["moisture", "grade", "organic", "tested_on"]
    assert defs[0] | {} == {
        "name": "moisture",
        "type": "NUMBER",
        "unit": "PCT",
        "values": None,
        "min": 0.0,
        "max": 14.5,
        "minDate": None,
        "maxDate": None,
        "required": True,
        "outOfSpecClassificationId": "HOLD",
    }
    assert defs[1]["values"] == ["A", "B"] and defs[3]["minDate"] == "2024-01-01"
    flour = (await grain.data('query { material(id: "FLOUR") { characteristicDefinitions { name } } }'))["material"]
    assert flour["characteristicDefinitions"] == []


@pytest.mark.parametrize(
    ("definition", "field", "code"),
    [
        ({"name": "m", "type": "NUMBER", "min": 5, "max": 1}, "definitions[0].min", "INVALID"),
        ({"name": "b", "type": "BOOLEAN", "values": ["x"]}, "definitions[0].values", "INVALID"),
        ({"name": "t", "type": "TEXT", "unit": "KG"}, "definitions[0].unit", "INVALID"),
        ({"name": "", "type": "TEXT"}, "definitions[0].name", "INVALID"),
        (
            {"name": "m", "type": "NUMBER", "max": 1, "outOfSpecClassificationId": "NO-SUCH"},
            "definitions[0].outOfSpecClassificationId",
            "NOT_FOUND",
        ),
    ],
)
async def test_bad_definitions_are_refused(grain: Api, definition: dict[str, Any], field: str, code: str) -> None:
    refused = await define(grain, "GRAIN", [definition])
    assert refused["material"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(field, code)]
    q = 'query { material(id: "GRAIN") { characteristicDefinitions { name } } }'
    assert len((await grain.data(q))["material"]["characteristicDefinitions"]) == 4  # unchanged


async def test_an_unknown_material_is_not_found(grain: Api) -> None:
    refused = await define(grain, "NO-SUCH", [])
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("materialId", "NOT_FOUND")]


async def test_values_breaking_a_definition_are_refused(grain: Api) -> None:
    receipt = {
        "locationId": "WH",
        "newItems": [{"id": "GR-BAD", "materialId": "GRAIN", "characteristics": {"moisture": "wet"}}],
        "outputs": [{"itemId": "GR-BAD", "quantity": 10}],
    }
    refused = await grain.mutate("receive", receipt)
    assert refused["event"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == ("newItems[0].characteristics.moisture", "INVALID_CHARACTERISTIC")
    receipt["newItems"][0]["characteristics"] = {"grade": "A"}
    missing = await grain.mutate("receive", receipt)
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [
        ("newItems[0].characteristics.moisture", "CHARACTERISTIC_REQUIRED")
    ]
    receipt["newItems"][0]["characteristics"] = {"moisture": 12, "colour": "gold"}
    unknown = await grain.mutate("receive", receipt)
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [
        ("newItems[0].characteristics.colour", "INVALID_CHARACTERISTIC")
    ]
    assert await grain.item("GR-BAD") is None


async def test_an_out_of_spec_result_holds_the_lot_and_a_correction_releases_it(grain: Api) -> None:
    await grain.receive("GR-QC", "GRAIN", 100, characteristics={"moisture": 12.0, "grade": "A"})
    refused = await grain.mutate(
        "setCharacteristics", {"inputs": [{"itemId": "GR-QC"}], "characteristics": {"grade": "C"}}
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("characteristics.grade", "INVALID_CHARACTERISTIC")]
    selection = f"event {{ id statusChanges {{ itemId fromClassificationId toClassificationId }} }} {ERRORS}"
    done = await grain.mutate(
        "setCharacteristics",
        {"inputs": [{"itemId": "GR-QC"}], "characteristics": {"moisture": 15.3}, "id": "QC-GR-1"},
        selection,
    )
    assert done["errors"] == []
    assert done["event"]["statusChanges"] == [
        {"itemId": "GR-QC", "fromClassificationId": "RELEASED", "toClassificationId": "HOLD"}
    ]
    item = await grain.item("GR-QC", RESULTS)
    assert item is not None and item["classificationId"] == "HOLD"
    assert item["characteristics"] == {"moisture": 15.3, "grade": "A"}  # the JSON object, as before
    assert item["characteristicResults"] == [
        {
            "name": "moisture",
            "value": 15.3,
            "unit": "PCT",
            "inSpec": False,
            "definition": {"name": "moisture", "min": 0.0, "max": 14.5},
        },
        {
            "name": "grade",
            "value": "A",
            "unit": None,
            "inSpec": None,
            "definition": {"name": "grade", "min": None, "max": None},
        },
    ]
    await grain.ok("correct", {"reverses": "QC-GR-1"})
    assert (await grain.item("GR-QC", "classificationId"))["classificationId"] == "RELEASED"  # type: ignore[index]


async def test_items_searched_by_value_and_range(grain: Api) -> None:
    for lot, chars in [
        ("GS-1", {"moisture": 10.0, "grade": "A", "organic": True, "tested_on": "2024-02-01"}),
        ("GS-2", {"moisture": 12.5, "grade": "B", "tested_on": "2024-07-01"}),
        ("GS-3", {"moisture": 13.0, "grade": "A"}),
    ]:
        await grain.receive(lot, "GRAIN", 10, characteristics=chars)
    found = await search(grain, "GRAIN", name="grade", equals="A")
    assert [i for i in found if i.startswith("GS-")] == ["GS-1", "GS-3"]
    assert await search(grain, "GRAIN", name="moisture", equals=12.5) == ["GS-2"]
    assert await search(grain, "GRAIN", name="organic", equals=True) == ["GS-1"]
    assert [i for i in await search(grain, "GRAIN", name="moisture", min=12, max=13) if i.startswith("GS-")] == [
        "GS-2",
        "GS-3",
    ]
    assert await search(grain, "GRAIN", name="tested_on", minDate="2024-06-01") == ["GS-2"]
    first = (await grain.data(SEARCH, {"m": "GRAIN", "c": {"name": "grade", "equals": "A"}, "first": 1}))["items"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await search(grain, "GRAIN", after=first["pageInfo"]["endCursor"], name="grade", equals="A")
    assert [e["node"]["id"] for e in first["edges"]] + rest == await search(grain, "GRAIN", name="grade", equals="A")
    body = await grain.raw(SEARCH, {"m": None, "c": {"name": "grade", "equals": "A"}})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    body = await grain.raw(SEARCH, {"m": "GRAIN", "c": {"name": "moisture", "min": 5, "max": 1}})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_partners_define_only_their_own_and_search_what_they_see(app: Starlette, grain: Api) -> None:
    q_org, q_keys = await new_organization(grain, "Mill Q", ("OPERATOR", "VIEWER"))
    p_org, p_keys = await new_organization(grain, "Bakery P", ("OPERATOR",))
    async with key_client(app, q_keys["OPERATOR"]) as c:
        q = Api(c)
        # A material owned by no organization (the admin's) is seen, not changed.
        assert [e["code"] for e in (await define(q, "GRAIN", []))["errors"]] == ["FORBIDDEN"]
        await q.create("createMaterial", "CreateMaterialInput", {"id": "Q-OATS", "name": "Oats", "baseUnit": "KG"})
        await q.create("createLocation", "CreateLocationInput", {"id": "Q-WH", "name": "Q store"})
        defined = await define(q, "Q-OATS", [{"name": "protein", "type": "NUMBER", "min": 10}])
        assert defined["errors"] == [] and defined["material"]["characteristicDefinitions"][0]["min"] == 10.0
        for lot in ("Q-1", "Q-2"):
            await q.receive(lot, "Q-OATS", 10, location="Q-WH", characteristics={"protein": 12.0})
        await q.ok("ship", {"inputs": [{"itemId": "Q-1", "quantity": 10, "locationId": "Q-WH"}], "partnerId": p_org})
        assert await search(q, "Q-OATS", name="protein", min=11) == ["Q-1", "Q-2"]
    async with key_client(app, q_keys["VIEWER"]) as c:
        assert [e["code"] for e in (await define(Api(c), "Q-OATS", []))["errors"]] == ["FORBIDDEN"]
    async with key_client(app, p_keys["OPERATOR"]) as c:
        p = Api(c)
        # Another organization's material is unknown to P, as an unknown one is.
        assert [e["code"] for e in (await define(p, "Q-OATS", []))["errors"]] == ["NOT_FOUND"]
        # P sees the lot shipped to it, not Q's other one.
        assert await search(p, "Q-OATS", name="protein", min=11) == ["Q-1"]
    admin = (await grain.data('query { material(id: "Q-OATS") { characteristicDefinitions { name } } }'))["material"]
    assert admin["characteristicDefinitions"] == [{"name": "protein"}]
    del q_org
