"""Recall cases over GraphQL: open, report with the mass balance, hold, contain, close; a mock
recall changes nothing; bad input gets errors in the payload."""

from __future__ import annotations

import pytest
import pytest_asyncio
from api_kit import ERRORS, Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

RECALL = """
  id status mock direction suspectIds affectedCount accounted traceMs reportMs holdEventIds
  notes { text by }
  suspects { itemId quantity onHand shipped scrapped accounted gaps }
  affected(first: 100) { nodes { id depth quantity } }
  report {
    accounted
    stock { itemId locationId quantity status }
    deliveries { itemId quantity shipmentId partnerId }
    totals { itemId created consumed shipped scrapped onHand }
    massBalance { rootId rootQuantity accounted onHand shipped scrapped gaps { kind itemId } }
  }
"""
OPEN = f"mutation($input: OpenRecallInput!) {{ openRecall(input: $input) {{ recall {{ {RECALL} }} {ERRORS} }} }}"
HOLD = f'mutation($id: String!) {{ holdRecall(id: $id, note: "quarantined") {{ heldItemIds recall {{ {RECALL} }} {ERRORS} }} }}'
STATUS = (
    f'mutation($id: String!, $s: RecallStatus!) {{ setRecallStatus(id: $id, status: $s, note: "done") '
    f"{{ recall {{ id status notes {{ text }} }} {ERRORS} }} }}"
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bakery(plant: Api) -> Api:
    """Flour F (100 kg) baked with sugar S (10 kg) into dough D1 (60 kg of F) and D2 (40 kg of F);
    D1 split into loaves L (50 kg) shipped to a customer for 20 kg; D2 scrapped for 10 kg."""
    await plant.data('mutation { createOrganization(name: "Corner Shop") { organization { id } errors { code } } }')
    await plant.receive("F", "FLOUR", 100)
    await plant.receive("S", "SUGAR", 10)
    await plant.ok(
        "produce",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "F", "quantity": 60}],
            "newItems": [{"id": "D1", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "D1", "quantity": 60}],
        },
    )
    await plant.ok(
        "produce",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "F", "quantity": 40}, {"itemId": "S", "quantity": 10}],
            "newItems": [{"id": "D2", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "D2", "quantity": 50}],
        },
    )
    await plant.ok(
        "split",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "D1", "quantity": 50}],
            "newItems": [{"id": "L", "materialId": "DOUGH", "kind": "SUBLOT", "parentId": "D1"}],
            "outputs": [{"itemId": "L", "quantity": 50}],
        },
    )
    await plant.ok("ship", {"shipmentId": "SH-1", "inputs": [{"itemId": "L", "quantity": 20, "locationId": "WH"}]})
    await plant.ok("scrap", {"inputs": [{"itemId": "D2", "quantity": 10, "locationId": "WH"}]})
    return plant


async def open_recall(api: Api, **input: object) -> dict:
    payload = (await api.data(OPEN, {"input": {"reason": "salmonella in flour", **input}}))["openRecall"]
    return payload


