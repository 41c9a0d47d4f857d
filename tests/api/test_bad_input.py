"""Bad inputs: each gets a 200 with a UserError naming the field (or a GraphQL validation
error), and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from api_kit import ERRORS, Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEGABYTE = "x" * 1_000_000


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stocked(plant: Api) -> Api:
    """FL-1: 100 KG of flour at WH; BREAD-H: 10 bread on HOLD; serial OVEN-1 (number 1)."""
    await plant.receive("FL-1", "FLOUR", 100)
    await plant.receive("BREAD-H", "BREAD", 10)
    await plant.ok("reclassify", {"inputs": [{"itemId": "BREAD-H"}], "status": "HOLD"})
    await plant.ok(
        "produce",
        {
            "locationId": "WH",
            "newItems": [{"id": "OVEN-1", "kind": "SERIAL", "materialId": "OVEN", "lotCode": "1"}],
            "outputs": [{"itemId": "OVEN-1"}],
        },
    )
    return plant


def problems(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def event_count(api: Api) -> int:
    return len((await api.data("{ events(first: 1000) { edges { cursor } } }"))["events"]["edges"])


def receive(lot: str, quantity: Any = 5, unit: str | None = None, **new_item: Any) -> dict[str, Any]:
    line = {"itemId": lot, "quantity": quantity, **({"unit": unit} if unit else {})}
    return {"locationId": "WH", "newItems": [{"id": lot, "materialId": "FLOUR", **new_item}], "outputs": [line]}


@pytest.mark.parametrize("quantity", [-5, 0])
async def test_negative_and_zero_quantities(stocked: Api, quantity: float) -> None:
    before = await event_count(stocked)
    payload = await stocked.mutate("receive", receive(f"BAD-Q{quantity}", quantity))
    assert payload["event"] is None
    assert problems(payload) == [("outputs[0].quantity", "INVALID_QUANTITY")]
    assert await stocked.item(f"BAD-Q{quantity}") is None
    assert await event_count(stocked) == before


async def test_unknown_unit(stocked: Api) -> None:
    payload = await stocked.mutate("receive", receive("BAD-UNIT", 5, unit="FURLONG"))
    assert problems(payload) == [("outputs[0].unit", "UNKNOWN_UNIT")]
    assert await stocked.item("BAD-UNIT") is None


async def test_unknown_item(stocked: Api) -> None:
    payload = await stocked.mutate(
        "issue",
        {
            "inputs": [{"itemId": "NO-SUCH-LOT", "quantity": 1, "locationId": "WH"}],
            "newItems": [{"id": "BATCH-X", "kind": "BATCH", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "BATCH-X"}],
        },
    )
    assert ("inputs[0].itemId", "NOT_FOUND") in problems(payload)
    assert await stocked.item("BATCH-X") is None


async def test_consuming_more_than_on_hand(stocked: Api) -> None:
    payload = await stocked.mutate(
        "issue",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "FL-1", "quantity": 100.5, "locationId": "WH"}],
            "newItems": [{"id": "BATCH-Y", "kind": "BATCH", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "BATCH-Y"}],
        },
    )
    assert problems(payload) == [("inputs[0].quantity", "INSUFFICIENT_STOCK")]
    assert await stocked.balances("FL-1", virtual=False) == {"WH": 100.0}
    assert await stocked.item("BATCH-Y") is None


async def test_shipping_a_lot_on_hold(stocked: Api) -> None:
    payload = await stocked.mutate("ship", {"inputs": [{"itemId": "BREAD-H", "quantity": 2}], "shipmentId": "SH-H"})
    assert problems(payload) == [("inputs[0].itemId", "STATUS_FORBIDS")]
    assert await stocked.balances("BREAD-H") == {"WH": 10.0, "virtual:supplier": -10.0}
    assert (await stocked.data('{ shipment(id: "SH-H") { id } }'))["shipment"] is None


async def test_duplicate_serial(stocked: Api) -> None:
    payload = await stocked.mutate(
        "produce",
        {
            "locationId": "WH",
            "newItems": [{"id": "OVEN-1-AGAIN", "kind": "SERIAL", "materialId": "OVEN", "lotCode": "1"}],
            "outputs": [{"itemId": "OVEN-1-AGAIN"}],
        },
    )
    assert ("newItems[0].lotCode", "DUPLICATE_SERIAL") in problems(payload)
    assert await stocked.item("OVEN-1-AGAIN") is None


async def test_malformed_identifier(stocked: Api) -> None:
    payload = await stocked.mutate("receive", receive("LOT 7"))
    assert ("newItems[0].id", "INVALID_IDENTIFIER") in problems(payload)
    assert ("outputs[0].itemId", "INVALID_IDENTIFIER") in problems(payload)
    assert await stocked.item("LOT 7") is None


@pytest.mark.parametrize(
    ("mutation", "input", "field", "code"),
    [
        ("receive", receive(MEGABYTE), "newItems[0].id", "TOO_LONG"),
        ("receive", receive("BIG-LOT", lotCode=MEGABYTE), "newItems[0].lotCode", "TOO_LONG"),
        (
            "receive",
            receive("BIG-CH", characteristics={"note": MEGABYTE}),
            "newItems[0].characteristics.note",
            "TOO_LONG",
        ),
        (
            "receive",
            receive("BIG-CONV", conversions=[{"unit": MEGABYTE, "factor": 2}]),
            "newItems[0].conversions[0].unit",
            "INVALID",
        ),
        ("receive", {**receive("BIG-REASON"), "reason": MEGABYTE}, "reason", "TOO_LONG"),
        ("receive", receive("BIG-UNIT", unit=MEGABYTE), "outputs[0].unit", "INVALID"),
        ("move", {"inputs": [{"itemId": "FL-1", "quantity": 1}], "toLocationId": MEGABYTE}, "toLocationId", "TOO_LONG"),
        (
            "setCharacteristics",
            {"inputs": [{"itemId": "FL-1"}], "characteristics": {MEGABYTE: 1}},
            "characteristics",
            "TOO_LONG",
        ),
    ],
)
async def test_a_megabyte_string_names_its_field(
    stocked: Api, mutation: str, input: dict[str, Any], field: str, code: str
) -> None:
    before = await event_count(stocked)
    payload = await stocked.mutate(mutation, input)
    assert payload["event"] is None
    assert (field, code) in problems(payload)
    assert all(len(e["message"]) + len(e["field"]) < 500 for e in payload["errors"])
    assert await event_count(stocked) == before
    assert await stocked.balances("FL-1", virtual=False) == {"WH": 100.0}


async def test_a_megabyte_string_in_master_data(stocked: Api) -> None:
    q = f"mutation($name: String!) {{ createOrganization(name: $name) {{ organization {{ id }} {ERRORS} }} }}"
    payload = (await stocked.data(q, {"name": MEGABYTE}))["createOrganization"]
    assert payload["organization"] is None
    assert problems(payload) == [("name", "TOO_LONG")]
    q = f"mutation($input: CreateMaterialInput!) {{ createMaterial(input: $input) {{ material {{ id }} {ERRORS} }} }}"
    payload = (await stocked.data(q, {"input": {"id": "M-BIG", "name": MEGABYTE}}))["createMaterial"]
    assert problems(payload) == [("name", "TOO_LONG")]
    assert (await stocked.data('{ material(id: "M-BIG") { id } }'))["material"] is None


async def test_unknown_enum_value_and_wrong_type_are_validation_errors(stocked: Api) -> None:
    before = await event_count(stocked)
    body = await stocked.raw(
        'mutation { reclassify(input: {inputs: [{itemId: "FL-1"}], status: MELTED}) { ' + ERRORS + " } }"
    )
    assert body.get("data") is None and "MELTED" in body["errors"][0]["message"]
    body = await stocked.raw(
        "mutation($input: ReclassifyInput!) { reclassify(input: $input) { " + ERRORS + " } }",
        {"input": {"inputs": [{"itemId": "FL-1"}], "status": "MELTED"}},
    )
    assert body.get("data") is None and body["errors"]
    body = await stocked.raw(
        "mutation($input: MoveInput!) { move(input: $input) { " + ERRORS + " } }",
        {"input": {"inputs": [{"itemId": "FL-1", "quantity": "lots"}], "toLocationId": "DOCK"}},
    )
    assert body.get("data") is None and body["errors"]
    assert (await stocked.item("FL-1"))["status"] == "RELEASED"
    assert await event_count(stocked) == before


async def test_a_refused_batch_writes_nothing(stocked: Api) -> None:
    q = f"mutation($input: [EventInput!]!) {{ recordEvents(input: $input) {{ events {{ id }} {ERRORS} }} }}"
    batch = [
        {
            "type": "RECEIVE",
            "locationId": "WH",
            "newItems": [{"id": "FL-NEW", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "FL-NEW", "quantity": 10}],
        },
        {"type": "MOVE", "inputs": [{"itemId": "FL-NEW", "quantity": 11}], "toLocationId": "DOCK"},
    ]
    payload = (await stocked.data(q, {"input": batch}))["recordEvents"]
    assert payload["events"] is None
    assert problems(payload) == [("input[1].inputs[0].quantity", "INSUFFICIENT_STOCK")]
    assert await stocked.item("FL-NEW") is None

    batch[1] = {"type": "MOVE", "inputs": [{"itemId": "FL-NEW", "quantity": 1}], "toLocationId": "NO WHERE"}
    payload = (await stocked.data(q, {"input": batch}))["recordEvents"]
    assert problems(payload) == [("input[1].toLocationId", "INVALID_IDENTIFIER")]
    assert await stocked.item("FL-NEW") is None

    payload = (await stocked.data(q, {"input": batch[:1] + [{"type": "SCRAP"}]}))["recordEvents"]
    assert problems(payload) == [("input[1].inputs", "INVALID")]
    payload = (await stocked.data(q, {"input": [{"type": "SCRAP"}]}))["recordEvents"]
    assert problems(payload) == [("input[0].inputs", "INVALID")]
    assert await stocked.item("FL-NEW") is None


async def test_unexpected_errors_are_masked_and_logged(
    stocked: Api, app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise RuntimeError("secret connection string")

    monkeypatch.setattr(app.state.ledger, "check", broken)
    response = await stocked.client.post("/graphql", json={"query": "{ check { ok } }"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in response.text
    assert "secret connection string" in caplog.text
