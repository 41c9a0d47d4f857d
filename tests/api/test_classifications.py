"""Classifications over GraphQL, on both stores: create, change and list them (payload errors
typed, nothing written on refusal), reclassify and receive into one by `classificationId`, the
`status` enum of existing clients still answering, every flag enforced, and partners kept to
their own, the built-ins and what is shared with them."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import BATCH, ERRORS, Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIELDS = "id name description mayIssue mayShip mayPack mayMove maySplit partnerId builtIn status"
CREATE = f"mutation($i: CreateClassificationInput!) {{ createClassification(input: $i) {{ classification {{ {FIELDS} }} {ERRORS} }} }}"
UPDATE = f"mutation($i: UpdateClassificationInput!) {{ updateClassification(input: $i) {{ classification {{ {FIELDS} }} {ERRORS} }} }}"
LIST = "query($after: String) { classifications(first: 50, after: $after) { nodes { id builtIn } } }"
QUARANTINE = {
    "id": "QUARANTINE",
    "name": "Quarantine",
    "description": "Suspect: to the quarantine area, nothing else",
    "mayIssue": False,
    "mayShip": False,
    "mayPack": False,
    "maySplit": False,
}


async def ids(api: Api) -> list[str]:
    return [n["id"] for n in (await api.data(LIST))["classifications"]["nodes"]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def quarantined(plant: Api) -> Api:
    payload = (await plant.data(CREATE, {"i": QUARANTINE}))["createClassification"]
    assert payload["errors"] == []
    await plant.receive("LOT-Q", "FLOUR", 100, classificationId="QUARANTINE")
    await plant.receive("LOT-R", "FLOUR", 100)
    await plant.receive("BOX-1", "FLOUR", 1, kind="CONTAINER")
    return plant


async def test_the_built_ins_are_listed(plant: Api) -> None:
    assert set(await ids(plant)) >= {"QC", "RELEASED", "HOLD", "FAIL", "REWORK"}
    hold = (await plant.data(f'{{ classification(id: "HOLD") {{ {FIELDS} }} }}'))["classification"]
    assert hold == {
        "id": "HOLD",
        "name": "On hold",
        "description": hold["description"],
        "mayIssue": False,
        "mayShip": False,
        "mayPack": True,
        "mayMove": True,
        "maySplit": True,
        "partnerId": None,
        "builtIn": True,
        "status": "HOLD",
    }


async def test_create_read_and_refusals(quarantined: Api) -> None:
    got = (await quarantined.data(f'{{ classification(id: "QUARANTINE") {{ {FIELDS} }} }}'))["classification"]
    assert got == {**QUARANTINE, "mayMove": True, "partnerId": None, "builtIn": False, "status": "HOLD"}
    assert "QUARANTINE" in await ids(quarantined)
    again = (await quarantined.data(CREATE, {"i": QUARANTINE}))["createClassification"]
    assert again["classification"] is None and [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]
    bad = (await quarantined.data(CREATE, {"i": {"id": "has space", "name": ""}}))["createClassification"]
    assert bad["classification"] is None
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {("id", "INVALID_IDENTIFIER"), ("name", "INVALID")}
    unknown = (await quarantined.data(UPDATE, {"i": {"id": "NOPE", "mayShip": True}}))["updateClassification"]
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("id", "NOT_FOUND")]


async def test_an_item_in_a_user_classification(quarantined: Api) -> None:
    item = await quarantined.item("LOT-Q", "status classificationId classification { id mayMove }")
    # Clients that know the five statuses see the one allowing no more than it does.
    assert item == {
        "status": "HOLD",
        "classificationId": "QUARANTINE",
        "classification": {"id": "QUARANTINE", "mayMove": True},
    }
    assert await quarantined.item("LOT-R", "status classificationId") == {
        "status": "RELEASED",
        "classificationId": "RELEASED",
    }
    found = await quarantined.data('{ items(classificationId: "QUARANTINE") { nodes { id } } }')
    assert [n["id"] for n in found["items"]["nodes"]] == ["LOT-Q"]


@pytest.mark.parametrize(
    ("mutation", "input", "verb"),
    [
        ("ship", {"locationId": "WH", "inputs": [{"itemId": "LOT-Q", "quantity": 1}]}, "shipped"),
        (
            "pack",
            {"locationId": "WH", "containerId": "BOX-1", "inputs": [{"itemId": "LOT-Q", "quantity": 1}]},
            "packed",
        ),
        (
            "split",
            {
                "locationId": "WH",
                "inputs": [{"itemId": "LOT-Q", "quantity": 1}],
                "newItems": [{"id": "LOT-Q-1", "materialId": "FLOUR", "kind": "SUBLOT", "parentId": "LOT-Q"}],
                "outputs": [{"itemId": "LOT-Q-1"}],
            },
            "split",
        ),
    ],
)
async def test_what_it_forbids_is_refused_and_nothing_written(
    quarantined: Api, mutation: str, input: dict[str, Any], verb: str
) -> None:
    before = await quarantined.balances("LOT-Q")
    payload = await quarantined.mutate(mutation, input)
    assert payload["event"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("inputs[0].itemId", "STATUS_FORBIDS")
    assert "LOT-Q" in error["message"] and "QUARANTINE" in error["message"] and verb in error["message"]
    assert await quarantined.balances("LOT-Q") == before


async def test_what_it_allows_goes_through_and_a_change_applies_at_once(quarantined: Api) -> None:
    await quarantined.ok(
        "move", {"locationId": "WH", "toLocationId": "DOCK", "inputs": [{"itemId": "LOT-Q", "quantity": 10}]}
    )
    changed = (await quarantined.data(UPDATE, {"i": {"id": "QUARANTINE", "mayPack": True}}))["updateClassification"]
    assert changed["errors"] == [] and changed["classification"]["mayPack"] is True
    assert changed["classification"]["name"] == "Quarantine"  # what was left out is kept
    await quarantined.ok(
        "pack", {"locationId": "WH", "containerId": "BOX-1", "inputs": [{"itemId": "LOT-Q", "quantity": 1}]}
    )


async def test_reclassify_by_classification_id_and_by_the_status_enum(quarantined: Api) -> None:
    event = await quarantined.mutate(
        "reclassify",
        {"inputs": [{"itemId": "LOT-R"}], "classificationId": "QUARANTINE"},
        "event { statusChanges { itemId fromStatus toStatus fromClassificationId toClassificationId } } " + ERRORS,
    )
    assert event["errors"] == []
    assert event["event"]["statusChanges"] == [
        {
            "itemId": "LOT-R",
            "fromStatus": "RELEASED",
            "toStatus": "HOLD",
            "fromClassificationId": "RELEASED",
            "toClassificationId": "QUARANTINE",
        }
    ]
    # An existing client's document, with the enum literal, still works.
    back = await quarantined.data(
        'mutation { reclassify(input: {inputs: [{itemId: "LOT-R"}], status: RELEASED}) { event { id } errors { code } } }'
    )
    assert back["reclassify"]["errors"] == []
    assert (await quarantined.item("LOT-R"))["status"] == "RELEASED"
    unknown = await quarantined.mutate("reclassify", {"inputs": [{"itemId": "LOT-R"}], "classificationId": "NOPE"})
    assert [(e["field"], e["code"], e["message"]) for e in unknown["errors"]] == [
        ("classificationId", "NOT_FOUND", "unknown classification NOPE")
    ]
    both = await quarantined.mutate(
        "reclassify", {"inputs": [{"itemId": "LOT-R"}], "status": "HOLD", "classificationId": "QUARANTINE"}
    )
    assert [(e["field"], e["code"]) for e in both["errors"]] == [("classificationId", "INVALID")]
    batch = (
        await quarantined.data(
            BATCH,
            {
                "i": [
                    {"type": "RECLASSIFY", "inputs": [{"itemId": "LOT-R"}], "classificationId": "QC"},
                    {
                        "type": "RECEIVE",
                        "locationId": "WH",
                        "newItems": [{"id": "LOT-N", "materialId": "FLOUR", "classificationId": "NOPE"}],
                        "outputs": [{"itemId": "LOT-N", "quantity": 1}],
                    },
                ]
            },
        )
    )["recordEvents"]
    assert [(e["field"], e["code"]) for e in batch["errors"]] == [
        ("input[1].newItems[0].classificationId", "NOT_FOUND")
    ]
    assert (await quarantined.item("LOT-R"))["status"] == "RELEASED"  # the batch wrote nothing


async def test_partners_see_and_use_their_own_the_built_ins_and_what_is_shared(
    app: Starlette, quarantined: Api
) -> None:
    a_org, a_keys = await new_organization(quarantined, "Classifier A", ("OPERATOR", "VIEWER"))
    b_org, b_keys = await new_organization(quarantined, "Classifier B", ("OPERATOR",))
    c_org, c_keys = await new_organization(quarantined, "Classifier C", ("OPERATOR",))
    async with (
        key_client(app, a_keys["OPERATOR"]) as ca,
        key_client(app, a_keys["VIEWER"]) as cv,
        key_client(app, b_keys["OPERATOR"]) as cb,
        key_client(app, c_keys["OPERATOR"]) as cc,
    ):
        a, viewer, b, c = Api(ca), Api(cv), Api(cb), Api(cc)
        denied = (await viewer.data(CREATE, {"i": {"id": "A-Q", "name": "x"}}))["createClassification"]
        assert [e["code"] for e in denied["errors"]] == ["FORBIDDEN"]
        made = (await a.data(CREATE, {"i": {**QUARANTINE, "id": "A-Q", "partnerId": b_org}}))["createClassification"]
        assert made["errors"] == [] and made["classification"]["partnerId"] == b_org
        assert "A-Q" in await ids(a) and "A-Q" in await ids(b)
        assert "A-Q" not in await ids(c) and "QUARANTINE" in await ids(c)  # the admin's: no organization
        assert (await c.data('{ classification(id: "A-Q") { id } }'))["classification"] is None
        for who, code in ((b, "FORBIDDEN"), (c, "NOT_FOUND")):
            refused = (await who.data(UPDATE, {"i": {"id": "A-Q", "mayShip": True}}))["updateClassification"]
            assert [e["code"] for e in refused["errors"]] == [code]
        builtin = (await a.data(UPDATE, {"i": {"id": "HOLD", "mayPack": False}}))["updateClassification"]
        assert [e["code"] for e in builtin["errors"]] == ["FORBIDDEN"]
        await a.create("createLocation", "CreateLocationInput", {"id": "WH-CA", "name": "A's store"})
        await c.create("createLocation", "CreateLocationInput", {"id": "WH-CC", "name": "C's store"})
        await c.receive("LOT-CC", "FLOUR", 5, location="WH-CC")
        hidden = await c.mutate("reclassify", {"inputs": [{"itemId": "LOT-CC"}], "classificationId": "A-Q"})
        assert [(e["field"], e["code"], e["message"]) for e in hidden["errors"]] == [
            ("classificationId", "NOT_FOUND", "unknown classification A-Q")
        ]
        await a.receive("LOT-CA", "FLOUR", 5, location="WH-CA", classificationId="A-Q")
        # C may not see A's lot at all; A's own key sees its status as before.
        assert await c.item("LOT-CA") is None
        assert await a.item("LOT-CA", "status classificationId") == {"status": "HOLD", "classificationId": "A-Q"}
    assert a_org and c_org
