"""Batch actions over GraphQL, on both stores: the action type catalogue (built-ins, create,
change, list; typed payload errors), an event's `action` input with every refusal naming its
field, `Event.action`, `Item.actions` and `Item.powder` computed from the genealogy, and
partners kept to their own, the built-ins and what is shared with them."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import BATCH, ERRORS, Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIELDS = "id name description parameters { name type unit required description } usesMaterial partnerId builtIn"
CREATE = (
    f"mutation($i: CreateActionTypeInput!) {{ createActionType(input: $i) {{ actionType {{ {FIELDS} }} {ERRORS} }} }}"
)
UPDATE = (
    f"mutation($i: UpdateActionTypeInput!) {{ updateActionType(input: $i) {{ actionType {{ {FIELDS} }} {ERRORS} }} }}"
)
LIST = "{ actionTypes(first: 50) { nodes { id builtIn } } }"
ACTIONS = "actions { typeId type { id usesMaterial } parameters { name value number } machine eventId eventType }"
POWDER = "powder { reuseCount meanReuseCount virginFraction shares { uses fraction } useEventIds cycle partial }"
DRY = {
    "id": "DRY",
    "name": "Dry",
    "description": "Powder dried in a vacuum oven",
    "parameters": [
        {"name": "hours", "type": "NUMBER", "unit": "h", "required": True},
        {"name": "vacuum", "type": "BOOLEAN"},
    ],
}


def action(type_: str, **parameters: str) -> dict[str, Any]:
    return {"type": type_, "parameters": [{"name": k, "value": v} for k, v in parameters.items()]}


async def ids(api: Api) -> list[str]:
    return [n["id"] for n in (await api.data(LIST))["actionTypes"]["nodes"]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def printed(plant: Api) -> Api:
    """Virgin flour (as powder) loaded, printed, unloaded, sieved and blended 70/30 with virgin."""
    await plant.receive("PWD-V", "FLOUR", 200)
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "issue",
            {
                "id": "pa-load",
                "locationId": "LINE",
                "newItems": [{"id": "PB-1", "kind": "BATCH", "materialId": "FLOUR"}],
                "inputs": [{"itemId": "PWD-V", "quantity": 80, "locationId": "WH"}],
                "outputs": [{"itemId": "PB-1"}],
                "action": action("LOAD_PRINTER", machine="M1"),
            },
        ),
        (
            "produce",
            {
                "id": "pa-print",
                "locationId": "LINE",
                "newItems": [{"id": "PB-2", "kind": "BATCH", "materialId": "FLOUR"}],
                "inputs": [{"itemId": "PB-1"}],
                "outputs": [{"itemId": "PB-2", "quantity": 75}],
                "action": action("PRINT_JOB", machine="M1", buildJob="J-7"),
            },
        ),
        (
            "split",
            {
                "id": "pa-sieve",
                "locationId": "LINE",
                "newItems": [
                    {"id": "PB-3", "kind": "BATCH", "materialId": "FLOUR"},
                    {"id": "PB-3-OS", "kind": "BATCH", "materialId": "FLOUR"},
                ],
                "inputs": [{"itemId": "PB-2"}],
                "outputs": [{"itemId": "PB-3", "quantity": 70}, {"itemId": "PB-3-OS", "quantity": 5}],
                "action": action("SIEVE", mesh="63"),
            },
        ),
        (
            "issue",
            {
                "id": "pa-virgin",
                "locationId": "LINE",
                "newItems": [{"id": "PB-4", "kind": "BATCH", "materialId": "FLOUR"}],
                "inputs": [{"itemId": "PWD-V", "quantity": 30, "locationId": "WH"}],
                "outputs": [{"itemId": "PB-4"}],
            },
        ),
        (
            "merge",
            {
                "id": "pa-blend",
                "locationId": "LINE",
                "newItems": [{"id": "PB-5", "kind": "BATCH", "materialId": "FLOUR"}],
                "inputs": [{"itemId": "PB-3"}, {"itemId": "PB-4"}],
                "outputs": [{"itemId": "PB-5"}],
                "action": action("BLEND"),
            },
        ),
    ]
    for name, input_ in steps:
        await plant.ok(name, input_)
    return plant


async def test_the_built_ins_are_listed(plant: Api) -> None:
    assert set(await ids(plant)) >= {"PRINT_JOB", "SIEVE", "BLEND", "TEST", "LOAD_PRINTER", "UNLOAD_PRINTER"}
    sieve = (await plant.data(f'{{ actionType(id: "SIEVE") {{ {FIELDS} }} }}'))["actionType"]
    assert sieve == {
        "id": "SIEVE",
        "name": "Sieve",
        "description": sieve["description"],
        "parameters": [
            {"name": "mesh", "type": "NUMBER", "unit": "µm", "required": True, "description": "The mesh opening."}
        ],
        "usesMaterial": False,
        "partnerId": None,
        "builtIn": True,
    }
    job = (await plant.data('{ actionType(id: "PRINT_JOB") { usesMaterial } }'))["actionType"]
    assert job == {"usesMaterial": True}


async def test_create_change_and_refusals(plant: Api) -> None:
    made = (await plant.data(CREATE, {"i": DRY}))["createActionType"]
    assert made["errors"] == []
    assert made["actionType"]["parameters"][1] == {
        "name": "vacuum",
        "type": "BOOLEAN",
        "unit": None,
        "required": False,
        "description": None,
    }
    assert "DRY" in await ids(plant)
    again = (await plant.data(CREATE, {"i": DRY}))["createActionType"]
    assert again["actionType"] is None and [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]
    twice = {"id": "X", "name": "X", "parameters": [{"name": "a"}, {"name": "a"}]}
    bad = (await plant.data(CREATE, {"i": twice}))["createActionType"]
    assert bad["actionType"] is None and [e["code"] for e in bad["errors"]] == ["INVALID"]
    bad = await plant.data(CREATE, {"i": {"id": "Y", "name": "Y", "parameters": [{"name": "no space"}]}})
    assert [(e["field"], e["code"]) for e in bad["createActionType"]["errors"]] == [("parameters[0].name", "INVALID")]
    changed = (await plant.data(UPDATE, {"i": {"id": "DRY", "usesMaterial": True}}))["updateActionType"]
    assert changed["errors"] == [] and changed["actionType"]["usesMaterial"] is True
    assert len(changed["actionType"]["parameters"]) == 2  # kept
    unknown = (await plant.data(UPDATE, {"i": {"id": "NOPE", "name": "x"}}))["updateActionType"]
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("id", "NOT_FOUND")]
    assert (await plant.data('{ actionType(id: "NOPE") { id } }'))["actionType"] is None


async def test_an_event_records_its_action(printed: Api) -> None:
    sieve = await printed.data('{ event(id: "pa-sieve") { action { typeId parameters { name value number } } } }')
    assert sieve["event"]["action"] == {
        "typeId": "SIEVE",
        "parameters": [{"name": "mesh", "value": "63", "number": 63.0}],
    }
    virgin = (await printed.data('{ event(id: "pa-virgin") { action { typeId } } }'))["event"]
    assert virgin["action"] is None


async def test_an_item_action_history(printed: Api) -> None:
    item = await printed.item("PB-2", ACTIONS)
    assert item is not None
    assert [(a["typeId"], a["eventId"], a["eventType"], a["machine"]) for a in item["actions"]] == [
        ("PRINT_JOB", "pa-print", "PRODUCE", "M1"),
        ("SIEVE", "pa-sieve", "SPLIT", None),
    ]
    job = item["actions"][0]
    assert job["type"] == {"id": "PRINT_JOB", "usesMaterial": True}
    assert job["parameters"] == [
        {"name": "machine", "value": "M1", "number": None},
        {"name": "buildJob", "value": "J-7", "number": None},
    ]


async def test_powder_computed_from_the_genealogy(printed: Api) -> None:
    blend = (await printed.item("PB-5", POWDER))["powder"]  # type: ignore[index]
    assert blend["reuseCount"] == 1 and blend["useEventIds"] == ["pa-print"]
    assert blend["meanReuseCount"] == pytest.approx(0.7)
    assert blend["virginFraction"] == pytest.approx(0.3)
    assert [s["uses"] for s in blend["shares"]] == [0, 1]
    assert (blend["cycle"], blend["partial"]) == (False, False)
    virgin = (await printed.item("PWD-V", POWDER))["powder"]  # type: ignore[index]
    assert (virgin["reuseCount"], virgin["virginFraction"], virgin["shares"]) == (
        0,
        1.0,
        [{"uses": 0, "fraction": 1.0}],
    )


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        (action("POLISH"), "action.type", "NOT_FOUND"),
        (action("SIEVE"), "action.parameters.mesh", "PARAMETER_REQUIRED"),
        (action("SIEVE", mesh="fine"), "action.parameters.mesh", "PARAMETER_TYPE"),
        (action("SIEVE", mesh="63", colour="grey"), "action.parameters.colour", "UNKNOWN_PARAMETER"),
        (
            {"type": "SIEVE", "parameters": [{"name": "mesh", "value": "63"}, {"name": "mesh", "value": "45"}]},
            "action.parameters.mesh",
            "INVALID",
        ),
        (action("SIEVE", mesh="x" * 5000), "action.parameters.mesh", "TOO_LONG"),
        (action("has space"), "action.type", "INVALID_IDENTIFIER"),
    ],
)
async def test_a_bad_action_is_refused_naming_its_field(
    printed: Api, given: dict[str, Any], field: str, code: str
) -> None:
    payload = await printed.mutate(
        "split",
        {
            "locationId": "LINE",
            "newItems": [{"id": "PB-X", "kind": "BATCH", "materialId": "FLOUR"}],
            "inputs": [{"itemId": "PB-5", "quantity": 1}],
            "outputs": [{"itemId": "PB-X"}],
            "action": given,
        },
    )
    assert payload["event"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await printed.item("PB-X") is None


async def test_record_events_names_the_event(printed: Api) -> None:
    refused = (
        await printed.data(
            BATCH,
            {
                "i": [
                    {"type": "OBSERVE", "inputs": [{"itemId": "PB-5"}], "action": action("TEST", method="flow")},
                    {"type": "OBSERVE", "inputs": [{"itemId": "PB-5"}], "action": action("TEST", speed="1")},
                ]
            },
        )
    )["recordEvents"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input[1].action.parameters.speed", "UNKNOWN_PARAMETER")
    ]


async def test_partners_use_their_own_the_built_ins_and_what_is_shared(app: Starlette, printed: Api) -> None:
    a_org, a_keys = await new_organization(printed, "Actions A", ("OPERATOR", "VIEWER"))
    b_org, b_keys = await new_organization(printed, "Actions B", ("OPERATOR",))
    c_org, c_keys = await new_organization(printed, "Actions C", ("OPERATOR",))
    async with (
        key_client(app, a_keys["OPERATOR"]) as ca,
        key_client(app, a_keys["VIEWER"]) as cv,
        key_client(app, b_keys["OPERATOR"]) as cb,
        key_client(app, c_keys["OPERATOR"]) as cc,
    ):
        a, viewer, b, c = Api(ca), Api(cv), Api(cb), Api(cc)
        denied = (await viewer.data(CREATE, {"i": {"id": "A-HEAT", "name": "x"}}))["createActionType"]
        assert [e["code"] for e in denied["errors"]] == ["FORBIDDEN"]
        made = (await a.data(CREATE, {"i": {"id": "A-HEAT", "name": "Heat", "partnerId": b_org}}))["createActionType"]
        assert made["errors"] == [] and made["actionType"]["partnerId"] == b_org
        assert "A-HEAT" in await ids(a) and "A-HEAT" in await ids(b)
        assert "A-HEAT" not in await ids(c) and "SIEVE" in await ids(c)
        assert (await c.data('{ actionType(id: "A-HEAT") { id } }'))["actionType"] is None
        for who, code in ((b, "FORBIDDEN"), (c, "NOT_FOUND")):
            refused = (await who.data(UPDATE, {"i": {"id": "A-HEAT", "name": "y"}}))["updateActionType"]
            assert [e["code"] for e in refused["errors"]] == [code]
        builtin = (await a.data(UPDATE, {"i": {"id": "SIEVE", "name": "y"}}))["updateActionType"]
        assert [e["code"] for e in builtin["errors"]] == ["FORBIDDEN"]
        await c.create("createLocation", "CreateLocationInput", {"id": "WH-AC", "name": "C's store"})
        await c.receive("LOT-AC", "FLOUR", 5, location="WH-AC")
        hidden = await c.mutate(
            "adjust",
            {"inputs": [{"itemId": "LOT-AC", "quantity": 4, "locationId": "WH-AC"}], "action": action("A-HEAT")},
        )
        assert [(e["field"], e["code"], e["message"]) for e in hidden["errors"]] == [
            ("action.type", "NOT_FOUND", "unknown action type A-HEAT")
        ]
        # C sees neither the admin's powder nor its history.
        assert await c.item("PB-5", f"{ACTIONS} {POWDER}") is None
        mine = await c.item("LOT-AC", f"{ACTIONS} {POWDER}")
        assert mine == {"actions": [], "powder": {**mine["powder"], "reuseCount": 0, "virginFraction": 1.0}}  # type: ignore[index]
    assert a_org and c_org
