"""What the API tests share: GraphQL over HTTP with assertions built in."""

from __future__ import annotations

from typing import Any

import httpx

ERRORS = "errors { field message code }"
EVENT_PAYLOAD = (
    "event { id type items { id } moves { itemId fromLocationId toLocationId quantity } "
    "links { sourceId targetId kind quantity } } duplicate " + ERRORS
)
INPUT_TYPES = {
    "receive": "ReceiveInput",
    "issue": "IssueInput",
    "produce": "ProduceInput",
    "split": "SplitInput",
    "merge": "MergeInput",
    "pack": "PackInput",
    "unpack": "UnpackInput",
    "cleanContainer": "CleanInput",
    "move": "MoveInput",
    "ship": "ShipInput",
    "returnItems": "ReturnInput",
    "adjust": "AdjustInput",
    "scrap": "ScrapInput",
    "reclassify": "ReclassifyInput",
    "setCharacteristics": "SetCharacteristicsInput",
    "correct": "CorrectInput",
    "assemble": "AssembleInput",
    "disassemble": "DisassembleInput",
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
        item = (
            await self.data(
                f"query($id: String!) {{ item(id: $id) {{ {field} {{ locationId quantity }} }} }}", {"id": item_id}
            )
        )["item"]
        return {} if item is None else {b["locationId"]: b["quantity"] for b in item[field]}

    async def item(self, item_id: str, selection: str = "id status") -> dict[str, Any] | None:
        return (await self.data(f"query($id: String!) {{ item(id: $id) {{ {selection} }} }}", {"id": item_id}))["item"]

    async def receive(
        self, lot: str, material: str, quantity: float, unit: str | None = None, location: str = "WH", **new_item: Any
    ) -> dict[str, Any]:
        line: dict[str, Any] = {"itemId": lot, "quantity": quantity}
        if unit:
            line["unit"] = unit
        return await self.ok(
            "receive",
            {
                "locationId": location,
                "newItems": [{"id": lot, "materialId": material, "lotCode": lot, **new_item}],
                "outputs": [line],
            },
        )


# -- several organizations on one server ------------------------------------------------------

ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id }} {ERRORS} }} }}"
KEY = f"mutation($o: ID!, $r: Role!) {{ createApiKey(organizationId: $o, role: $r) {{ key {ERRORS} }} }}"
BATCH = f"mutation($i: [EventInput!]!) {{ recordEvents(input: $i) {{ events {{ id }} {ERRORS} }} }}"


def key_client(app: Any, key: str) -> httpx.AsyncClient:
    """An HTTP client of the ASGI `app` that sends `key`."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


async def new_organization(admin: Api, name: str, roles: tuple[str, ...] = ("OPERATOR",)) -> tuple[str, dict[str, str]]:
    """A new organization (through the admin's `Api`): its id, and a key per role."""
    org = (await admin.data(ORG, {"n": name}))["createOrganization"]["organization"]["id"]
    keys = {role: (await admin.data(KEY, {"o": org, "r": role}))["createApiKey"]["key"] for role in roles}
    return org, keys
