"""Read-your-writes across server instances on one real Neo4j, through the
`Tracegraph-Bookmark` header: a client writes through instance A, sends the header A answered
with to instance B, and B's read sees the write; likewise from B to A over EPCIS, and on a
WebSocket opened on B with the header (every operation of that socket waits for it). A token
the server did not give is refused with 400 naming the header, over HTTP and on the
WebSocket's opening handshake.

(One Neo4j applies a commit before it answers it, so here B would see the write anyway: what
this checks is the round trip of the token across instances, each door and the refusals; that
a read waits for the bookmarks it is given is the driver's and Neo4j's part.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from servers import AUTH, Server, run_server
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tracegraph.domain import consistency

pytestmark = pytest.mark.slow

HEADER = "Tracegraph-Bookmark"
SETUP = """mutation {
  createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
  createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
}"""
RECEIVE = """mutation($lot: String!) {
  receive(input: {locationId: "WH", newItems: [{id: $lot, materialId: "FLOUR"}],
                  outputs: [{itemId: $lot, quantity: 3}]}) { event { id } errors { message } }
}"""
ITEM = "query($id: String!) { item(id: $id) { id } }"
EVENT = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "ObjectEvent",
    "eventTime": "2024-03-04T08:00:00.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.777"],
    "action": "ADD",
    "eventID": "urn:uuid:bookmark-b",
}


@pytest.fixture
def instances(neo4j_env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    with run_server(neo4j_env, timeout=120) as a, run_server(neo4j_env, timeout=120) as b:
        r = httpx.post(f"{a.url}/graphql", headers=AUTH, json={"query": SETUP}, trust_env=False)
        assert r.status_code == 200 and "errors" not in r.json(), r.text
        yield a, b


async def test_a_write_on_one_instance_is_read_on_the_other_with_its_bookmark(instances: tuple[Server, Server]) -> None:
    a, b = instances
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=30) as http:
        wrote = await http.post(f"{a.url}/graphql", json={"query": RECEIVE, "variables": {"lot": "BM-LOT"}})
        assert wrote.status_code == 200 and wrote.json()["data"]["receive"]["errors"] == [], wrote.text
        token = wrote.headers[HEADER]
        assert consistency.decode(token)

        read = await http.post(
            f"{b.url}/graphql", json={"query": ITEM, "variables": {"id": "BM-LOT"}}, headers={HEADER: token}
        )
        assert read.status_code == 200 and read.json()["data"]["item"] == {"id": "BM-LOT"}, read.text

        # The other way, over EPCIS: captured on B, read back on A with B's bookmark.
        captured = await http.post(f"{b.url}/epcis/events", json=EVENT)
        assert captured.status_code == 201, captured.text
        got = await http.get(f"{a.url}{captured.headers['location']}", headers={HEADER: captured.headers[HEADER]})
        assert got.status_code == 200 and got.json()["eventID"] == EVENT["eventID"], got.text

        # A WebSocket opened on B with A's bookmark: its operations read after that write.
        async with Client(transport=socket(b, token)) as session:
            result = await session.execute(GraphQLRequest(ITEM, variable_values={"id": "BM-LOT"}))
        assert result == {"item": {"id": "BM-LOT"}}
        # ... they do read with the socket's token: one Neo4j does not know fails them.
        async with Client(transport=socket(b, consistency.encode(["FB:not-a-bookmark"]))) as session:
            with pytest.raises(TransportQueryError) as failed:
                await session.execute(GraphQLRequest(ITEM, variable_values={"id": "BM-LOT"}))
        assert failed.value.errors and failed.value.errors[0]["extensions"]["code"] == "INVALID_BOOKMARK"
        assert HEADER in failed.value.errors[0]["message"]


def socket(server: Server, token: str) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=AUTH,
        headers={HEADER: token},
    )


async def test_a_token_the_server_did_not_give_is_refused_on_every_door(instances: tuple[Server, Server]) -> None:
    a, b = instances
    bad = {HEADER: "certainly-not-a-token"}
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=30) as http:
        for r in (
            await http.post(f"{b.url}/graphql", json={"query": ITEM, "variables": {"id": "X"}}, headers=bad),
            await http.post(f"{b.url}/epcis/events", json=EVENT, headers=bad),
        ):
            assert r.status_code == 400, r.text
            assert HEADER in r.json()["error"] and r.json()["header"] == HEADER, r.text
        forged = {HEADER: consistency.encode(["FB:not-a-bookmark"])}  # well formed, unknown to Neo4j
        r = await http.post(f"{a.url}/graphql", json={"query": ITEM, "variables": {"id": "X"}}, headers=forged)
        assert r.status_code == 400 and HEADER in r.json()["errors"][0]["message"], r.text
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            b.url.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],
            additional_headers=bad,
        ):
            pass
    assert refused.value.response.status_code == 400
    assert HEADER in json.loads(refused.value.response.body or b"{}")["error"]
