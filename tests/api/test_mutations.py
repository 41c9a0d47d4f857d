"""Every mutation's success path, on a small bakery, through HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_kit import ERRORS, Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

SUPPLIER, CUSTOMER, PRODUCTION = "virtual:supplier", "virtual:customer", "virtual:production"
SCRAP, LOSS = "virtual:scrap", "virtual:inventory-loss"


async def test_health_answers_with_the_store_name(api: Api, app: Any) -> None:
    response = await api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "store": app.state.store.name,
        "bus": {"name": "local", "connected": True},
    }
    assert app.state.store.name in ("ladybug", "neo4j")


async def test_graphiql_is_served_on_get_with_its_own_assets(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    # Offline (CONTRACT.md): every script and stylesheet from this server, each one served.
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert not [a for a in assets if "//" in a], assets
    scripts = [a for a in assets if a.endswith((".js", ".css"))]
    assert len(scripts) == 4, scripts
    for path in scripts:
        served = await api.client.get(path, headers={"Authorization": ""})  # no key: they hold no data
        assert served.status_code == 200 and len(served.content) > 1000, path


async def test_create_organization_generates_an_identifier(api: Api) -> None:
    q = f'mutation {{ createOrganization(name: "Müller & Söhne GmbH") {{ organization {{ id name }} {ERRORS} }} }}'
    payload = (await api.data(q))["createOrganization"]
    assert payload["errors"] == []
    org = payload["organization"]
    assert org["name"] == "Müller & Söhne GmbH"
    assert re.fullmatch(r"m-ller-s-hne-gmbh-[0-9a-f]{8}", org["id"])
    found = await api.data("query($id: ID!) { organization(id: $id) { name } }", {"id": org["id"]})
    assert found["organization"] == {"name": "Müller & Söhne GmbH"}


async def test_master_data_is_created_and_read_back(plant: Api) -> None:
    data = await plant.data("""{
        material(id: "SUGAR") { id name baseUnit tracking kind conversions { unit factor } }
        location(id: "WH") { id name kind isVirtual parent { id name } }
    }""")
    assert data["material"] == {
        "id": "SUGAR",
        "name": "Sugar",
        "baseUnit": "KG",
        "tracking": "LOT",
        "kind": "RAW",
        "conversions": [{"unit": "CASE", "factor": 12.0}],
    }
    assert data["location"] == {
        "id": "WH",
        "name": "Warehouse",
        "kind": "AREA",
        "isVirtual": False,
        "parent": {"id": "PLANT", "name": "Plant"},
    }
    org = await plant.data('mutation { createOrganization(name: "Mill") { organization { id } } }')
    org_id = org["createOrganization"]["organization"]["id"]
    q = (
        "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id type partner { id } } "
        + ERRORS
        + " } }"
    )
    payload = (await plant.data(q, {"input": {"id": "PO-1", "type": "PURCHASE", "partnerId": org_id}}))["createOrder"]
    assert payload == {"order": {"id": "PO-1", "type": "PURCHASE", "partner": {"id": org_id}}, "errors": []}

    receipt = await plant.ok(
        "receive",
        {
            "orderId": "PO-1",
            "partnerId": org_id,
            "locationId": "WH",
            "newItems": [{"id": "FL-PO", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "FL-PO", "quantity": 1, "unit": "BAG"}],
        },
    )
    orders = await plant.data("{ orders { nodes { id events { nodes { id partner { name } } } } } }")
    assert orders["orders"]["nodes"] == [
        {"id": "PO-1", "events": {"nodes": [{"id": receipt["id"], "partner": {"name": "Mill"}}]}}
    ]
    unknown = await plant.mutate(
        "receive", {"orderId": "PO-404", "locationId": "WH", "outputs": [{"itemId": "FL-PO", "quantity": 1}]}
    )
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("orderId", "NOT_FOUND")]


async def test_master_data_refusals(plant: Api) -> None:
    q = f"mutation($input: CreateMaterialInput!) {{ createMaterial(input: $input) {{ material {{ id }} {ERRORS} }} }}"
    payload = (await plant.data(q, {"input": {"id": "FLOUR", "name": "Again"}}))["createMaterial"]
    assert payload["material"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "ALREADY_EXISTS")]
    payload = (
        await plant.data(q, {"input": {"id": "SALT", "name": "Salt", "conversions": [{"unit": "CASE", "factor": 0}]}})
    )["createMaterial"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("conversions[0].factor", "INVALID")]
    q = f"mutation($input: CreateLocationInput!) {{ createLocation(input: $input) {{ location {{ id }} {ERRORS} }} }}"
    payload = (await plant.data(q, {"input": {"id": "SHELF", "name": "Shelf", "parentId": "NOPE"}}))["createLocation"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("parentId", "NOT_FOUND")]
    assert (await plant.data('{ location(id: "SHELF") { id } }'))["location"] is None


async def test_receive_converts_cases_into_the_base_unit(plant: Api) -> None:
    event = await plant.receive("SUGAR-1", "SUGAR", 2, unit="CASE")
    assert event["type"] == "RECEIVE"
    assert event["moves"] == [{"itemId": "SUGAR-1", "fromLocationId": SUPPLIER, "toLocationId": "WH", "quantity": 24.0}]
    assert await plant.balances("SUGAR-1") == {"WH": 24.0, SUPPLIER: -24.0}
    item = await plant.item(
        "SUGAR-1", "kind unit lotCode status material { id } quantityOnHand onHand { location { id } }"
    )
    assert item == {
        "kind": "LOT",
        "unit": "KG",
        "lotCode": "SUGAR-1",
        "status": "RELEASED",
        "material": {"id": "SUGAR"},
        "quantityOnHand": 24.0,
        "onHand": [{"location": {"id": "WH"}}],
    }


async def test_issue_produce_split_merge(plant: Api) -> None:
    await plant.receive("FL-1", "FLOUR", 4, unit="BAG")  # 100 KG
    issue = await plant.ok(
        "issue",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "FL-1", "quantity": 30, "locationId": "WH"}],
            "newItems": [{"id": "BATCH-1", "kind": "BATCH", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "BATCH-1"}],
        },
    )
    assert issue["links"] == [{"sourceId": "FL-1", "targetId": "BATCH-1", "kind": "ISSUED", "quantity": 30.0}]
    assert await plant.balances("BATCH-1", virtual=False) == {"LINE": 30.0}
    assert await plant.balances("FL-1", virtual=False) == {"WH": 70.0}

    produce = await plant.ok(
        "produce",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "BATCH-1", "quantity": 30}],
            "newItems": [{"id": "DOUGH-1", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "DOUGH-1", "quantity": 45}],
        },
    )
    assert produce["links"][0]["kind"] == "CONSUMED"
    assert await plant.balances("DOUGH-1") == {"LINE": 45.0, PRODUCTION: -45.0}

    split = await plant.ok(
        "split",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "DOUGH-1", "quantity": 45}],
            "newItems": [
                {"id": "DOUGH-1A", "kind": "SUBLOT", "materialId": "DOUGH", "parentId": "DOUGH-1"},
                {"id": "DOUGH-1B", "kind": "SUBLOT", "materialId": "DOUGH", "parentId": "DOUGH-1"},
            ],
            "outputs": [{"itemId": "DOUGH-1A", "quantity": 20}, {"itemId": "DOUGH-1B", "quantity": 25}],
        },
    )
    assert {(link["targetId"], link["kind"]) for link in split["links"]} == {
        ("DOUGH-1A", "SPLIT"),
        ("DOUGH-1B", "SPLIT"),
    }
    assert (await plant.item("DOUGH-1A", "kind parent { id }")) == {"kind": "SUBLOT", "parent": {"id": "DOUGH-1"}}

    merge = await plant.ok(
        "merge",
        {
            "locationId": "LINE",
            "inputs": [{"itemId": "DOUGH-1A"}, {"itemId": "DOUGH-1B"}],
            "newItems": [{"id": "DOUGH-M", "materialId": "DOUGH"}],
            "outputs": [{"itemId": "DOUGH-M"}],
        },
    )
    assert {link["sourceId"] for link in merge["links"]} == {"DOUGH-1A", "DOUGH-1B"}
    assert await plant.balances("DOUGH-M", virtual=False) == {"LINE": 45.0}
    inputs = await plant.item("DOUGH-M", "inputs { id } outputs { id }")
    assert sorted(i["id"] for i in inputs["inputs"]) == ["DOUGH-1A", "DOUGH-1B"] and inputs["outputs"] == []


async def test_pack_unpack_move_ship_return(plant: Api) -> None:
    await plant.receive("BREAD-1", "BREAD", 100)
    pack = await plant.ok(
        "pack",
        {
            "containerId": "PAL-1",
            "locationId": "WH",
            "newItems": [{"id": "PAL-1", "kind": "CONTAINER", "containerType": "LOGISTIC"}],
            "inputs": [{"itemId": "BREAD-1", "quantity": 60}],
        },
    )
    assert pack["links"] == [{"sourceId": "BREAD-1", "targetId": "PAL-1", "kind": "PACKED", "quantity": 60.0}]
    unpack = await plant.ok("unpack", {"containerId": "PAL-1", "inputs": [{"itemId": "BREAD-1"}]})
    assert unpack["type"] == "UNPACK"

    move = await plant.ok("move", {"inputs": [{"itemId": "BREAD-1", "quantity": 60}], "toLocationId": "DOCK"})
    assert move["moves"] == [{"itemId": "BREAD-1", "fromLocationId": "WH", "toLocationId": "DOCK", "quantity": 60.0}]

    ship = await plant.ok(
        "ship", {"inputs": [{"itemId": "BREAD-1", "quantity": 50, "locationId": "DOCK"}], "shipmentId": "SH-1"}
    )
    assert ship["moves"][0]["toLocationId"] == CUSTOMER
    shipment = await plant.data('{ shipment(id: "SH-1") { id destination { id } events { edges { node { id } } } } }')
    assert shipment["shipment"]["destination"] == {"id": CUSTOMER}
    assert [e["node"]["id"] for e in shipment["shipment"]["events"]["edges"]] == [ship["id"]]

    back = await plant.ok("returnItems", {"outputs": [{"itemId": "BREAD-1", "quantity": 5}], "locationId": "WH"})
    assert back["moves"] == [{"itemId": "BREAD-1", "fromLocationId": CUSTOMER, "toLocationId": "WH", "quantity": 5.0}]
    assert await plant.balances("BREAD-1") == {"WH": 45.0, "DOCK": 10.0, CUSTOMER: 45.0, SUPPLIER: -100.0}


async def test_adjust_and_scrap_book_against_virtual_locations(plant: Api) -> None:
    await plant.receive("SUGAR-2", "SUGAR", 50)
    adjust = await plant.ok(
        "adjust", {"inputs": [{"itemId": "SUGAR-2", "quantity": 47, "locationId": "WH"}], "reason": "cycle count"}
    )
    assert adjust["moves"] == [{"itemId": "SUGAR-2", "fromLocationId": "WH", "toLocationId": LOSS, "quantity": 3.0}]
    await plant.ok("scrap", {"inputs": [{"itemId": "SUGAR-2", "quantity": 7}], "reason": "torn bag"})
    assert await plant.balances("SUGAR-2") == {"WH": 40.0, LOSS: 3.0, SCRAP: 7.0, SUPPLIER: -50.0}


async def test_reclassify_to_hold_then_shipping_is_refused(plant: Api) -> None:
    await plant.receive("BREAD-2", "BREAD", 10)
    event = await plant.ok("reclassify", {"inputs": [{"itemId": "BREAD-2"}], "status": "HOLD", "reason": "recall"})
    assert event["type"] == "RECLASSIFY"
    assert (await plant.item("BREAD-2"))["status"] == "HOLD"
    payload = await plant.mutate("ship", {"inputs": [{"itemId": "BREAD-2", "quantity": 1}]})
    assert payload["event"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("inputs[0].itemId", "STATUS_FORBIDS")]
    assert await plant.balances("BREAD-2", virtual=False) == {"WH": 10.0}


async def test_set_characteristics_keeps_the_others(plant: Api) -> None:
    await plant.receive("FL-C", "FLOUR", 10, characteristics={"protein": 11.5, "organic": True})
    await plant.ok(
        "setCharacteristics", {"inputs": [{"itemId": "FL-C"}], "characteristics": {"moisture": 13.2, "grade": "A"}}
    )
    item = await plant.item("FL-C", "characteristics")
    assert item["characteristics"] == {"protein": 11.5, "organic": True, "moisture": 13.2, "grade": "A"}


async def test_correct_reverses_a_move_and_a_status_change(plant: Api) -> None:
    await plant.receive("SUGAR-3", "SUGAR", 20)
    move = await plant.ok("move", {"inputs": [{"itemId": "SUGAR-3", "quantity": 8}], "toLocationId": "DOCK"})
    correction = await plant.ok("correct", {"reverses": move["id"], "reason": "wrong dock"})
    assert correction["moves"] == [
        {"itemId": "SUGAR-3", "fromLocationId": "DOCK", "toLocationId": "WH", "quantity": 8.0}
    ]
    assert await plant.balances("SUGAR-3", virtual=False) == {"WH": 20.0}
    event = await plant.data(
        "query($id: String!) { event(id: $id) { type reverses { id } } }", {"id": correction["id"]}
    )
    assert event["event"] == {"type": "CORRECTION", "reverses": {"id": move["id"]}}

    hold = await plant.ok("reclassify", {"inputs": [{"itemId": "SUGAR-3"}], "status": "HOLD"})
    await plant.ok("correct", {"reverses": hold["id"]})
    assert (await plant.item("SUGAR-3"))["status"] == "RELEASED"
    again = await plant.mutate("correct", {"reverses": hold["id"]})
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("reverses", "CONFLICT")]


async def test_serials_are_produced_one_unit_each(plant: Api) -> None:
    event = await plant.ok(
        "produce",
        {
            "locationId": "WH",
            "newItems": [
                {"id": "OVEN-001", "kind": "SERIAL", "materialId": "OVEN", "lotCode": "001"},
                {"id": "OVEN-002", "kind": "SERIAL", "materialId": "OVEN", "lotCode": "002"},
            ],
            "outputs": [{"itemId": "OVEN-001"}, {"itemId": "OVEN-002"}],
        },
    )
    assert sorted(i["id"] for i in event["items"]) == ["OVEN-001", "OVEN-002"]
    assert await plant.balances("OVEN-002", virtual=False) == {"WH": 1.0}


async def test_an_event_id_is_an_idempotency_key(plant: Api) -> None:
    await plant.receive("SUGAR-4", "SUGAR", 10)
    move = {"id": "mv-sugar-4", "inputs": [{"itemId": "SUGAR-4", "quantity": 1}], "toLocationId": "DOCK"}
    first = await plant.mutate("move", move)
    again = await plant.mutate("move", move)
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert again["event"]["id"] == "mv-sugar-4"
    assert await plant.balances("SUGAR-4", virtual=False) == {"WH": 9.0, "DOCK": 1.0}
    # Without an id, two identical commands are two events.
    plain = {"inputs": [{"itemId": "SUGAR-4", "quantity": 1, "locationId": "WH"}], "toLocationId": "DOCK"}
    assert not (await plant.mutate("move", plain))["duplicate"]
    assert not (await plant.mutate("move", plain))["duplicate"]
    assert await plant.balances("SUGAR-4", virtual=False) == {"WH": 7.0, "DOCK": 3.0}


async def test_record_events_writes_a_batch_in_order(plant: Api) -> None:
    q = f"mutation($input: [EventInput!]!) {{ recordEvents(input: $input) {{ events {{ id type }} {ERRORS} }} }}"
    batch = [
        {
            "type": "RECEIVE",
            "locationId": "WH",
            "newItems": [{"id": "FL-B", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "FL-B", "quantity": 40}],
        },
        {"type": "MOVE", "inputs": [{"itemId": "FL-B", "quantity": 15}], "toLocationId": "LINE"},
        {"type": "RECLASSIFY", "inputs": [{"itemId": "FL-B"}], "status": "QC"},
    ]
    payload = (await plant.data(q, {"input": batch}))["recordEvents"]
    assert payload["errors"] == []
    assert [e["type"] for e in payload["events"]] == ["RECEIVE", "MOVE", "RECLASSIFY"]
    assert await plant.balances("FL-B", virtual=False) == {"WH": 25.0, "LINE": 15.0}
    assert (await plant.item("FL-B"))["status"] == "QC"


async def test_record_events_names_the_event_of_each_problem(plant: Api) -> None:
    q = f"mutation($input: [EventInput!]!) {{ recordEvents(input: $input) {{ events {{ id }} {ERRORS} }} }}"
    batch = [
        {
            "type": "RECEIVE",
            "locationId": "WH",
            "newItems": [{"id": "FL-NAMED", "materialId": "FLOUR"}],
            "outputs": [{"itemId": "FL-NAMED", "quantity": 40}],
        },
        {
            "type": "MOVE",
            "inputs": [{"itemId": "FL-NAMED", "quantity": 15}],
            "toLocationId": "LINE",
            "orderId": "PO-404",
        },
        {"type": "MOVE", "inputs": [{"itemId": "FL-NAMED", "quantity": 99}], "toLocationId": "LINE"},
    ]
    payload = (await plant.data(q, {"input": batch}))["recordEvents"]
    assert payload["events"] is None
    fields = {e["field"] for e in payload["errors"]}
    assert "input[1].orderId" in fields, payload["errors"]
    assert await plant.balances("FL-NAMED") == {}  # nothing of the batch was written
