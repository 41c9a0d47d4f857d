"""The app over HTTP (httpx's ASGI transport), one per test module, on a fresh embedded store.

Test modules here mark their tests `pytest.mark.asyncio(loop_scope="module")`, so they share
the module's event loop with the `app` and `api` fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings

ERRORS = "errors { field message code }"
EVENT_PAYLOAD = (
    "event { id type items { id } moves { itemId fromLocationId toLocationId quantity } "
    "links { sourceId targetId kind quantity } } duplicate " + ERRORS
)
INPUT_TYPES = {
    "receive": "ReceiveInput", "issue": "IssueInput", "produce": "ProduceInput", "split": "SplitInput",
    "merge": "MergeInput", "pack": "PackInput", "unpack": "UnpackInput", "move": "MoveInput",
    "ship": "ShipInput", "returnItems": "ReturnInput", "adjust": "AdjustInput", "scrap": "ScrapInput",
    "reclassify": "ReclassifyInput", "setCharacteristics": "SetCharacteristicsInput", "correct": "CorrectInput",
}


class Api:
    """GraphQL over HTTP; every answer must be a 200."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.raw(query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def mutate(self, name: str, input: dict[str, Any], selection: str = EVENT_PAYLOAD) -> dict[str, Any]:
        """Run an event mutation; its payload."""
        query = f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ {selection} }} }}"
        return (await self.data(query, {"input": input}))[name]

    async def ok(self, name: str, input: dict[str, Any]) -> dict[str, Any]:
        """Run an event mutation that must succeed; its event."""
        payload = await self.mutate(name, input)
        assert payload["errors"] == [], payload["errors"]
        return payload["event"]

    async def create(self, name: str, input_type: str, input: dict[str, Any]) -> dict[str, Any]:
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ERRORS} }} }}"
        payload = (await self.data(query, {"input": input}))[name]
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def balances(self, item_id: str, virtual: bool = True) -> dict[str, float]:
        """Balances of an item by location (real ones only unless `virtual`); {} if it does not exist."""
        field = "balances" if virtual else "onHand"
        item = (await self.data(f"query($id: String!) {{ item(id: $id) {{ {field} {{ locationId quantity }} }} }}",
                                {"id": item_id}))["item"]
        return {} if item is None else {b["locationId"]: b["quantity"] for b in item[field]}

    async def item(self, item_id: str, selection: str = "id status") -> dict[str, Any] | None:
        return (await self.data(f"query($id: String!) {{ item(id: $id) {{ {selection} }} }}", {"id": item_id}))["item"]

    async def receive(self, lot: str, material: str, quantity: float, unit: str | None = None,
                      location: str = "WH", **new_item: Any) -> dict[str, Any]:
        line: dict[str, Any] = {"itemId": lot, "quantity": quantity}
        if unit:
            line["unit"] = unit
        return await self.ok("receive", {
            "locationId": location, "newItems": [{"id": lot, "materialId": material, "lotCode": lot, **new_item}],
            "outputs": [line],
        })


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=False))
    async with app.router.lifespan_context(app):  # httpx's ASGI transport runs no lifespan
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plant(api: Api) -> Api:
    """Master data of a small bakery: materials (one with a CASE conversion), locations."""
    for m in [
        {"id": "FLOUR", "name": "Flour", "baseUnit": "KG", "conversions": [{"unit": "BAG", "factor": 25}]},
        {"id": "SUGAR", "name": "Sugar", "baseUnit": "KG", "conversions": [{"unit": "CASE", "factor": 12}]},
        {"id": "DOUGH", "name": "Dough", "baseUnit": "KG", "kind": "INTERMEDIATE"},
        {"id": "BREAD", "name": "Bread", "baseUnit": "EA", "kind": "PRODUCT", "shelfLifeDays": 5},
        {"id": "OVEN", "name": "Oven", "baseUnit": "EA", "kind": "PRODUCT", "tracking": "SERIAL"},
    ]:
        await api.create("createMaterial", "CreateMaterialInput", m)
    for loc in [
        {"id": "PLANT", "name": "Plant", "kind": "SITE"},
        {"id": "WH", "name": "Warehouse", "kind": "AREA", "parentId": "PLANT"},
        {"id": "LINE", "name": "Line 1", "kind": "AREA", "parentId": "PLANT"},
        {"id": "DOCK", "name": "Dock", "parentId": "PLANT"},
    ]:
        await api.create("createLocation", "CreateLocationInput", loc)
    return api