def near(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-6


async def test_open_report_hold_and_close(bakery: Api) -> None:
    payload = await open_recall(bakery, itemIds=["F"], openedBy="qa@plant", id="RC-1")
    assert payload["errors"] == []
    r = payload["recall"]
    assert (r["id"], r["status"], r["mock"], r["direction"]) == ("RC-1", "OPEN", False, "FORWARD")
    assert r["affectedCount"] == 3
    quantities = {a["id"]: a["quantity"] for a in r["affected"]["nodes"]}
    # F: 60 into D1 (all of D1), 40 into D2 (40 of its 50 kg); L holds 50 of D1's 60: 50 kg of F.
    assert near(quantities["F"], 100) and near(quantities["D1"], 60) and near(quantities["D2"], 40)
    assert near(quantities["L"], 50)
    [s] = r["suspects"]
    # Of F's 100 kg: D1 keeps 10 (10 of F), L 30 on hand and 20 shipped; D2 scraps 10 of 50 (8 of F),
    # keeps 40 (32 of F).
    assert near(s["quantity"], 100) and near(s["shipped"], 20) and near(s["scrapped"], 8)
    assert near(s["onHand"], 10 + 30 + 32) and near(s["accounted"], 1.0) and s["gaps"] == []
    report = r["report"]
    assert {(x["itemId"], x["quantity"]) for x in report["stock"]} == {("D1", 10), ("L", 30), ("D2", 40)}
    assert [(d["itemId"], d["quantity"], d["shipmentId"]) for d in report["deliveries"]] == [("L", 20, "SH-1")]
    totals = {t["itemId"]: t for t in report["totals"]}
    assert totals["F"]["consumed"] == 100 and totals["D2"]["scrapped"] == 10 and totals["L"]["shipped"] == 20

    held = (await bakery.data(HOLD, {"id": "RC-1"}))["holdRecall"]
    assert held["errors"] == []
    assert sorted(held["heldItemIds"]) == ["D1", "D2", "L"], "F and S: nothing on hand; S is no part of it"
    assert held["recall"]["status"] == "CONTAINED" and len(held["recall"]["holdEventIds"]) == 1
    assert {x["status"] for x in held["recall"]["report"]["stock"]} == {"HOLD"}
    refused = await bakery.mutate("ship", {"inputs": [{"itemId": "L", "quantity": 1, "locationId": "WH"}]})
    assert [e["code"] for e in refused["errors"]] == ["STATUS_FORBIDS"]

    again = (await bakery.data(HOLD, {"id": "RC-1"}))["holdRecall"]
    assert again["errors"] == [] and again["heldItemIds"] == [], "a second hold changes nothing"
    assert again["recall"]["holdEventIds"] == held["recall"]["holdEventIds"]

    closed = (await bakery.data(STATUS, {"id": "RC-1", "s": "CLOSED"}))["setRecallStatus"]
    assert closed["errors"] == [] and closed["recall"]["status"] == "CLOSED"
    assert [n["text"] for n in closed["recall"]["notes"]] == ["quarantined", "done"]
    reopen = (await bakery.data(STATUS, {"id": "RC-1", "s": "OPEN"}))["setRecallStatus"]
    assert [e["code"] for e in reopen["errors"]] == ["CONFLICT"] and reopen["recall"] is None

    listed = await bakery.data("{ recalls(first: 10) { nodes { id status } } }")
    assert {"id": "RC-1", "status": "CLOSED"} in listed["recalls"]["nodes"]


async def test_mock_recall_changes_no_status_and_keeps_its_timings(bakery: Api) -> None:
    before = await bakery.item("S", "status")
    payload = await open_recall(bakery, itemIds=["S"], mock=True)
    assert payload["errors"] == []
    r = payload["recall"]
    assert r["mock"] is True and r["status"] == "CLOSED"
    assert r["traceMs"] > 0 and r["reportMs"] > 0 and near(r["accounted"], 1.0)
    assert [a["id"] for a in r["affected"]["nodes"] if a["depth"] > 0] == ["D2"]
    held = (await bakery.data(HOLD, {"id": r["id"]}))["holdRecall"]
    assert [e["code"] for e in held["errors"]] == ["INVALID"]
    assert await bakery.item("S", "status") == before


async def test_backward_recall_from_a_complaint(bakery: Api) -> None:
    r = (await open_recall(bakery, itemIds=["L"], direction="BACKWARD", mock=True))["recall"]
    quantities = {a["id"]: a["quantity"] for a in r["affected"]["nodes"]}
    assert set(quantities) == {"L", "D1", "F"} and near(quantities["F"], 50) and near(quantities["D1"], 50)


async def test_bad_input_is_named(bakery: Api) -> None:
    unknown = await open_recall(bakery, itemIds=["NOPE"])
    assert unknown["recall"] is None
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("itemIds[0]", "NOT_FOUND")]
    empty = await open_recall(bakery, itemIds=[])
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("itemIds", "INVALID")]
    blank = (await bakery.data(OPEN, {"input": {"reason": " ", "itemIds": ["F"]}}))["openRecall"]
    assert [(e["field"], e["code"]) for e in blank["errors"]] == [("reason", "INVALID")]
    huge = await open_recall(bakery, itemIds=["F"], id="X" * 2000)
    assert huge["recall"] is None
    assert [(e["field"], e["code"]) for e in huge["errors"]] == [("id", "TOO_LONG")]
    dup = await open_recall(bakery, itemIds=["F"], id="RC-DUP")
    assert dup["errors"] == []
    again = await open_recall(bakery, itemIds=["F"], id="RC-DUP")
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "ALREADY_EXISTS")]
    missing = (await bakery.data(HOLD, {"id": "NOPE"}))["holdRecall"]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("id", "NOT_FOUND")]
