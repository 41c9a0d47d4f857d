"""Composition lists and serial assemblies through GraphQL: lists created, read and replaced
(typed payload errors, partner rules), a production checked against its list (refused, or kept
with its check and findings), a bike built over several events, a wheel swapped and traced."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import BATCH, ERRORS, Api, key_client, new_organization
from starlette.applications import Starlette

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIST_FIELDS = "id materialId name basis onMismatch tolerancePercent partnerId components { materialId quantity slot }"
CREATE = (
    "mutation($input: CompositionListInput!) { createCompositionList(input: $input) "
    f"{{ compositionList {{ {LIST_FIELDS} }} {ERRORS} }} }}"
)
REPLACE = (
    "mutation($input: CompositionListInput!) { replaceCompositionList(input: $input) "
    f"{{ compositionList {{ {LIST_FIELDS} }} {ERRORS} }} }}"
)
GET = f"query($id: ID!) {{ compositionList(id: $id) {{ {LIST_FIELDS} material {{ id }} }} }}"
CHECKED = (
    "event { id type compositionCheck { compositionId ok missing { materialId slot message } "
    "extra { itemId materialId } wrongMaterial { itemId slot } quantity { materialId expected actual inputIndex } } "
    "componentChanges { assemblyId itemId installed slot } links { sourceId targetId kind } } duplicate " + ERRORS
)
ASSEMBLY = """
query($id: String!) {
  item(id: $id) {
    components { itemId slot installedByEventId item { materialId } }
    componentHistory { itemId slot installedByEventId removedByEventId }
  }
}
"""
TRACE = "query($id: String!) { trace(id: $id, direction: FORWARD) { items { id } } }"

BIKE_LIST: dict[str, Any] = {
    "id": "BOM-BIKE",
    "materialId": "BIKE",
    "name": "City bike",
    "components": [
        {"materialId": "FRAME"},
        {"materialId": "WHEEL", "slot": "FRONT"},
        {"materialId": "WHEEL", "slot": "REAR"},
        {"materialId": "SADDLE"},
    ],
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(plant: Api) -> Api:
    for m in [
        {"id": "FRAME", "name": "Frame", "baseUnit": "EA", "tracking": "SERIAL"},
        {"id": "WHEEL", "name": "Wheel", "baseUnit": "EA", "tracking": "SERIAL"},
        {"id": "SADDLE", "name": "Saddle", "baseUnit": "EA"},
        {"id": "BOLT", "name": "Bolt", "baseUnit": "EA"},
        {"id": "BIKE", "name": "Bike", "baseUnit": "EA", "tracking": "SERIAL", "kind": "PRODUCT"},
    ]:
        await plant.create("createMaterial", "CreateMaterialInput", m)
    await plant.create("createLocation", "CreateLocationInput", {"id": "REPAIR", "name": "Repair bench"})
    assert (await plant.data(CREATE, {"input": BIKE_LIST}))["createCompositionList"]["errors"] == []
    return plant


async def serials(api: Api, material: str, *ids: str, location: str = "LINE") -> None:
    for x in ids:
        await api.receive(x, material, 1, location=location, kind="SERIAL")


def produce(bike: str, *inputs: dict[str, Any], composition: str | None = "BOM-BIKE") -> dict[str, Any]:
    out: dict[str, Any] = {
        "locationId": "LINE",
        "newItems": [{"id": bike, "materialId": "BIKE", "kind": "SERIAL"}],
        "inputs": list(inputs),
        "outputs": [{"itemId": bike, "quantity": 1}],
    }
    if composition:
        out["compositionId"] = composition
    return out


def line(item: str, slot: str | None = None, quantity: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"itemId": item}
    if slot:
        out["slot"] = slot
    if quantity is not None:
        out["quantity"] = quantity
    return out


async def test_a_list_is_created_read_and_replaced_with_typed_errors(shop: Api) -> None:
    got = (await shop.data(GET, {"id": "BOM-BIKE"}))["compositionList"]
    assert got["onMismatch"] == "REFUSE" and got["tolerancePercent"] == 2 and got["basis"] == 1
    assert [c["slot"] for c in got["components"]] == [None, "FRONT", "REAR", None]
    assert got["material"] == {"id": "BIKE"}
    bike = (await shop.data('{ material(id: "BIKE") { compositionLists { id } } }'))["material"]
    assert bike == {"compositionLists": [{"id": "BOM-BIKE"}]}
    page = (await shop.data("{ compositionLists(first: 10) { edges { node { id } } } }"))["compositionLists"]
    assert [e["node"]["id"] for e in page["edges"]] == ["BOM-BIKE"]

    async def errors(mutation: str, input: dict[str, Any]) -> list[tuple[str | None, str]]:
        name = "createCompositionList" if mutation is CREATE else "replaceCompositionList"
        payload = (await shop.data(mutation, {"input": input}))[name]
        assert payload["compositionList"] is None
        return [(e["field"], e["code"]) for e in payload["errors"]]

    assert await errors(CREATE, BIKE_LIST) == [("id", "ALREADY_EXISTS")]
    unknown = {**BIKE_LIST, "id": "BOM-X", "components": [{"materialId": "FRAME"}, {"materialId": "NOPE"}]}
    assert await errors(CREATE, unknown) == [("components[1].materialId", "NOT_FOUND")]
    two = {**BIKE_LIST, "id": "BOM-X", "components": [{"materialId": "WHEEL", "slot": "FRONT", "quantity": 2}]}
    assert [code for _, code in await errors(CREATE, two)] == ["INVALID"]
    assert await errors(CREATE, {**BIKE_LIST, "id": "BOM-X", "components": []}) == [("components", "INVALID")]
    assert await errors(CREATE, {**BIKE_LIST, "id": "BOM-X", "tolerancePercent": -1}) == [
        ("tolerancePercent", "INVALID")
    ]
    assert await errors(REPLACE, {**BIKE_LIST, "id": "BOM-NONE"}) == [("id", "NOT_FOUND")]
    changed = (await shop.data(REPLACE, {"input": {**BIKE_LIST, "tolerancePercent": 5}}))["replaceCompositionList"]
    assert changed["errors"] == [] and changed["compositionList"]["tolerancePercent"] == 5
    assert (await shop.data(REPLACE, {"input": BIKE_LIST}))["replaceCompositionList"]["errors"] == []


async def test_a_production_against_its_list_is_refused_or_kept_with_its_check(shop: Api) -> None:
    await serials(shop, "FRAME", "P-F1", "P-F2")
    await serials(shop, "WHEEL", "P-W1", "P-W2", "P-W3")
    await shop.receive("P-SAD", "SADDLE", 10, location="LINE")
    await shop.receive("P-BOLT", "BOLT", 100, location="LINE")
    bad = await shop.mutate(
        "produce",
        produce("P-BIKE-1", line("P-F1"), line("P-W1", "FRONT"), line("P-F2", "REAR"), line("P-BOLT", quantity=4)),
        CHECKED,
    )
    assert bad["event"] is None
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("compositionId", "COMPOSITION_MISSING"),  # no saddle, the rear slot empty
        ("inputs[2].itemId", "COMPOSITION_WRONG_MATERIAL"),
        ("inputs[3].itemId", "COMPOSITION_EXTRA"),
    }
    too_much = await shop.mutate(
        "produce", produce("P-BIKE-1", line("P-F1"), line("P-W1"), line("P-W2"), line("P-SAD", quantity=3)), CHECKED
    )
    assert [(e["field"], e["code"]) for e in too_much["errors"]] == [("inputs[3].itemId", "COMPOSITION_QUANTITY")]
    unknown = await shop.mutate("produce", produce("P-BIKE-1", line("P-F1"), composition="BOM-NONE"), CHECKED)
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("compositionId", "NOT_FOUND")]
    good = await shop.mutate(
        "produce",
        produce("P-BIKE-1", line("P-F1"), line("P-W1", "FRONT"), line("P-W2"), line("P-SAD", quantity=1)),
        CHECKED,
    )
    assert good["errors"] == []
    check = good["event"]["compositionCheck"]
    assert check["ok"] and check["compositionId"] == "BOM-BIKE"
    assert {(c["itemId"], c["slot"]) for c in good["event"]["componentChanges"]} == {
        ("P-F1", None),
        ("P-W1", "FRONT"),
        ("P-W2", "REAR"),
        ("P-SAD", None),
    }
    # A list set to FINDING lets the command through, with its check and a finding.
    assert (await shop.data(REPLACE, {"input": {**BIKE_LIST, "onMismatch": "FINDING"}}))["replaceCompositionList"][
        "errors"
    ] == []
    kept = await shop.mutate("produce", produce("P-BIKE-2", line("P-F2"), line("P-W3")), CHECKED)
    assert kept["errors"] == []
    check = kept["event"]["compositionCheck"]
    assert not check["ok"]
    assert {(m["materialId"], m["slot"]) for m in check["missing"]} == {("WHEEL", "REAR"), ("SADDLE", None)}
    findings = (await shop.data("{ findings(first: 100) { edges { node { kind eventId message } } } }"))["findings"]
    mine = [e["node"] for e in findings["edges"] if e["node"]["eventId"] == kept["event"]["id"]]
    assert {f["kind"] for f in mine} == {"COMPOSITION_MISMATCH"} and len(mine) == 2
    assert (await shop.data(REPLACE, {"input": BIKE_LIST}))["replaceCompositionList"]["errors"] == []


async def test_a_bike_built_over_several_events_and_a_wheel_swapped(shop: Api) -> None:
    await serials(shop, "FRAME", "A-F1")
    await serials(shop, "WHEEL", "A-W1", "A-W2", "A-W3")
    await shop.receive("A-SAD", "SADDLE", 1, location="LINE")
    await shop.ok("produce", produce("A-BIKE", line("A-F1"), composition=None))
    fitted = await shop.mutate(
        "assemble",
        {
            "assemblyId": "A-BIKE",
            "locationId": "LINE",
            "compositionId": "BOM-BIKE",
            "inputs": [line("A-W1", "FRONT"), line("A-W2", "REAR")],
        },
        CHECKED,
    )
    assert fitted["errors"] == [] and fitted["event"]["compositionCheck"]["ok"]
    assert {(x["sourceId"], x["kind"]) for x in fitted["event"]["links"]} == {
        ("A-W1", "INSTALLED"),
        ("A-W2", "INSTALLED"),
    }
    await shop.ok(
        "assemble", {"assemblyId": "A-BIKE", "compositionId": "BOM-BIKE", "inputs": [line("A-SAD", quantity=1)]}
    )
    # A slot holds one wheel; an unknown assembly is named by its field.
    taken = await shop.mutate("assemble", {"assemblyId": "A-BIKE", "inputs": [line("A-W3", "FRONT")]})
    assert [(e["field"], e["code"]) for e in taken["errors"]] == [("inputs[0].slot", "SLOT_OCCUPIED")]
    nowhere = await shop.mutate("assemble", {"assemblyId": "NO-BIKE", "inputs": [line("A-W3")]})
    assert [(e["field"], e["code"]) for e in nowhere["errors"]] == [("assemblyId", "NOT_FOUND")]
    # The swap, all or nothing: the rear wheel out to repair, the spare in.
    swap = [
        {"type": "DISASSEMBLE", "inputs": [{"itemId": "A-BIKE"}], "outputs": [line("A-W2")], "toLocationId": "REPAIR"},
        {"type": "ASSEMBLE", "inputs": [line("A-W3", "REAR")], "outputs": [{"itemId": "A-BIKE"}], "locationId": "LINE"},
    ]
    assert (await shop.data(BATCH, {"i": swap}))["recordEvents"]["errors"] == []
    bike = (await shop.data(ASSEMBLY, {"id": "A-BIKE"}))["item"]
    assert {(c["itemId"], c["slot"]) for c in bike["components"]} == {
        ("A-F1", None),
        ("A-W1", "FRONT"),
        ("A-W3", "REAR"),
        ("A-SAD", None),
    }
    rear = [(h["itemId"], h["removedByEventId"] is None) for h in bike["componentHistory"] if h["slot"] == "REAR"]
    assert rear == [("A-W2", False), ("A-W3", True)]
    assert await shop.balances("A-W2", virtual=False) == {"REPAIR": 1}
    # The wheel taken out: its trace still reaches the bike it was in.
    reached = {i["id"] for i in (await shop.data(TRACE, {"id": "A-W2"}))["trace"]["items"]}
    assert "A-BIKE" in reached
    out_again = await shop.mutate(
        "disassemble", {"assemblyId": "A-BIKE", "outputs": [line("A-W2")], "toLocationId": "REPAIR"}
    )
    assert [(e["field"], e["code"]) for e in out_again["errors"]] == [("outputs[0].itemId", "NOT_INSTALLED")]


async def test_partners_use_a_shared_list_and_change_only_their_own(app: Starlette, shop: Api) -> None:
    q_org, q_keys = await new_organization(shop, "Bike maker Q", ("OPERATOR", "VIEWER"))
    p_org, p_keys = await new_organization(shop, "Assembler P", ("OPERATOR",))
    mine = {**BIKE_LIST, "id": "BOM-Q"}
    async with key_client(app, q_keys["VIEWER"]) as c:
        refused = (await Api(c).data(CREATE, {"input": mine}))["createCompositionList"]
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    async with key_client(app, q_keys["OPERATOR"]) as c:
        q = Api(c)
        assert (await q.data(CREATE, {"input": mine}))["createCompositionList"]["errors"] == []
    async with key_client(app, p_keys["OPERATOR"]) as c:
        p = Api(c)
        assert (await p.data(GET, {"id": "BOM-Q"}))["compositionList"] is None
        await p.create("createLocation", "CreateLocationInput", {"id": "P-LINE", "name": "P line"})
        await p.receive("PF-1", "FRAME", 1, location="P-LINE", kind="SERIAL")
        hidden = await p.mutate(
            "produce", {**produce("PB-1", line("PF-1"), composition="BOM-Q"), "locationId": "P-LINE"}, CHECKED
        )
        assert [(e["field"], e["code"]) for e in hidden["errors"]] == [("compositionId", "NOT_FOUND")]
        assert [e["code"] for e in (await p.data(REPLACE, {"input": mine}))["replaceCompositionList"]["errors"]] == [
            "NOT_FOUND"
        ]
    async with key_client(app, q_keys["OPERATOR"]) as c:
        shared = await Api(c).data(REPLACE, {"input": {**mine, "partnerId": p_org, "onMismatch": "FINDING"}})
        assert shared["replaceCompositionList"]["errors"] == []
    async with key_client(app, p_keys["OPERATOR"]) as c:
        p = Api(c)
        assert (await p.data(GET, {"id": "BOM-Q"}))["compositionList"]["partnerId"] == p_org
        used = await p.mutate(
            "produce", {**produce("PB-1", line("PF-1"), composition="BOM-Q"), "locationId": "P-LINE"}, CHECKED
        )
        assert used["errors"] == [] and not used["event"]["compositionCheck"]["ok"]
        assert [e["code"] for e in (await p.data(REPLACE, {"input": mine}))["replaceCompositionList"]["errors"]] == [
            "FORBIDDEN"
        ]
    assert q_org != p_org
