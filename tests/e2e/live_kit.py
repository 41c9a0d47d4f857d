"""What the live tests with several server instances share: the master data, a write, a
gql subscriber on one instance, and the store's commit order."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from servers import AUTH, Server

SETUP = """mutation {
  createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
  createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
}"""
RECEIVE = """mutation($lot: String!) {
  receive(input: {locationId: "WH", newItems: [{id: $lot, materialId: "FLOUR"}],
                  outputs: [{itemId: $lot, quantity: 1}]}) { event { id } errors { message } }
}"""
SUBSCRIBE = gql("subscription { eventRecorded { id itemIds } }")


EVENTS = "query($after: String) { events(first: 1000, after: $after) { edges { cursor node { id } } } }"


async def receive(http: httpx.AsyncClient, server: Server, lot: str) -> str:
    r = await http.post(f"{server.url}/graphql", json={"query": RECEIVE, "variables": {"lot": lot}})
    payload = r.json()["data"]["receive"]
    assert payload["errors"] == [], payload
    return str(payload["event"]["id"])


class Listener:
    """A gql client subscribed to eventRecorded on one server, collecting what it receives."""

    def __init__(self, server: Server) -> None:
        self.url = server.url.replace("http://", "ws://") + "/graphql"
        self.got: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        transport = WebsocketsTransport(
            url=self.url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], init_payload=AUTH
        )
        async with Client(transport=transport) as session:
            async for data in session.subscribe(SUBSCRIBE):
                self.got.append(data["eventRecorded"])

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        assert self.task is not None
        if self.task.done():
            self.task.result()  # raise what ended it
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def ids(self, prefix: str) -> list[str]:
        return [e["id"] for e in self.got if e["itemIds"][0].startswith(prefix)]


async def warm_up(http: httpx.AsyncClient, a: Server, b: Server, listeners: list[Listener], prefix: str) -> None:
    """A subscription listens once the server has read its `subscribe`: record events until
    every listener got one."""
    for n in range(200):
        await receive(http, a if n % 2 else b, f"{prefix}-{n}")
        await asyncio.sleep(0.05)
        if all(listener.ids(prefix) for listener in listeners):
            return
    raise AssertionError("the subscriptions never started")


async def committed(http: httpx.AsyncClient, server: Server) -> list[str]:
    """The ids of every event in the store's commit order (its `events` list), all pages."""
    ids: list[str] = []
    after = None
    while True:
        r = await http.post(f"{server.url}/graphql", json={"query": EVENTS, "variables": {"after": after}})
        edges = r.json()["data"]["events"]["edges"]
        ids += [e["node"]["id"] for e in edges]
        if len(edges) < 1000:
            return ids
        after = edges[-1]["cursor"]
