"""The `Tracegraph-Bookmark` header (http/consistency.py), on both stores: on Neo4j every answer
to a request that wrote carries the bookmarks of its write, on every door (GraphQL, EPCIS), and
a read that sends it back is served; the embedded store gives none. A token this server did
not give is refused with 400 naming the header, before anything runs, on both stores; on
Neo4j also one that decodes but names no bookmark Neo4j knows."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tracegraph.domain import consistency

pytestmark = pytest.mark.asyncio(loop_scope="module")

HEADER = "Tracegraph-Bookmark"
CREATE = 'mutation($id: ID!) { createMaterial(input: {id: $id, name: "Bm", baseUnit: "KG"}) { errors { code } } }'
READ = "query($id: ID!) { material(id: $id) { id } }"
EVENT = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "ObjectEvent",
    "eventTime": "2024-03-04T08:00:00.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.4242"],
    "action": "ADD",
    "eventID": "urn:uuid:bookmark-door",
}


async def test_a_write_answers_its_bookmark_and_a_read_with_it_sees_the_write(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    r = await client.post("/graphql", json={"query": CREATE, "variables": {"id": "BM-1"}})
    assert r.status_code == 200 and r.json()["data"]["createMaterial"]["errors"] == [], r.text
    token = r.headers.get(HEADER)
    if app.state.store.name != "neo4j":
        assert token is None  # the embedded store does not replicate: nothing to wait for
        return
    assert token and consistency.decode(token)  # opaque to clients; Neo4j's bookmarks inside
    read = await client.post("/graphql", json={"query": READ, "variables": {"id": "BM-1"}}, headers={HEADER: token})
    assert read.status_code == 200 and read.json()["data"]["material"] == {"id": "BM-1"}, read.text
    assert HEADER.lower() not in read.headers  # a read writes nothing: no new bookmark
    # Tokens of several writes, joined by commas, are waited for together.
    again = await client.post("/graphql", json={"query": CREATE, "variables": {"id": "BM-2"}})
    both = f"{token}, {again.headers[HEADER]}"
    read = await client.post("/graphql", json={"query": READ, "variables": {"id": "BM-2"}}, headers={HEADER: both})
    assert read.status_code == 200 and read.json()["data"]["material"] == {"id": "BM-2"}, read.text


async def test_an_epcis_capture_answers_its_bookmark_and_a_query_takes_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    r = await client.post("/epcis/events", json=EVENT)
    assert r.status_code == 201, r.text
    token = r.headers.get(HEADER)
    assert (token is not None) == (app.state.store.name == "neo4j")
    got = await client.get(r.headers["location"], headers={HEADER: token} if token else {})
    assert got.status_code == 200 and got.json()["eventID"] == EVENT["eventID"], got.text


@pytest.mark.parametrize(
    "value", ["not a token", "e30", consistency.encode([]) + ",!!!", "W10" * 3000, "WzFd"]
)  # text, `{}`, a bad second token, too long, `[1]`
async def test_a_token_the_server_did_not_give_is_refused_with_400_naming_the_header(
    client: httpx.AsyncClient, value: str
) -> None:
    for r in (
        await client.post("/graphql", json={"query": READ, "variables": {"id": "BM-1"}}, headers={HEADER: value}),
        await client.get("/epcis/events", headers={HEADER: value}),
        await client.post("/graphql", json={"query": CREATE, "variables": {"id": "BM-X"}}, headers={HEADER: value}),
    ):
        assert r.status_code == 400, r.text
        body = r.json()
        assert HEADER in body["error"] and body["code"] == "INVALID_BOOKMARK" and body["header"] == HEADER, body
    # Refused before it ran: nothing was written.
    read = await client.post("/graphql", json={"query": READ, "variables": {"id": "BM-X"}})
    assert read.json()["data"]["material"] is None


async def test_a_well_formed_token_naming_no_bookmark_the_store_knows_is_refused_with_400(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    if app.state.store.name != "neo4j":
        pytest.skip("only a store that replicates reads the bookmarks")
    forged = consistency.encode(["not-a-neo4j-bookmark"])
    r = await client.post("/graphql", json={"query": READ, "variables": {"id": "BM-1"}}, headers={HEADER: forged})
    assert r.status_code == 400, r.text
    error = r.json()["errors"][0]
    assert HEADER in error["message"] and error["extensions"]["code"] == "INVALID_BOOKMARK", error
    r = await client.get("/epcis/events", headers={HEADER: forged})
    assert r.status_code == 400 and HEADER in r.json()["error"], r.text
