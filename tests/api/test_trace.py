"""The contract's trace: reachability along `A -> B` (material of A is in B), root excluded."""

from __future__ import annotations

import pytest
import pytest_asyncio
from api_kit import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRACE = "query($id: String!, $d: TraceDirection!) { trace(id: $id, direction: $d) { items { id } } }"


async def trace(api: Api, item_id: str, direction: str) -> list[str]:
    """Exactly the contract's query."""
    data = await api.data(TRACE, {"id": item_id, "d": direction})
    return [i["id"] for i in data["trace"]["items"]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def genealogy(plant: Api) -> Api:
    """A diamond (A split into B and C, merged again into D, D packed onto pallet P) and a
    cycle (X into Y, then Y into X, as a mistaken reuse records it)."""
    await plant.receive("A", "FLOUR", 10)
    await plant.ok(
        "split",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "A", "quantity": 10}],
            "newItems": [
                {"id": "B", "materialId": "FLOUR", "kind": "SUBLOT", "parentId": "A"},
                {"id": "C", "materialId": "FLOUR", "kind": "SUBLOT", "parentId": "A"},
            ],
            "outputs": [{"itemId": "B", "quantity": 4}, {"itemId": "C", "quantity": 6}],
        },
    )
    await plant.ok(
        "merge",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "B"}, {"itemId": "C"}],
            "newItems": [{"id": "D", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "D"}],
        },
    )
    await plant.ok(
        "pack", {"containerId": "P", "newItems": [{"id": "P", "kind": "CONTAINER"}], "inputs": [{"itemId": "D"}]}
    )
    await plant.receive("X", "DOUGH", 10)
    await plant.ok(
        "produce",
        {
            "locationId": "WH",
            "inputs": [{"itemId": "X", "quantity": 5}],
            "newItems": [{"id": "Y", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "Y"}],
        },
    )
    await plant.ok(
        "produce",
        {"locationId": "WH", "inputs": [{"itemId": "Y", "quantity": 5}], "outputs": [{"itemId": "X", "quantity": 5}]},
    )
    return plant


async def test_forward_through_a_diamond(genealogy: Api) -> None:
    assert sorted(await trace(genealogy, "A", "FORWARD")) == ["B", "C", "D", "P"]
    assert await trace(genealogy, "D", "FORWARD") == ["P"]
    assert await trace(genealogy, "P", "FORWARD") == []


async def test_backward_through_a_diamond(genealogy: Api) -> None:
    assert sorted(await trace(genealogy, "P", "BACKWARD")) == ["A", "B", "C", "D"]
    assert sorted(await trace(genealogy, "D", "BACKWARD")) == ["A", "B", "C"]
    assert await trace(genealogy, "A", "BACKWARD") == []


async def test_a_cycle_ends_the_walk_and_the_root_stays_out(genealogy: Api) -> None:
    assert await trace(genealogy, "X", "FORWARD") == ["Y"]
    assert await trace(genealogy, "X", "BACKWARD") == ["Y"]
    assert await trace(genealogy, "Y", "FORWARD") == ["X"]


async def test_depth_edges_items_and_max_depth(genealogy: Api) -> None:
    data = await genealogy.data("""{ trace(id: "A", direction: FORWARD, maxDepth: 2) {
        rootId direction root { id } items { id depth item { id kind } } edges { source target } } }""")
    t = data["trace"]
    assert (t["rootId"], t["direction"], t["root"]) == ("A", "FORWARD", {"id": "A"})
    assert sorted((i["id"], i["depth"], i["item"]["kind"]) for i in t["items"]) == [
        ("B", 1, "SUBLOT"),
        ("C", 1, "SUBLOT"),
        ("D", 2, "LOT"),
    ]
    assert sorted((e["source"], e["target"]) for e in t["edges"]) == [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")]
    body = await genealogy.raw('{ trace(id: "A", direction: FORWARD, maxDepth: -1) { items { id } } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_an_unknown_root_is_not_found(genealogy: Api) -> None:
    """A misspelled lot is an error, never "nothing affected" (shared/CONTRACT.md)."""
    body = await genealogy.raw(
        '{ trace(id: "urn:epc:id:sgtin:0614141.107346.2017", direction: BACKWARD) { root { id } items { id } } }'
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


DELIVERIES = """query($id: String!) { trace(id: $id, direction: FORWARD) {
  items { id firstEventTime lastEventTime }
  deliveries { itemId quantity eventId shipmentId partnerId destinationId partner { name } }
} }"""


async def test_forward_trace_lists_deliveries_and_event_times(plant: Api) -> None:
    shop = {}
    for name in ("Corner Shop", "Market Hall"):
        created = await plant.data(
            "mutation($n: String!) { createOrganization(name: $n) { organization { id } } }", {"n": name}
        )
        shop[name] = created["createOrganization"]["organization"]["id"]
    await plant.ok(
        "receive",
        {
            "id": "rcv-S",
            "locationId": "WH",
            "eventTime": "2024-05-01T06:00:00Z",
            "newItems": [{"id": "S", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "S", "quantity": 20}],
        },
    )
    await plant.ok(
        "produce",
        {
            "id": "bake-T",
            "locationId": "WH",
            "eventTime": "2024-05-01T08:00:00Z",
            "inputs": [{"itemId": "S", "quantity": 20}],
            "newItems": [{"id": "T", "materialId": "BREAD"}],
            "outputs": [{"itemId": "T", "quantity": 40}],
        },
    )
    await plant.ok(
        "ship",
        {
            "id": "ship-1",
            "eventTime": "2024-05-01T10:00:00Z",
            "inputs": [{"itemId": "T", "quantity": 15}],
            "shipmentId": "SH-1",
            "partnerId": shop["Corner Shop"],
        },
    )
    await plant.ok(
        "ship",
        {
            "id": "ship-2",
            "eventTime": "2024-05-01T11:00:00Z",
            "inputs": [{"itemId": "T", "quantity": 5}],
            "shipmentId": "SH-2",
            "partnerId": shop["Market Hall"],
        },
    )
    await plant.ok(
        "ship",
        {
            "id": "ship-3",
            "eventTime": "2024-05-01T12:00:00Z",
            "inputs": [{"itemId": "T", "quantity": 7}],
            "shipmentId": "SH-3",
            "partnerId": shop["Market Hall"],
        },
    )
    await plant.ok("correct", {"id": "undo-3", "reverses": "ship-3", "reason": "recorded twice"})

    trace = (await plant.data(DELIVERIES, {"id": "S"}))["trace"]
    assert trace["items"] == [
        {"id": "T", "firstEventTime": "2024-05-01T08:00:00+00:00", "lastEventTime": "2024-05-01T11:00:00+00:00"}
    ]  # the reversed shipment left out
    assert trace["deliveries"] == [
        {
            "itemId": "T",
            "quantity": 15.0,
            "eventId": "ship-1",
            "shipmentId": "SH-1",
            "partnerId": shop["Corner Shop"],
            "destinationId": "virtual:customer",
            "partner": {"name": "Corner Shop"},
        },
        {
            "itemId": "T",
            "quantity": 5.0,
            "eventId": "ship-2",
            "shipmentId": "SH-2",
            "partnerId": shop["Market Hall"],
            "destinationId": "virtual:customer",
            "partner": {"name": "Market Hall"},
        },
    ]


async def test_contact_through_a_tank_stops_at_its_cleaning(plant: Api) -> None:
    """T1 in tank K, then T2; K cleaned; then T3. Through containers, T1 reaches T2, not T3."""
    for lot in ("T1", "T2", "T3"):
        await plant.receive(lot, "SUGAR", 5)
    await plant.ok(
        "pack",
        {
            "containerId": "K",
            "eventTime": "2027-05-01T08:00:00Z",
            "newItems": [{"id": "K", "kind": "CONTAINER", "containerType": "PERMANENT"}],
            "inputs": [{"itemId": "T1", "quantity": 5}],
        },
    )
    await plant.ok("unpack", {"containerId": "K", "eventTime": "2027-05-01T09:00:00Z", "inputs": [{"itemId": "T1"}]})
    await plant.ok(
        "pack", {"containerId": "K", "eventTime": "2027-05-01T10:00:00Z", "inputs": [{"itemId": "T2", "quantity": 5}]}
    )
    await plant.ok("unpack", {"containerId": "K", "eventTime": "2027-05-01T11:00:00Z", "inputs": [{"itemId": "T2"}]})
    cleaned = await plant.mutate("cleanContainer", {"containerId": "K", "eventTime": "2027-05-01T12:00:00Z"})
    assert cleaned["errors"] == [] and cleaned["event"]["type"] == "CLEAN"
    await plant.ok(
        "pack", {"containerId": "K", "eventTime": "2027-05-01T13:00:00Z", "inputs": [{"itemId": "T3", "quantity": 5}]}
    )
    query = (
        "query($id: String!) { trace(id: $id, direction: FORWARD, throughContainers: true) "
        "{ items { id } links { source target kind via } } }"
    )
    data = (await plant.data(query, {"id": "T1"}))["trace"]
    assert sorted(i["id"] for i in data["items"]) == ["K", "T2"]
    assert {"source": "T1", "target": "T2", "kind": "CONTACT", "via": "K"} in data["links"]
    refused = await plant.mutate("cleanContainer", {"containerId": "T1"})
    assert [e["field"] for e in refused["errors"]] == ["containerId"]
