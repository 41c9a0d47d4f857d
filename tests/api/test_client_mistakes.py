"""A client's mistakes get a clear typed answer, never "Unexpected error.", and are logged at
INFO without a traceback; a fault of the server is still logged at ERROR with its traceback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import Api
from servers import ADMIN_KEY, AUTH
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    """The demo's bakery on an embedded store: what is checked here is the API's, not a store's."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True, admin_key=ADMIN_KEY))
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=AUTH) as c:
        yield c


def graphql_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("tracegraph.graphql", "strawberry"))]


MISTAKES = [
    '{ trace(id: "NO-SUCH-LOT", direction: FORWARD) { items { id } } }',  # NOT_FOUND
    "{ trace(id: 5, direction: FORWARD) { items { id } } }",  # a literal of the wrong type
    "{ trace(direction: FORWARD) { items { id } } }",  # a required argument left out
    "{ nosuchfield }",  # no such field
    "{ trace(id: ",  # does not parse
    "{ items(first: 100000) { nodes { id } } }",  # a page size out of range
]


@pytest.mark.parametrize("query", MISTAKES)
async def test_a_client_mistake_is_logged_at_info_without_a_traceback(
    api: Api, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = await api.raw(query)
    assert body["errors"] and all(e["message"] != "Unexpected error." for e in body["errors"])
    records = graphql_records(caplog)
    assert records, "the mistake is logged"
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in records), [
        (r.levelname, r.getMessage()) for r in records
    ]


async def test_a_variable_of_the_wrong_type_is_logged_at_info(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    query = 'query($d: DateTime) { trace(id: "LOT-FLOUR-0001", direction: FORWARD, asOf: $d) { items { id } } }'
    body = await api.raw(query, {"d": "yesterday"})
    assert "DateTime" in body["errors"][0]["message"]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in graphql_records(caplog))


async def test_a_server_fault_is_logged_at_error_with_its_traceback(
    api: Api, app: Starlette, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the server")

    monkeypatch.setattr(type(app.state.ledger.tracer), "trace", broken)
    caplog.set_level(logging.INFO)
    body = await api.raw('{ trace(id: "LOT-FLOUR-0001", direction: FORWARD) { items { id } } }')
    assert body["errors"][0]["message"] == "Unexpected error."  # masked for the client
    (record,) = [r for r in graphql_records(caplog) if r.levelno >= logging.WARNING]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "a bug in the server" in caplog.text


NAIVE = "2024-03-06T12:00:00"


@pytest.mark.parametrize(
    "query",
    [
        f'{{ trace(id: "LOT-FLOUR-0001", direction: FORWARD, asOf: "{NAIVE}") {{ items {{ id }} }} }}',
        f'{{ trace(id: "LOT-FLOUR-0001", direction: FORWARD, since: "{NAIVE}") {{ items {{ id }} }} }}',
        f'{{ trace(id: "LOT-FLOUR-0001", direction: FORWARD, until: "{NAIVE}") {{ items {{ id }} }} }}',
        f'{{ trace(id: "LOT-FLOUR-0001", direction: FORWARD, since: "{NAIVE}", until: "2030-01-01T00:00:00Z") '
        "{ items { id } } }",
        f'{{ completeness(since: "{NAIVE}", until: "2030-01-01T00:00:00+02:00") {{ __typename }} }}',
    ],
)
async def test_a_date_time_without_an_offset_is_read_as_utc(api: Api, query: str) -> None:
    body = await api.raw(query)
    assert not body.get("errors"), body["errors"]


async def test_a_naive_date_time_means_the_same_as_its_utc_spelling(api: Api) -> None:
    query = 'query($t: DateTime) { trace(id: "LOT-FLOUR-0001", direction: FORWARD, asOf: $t) { items { id } } }'
    naive = await api.data(query, {"t": NAIVE})
    utc = await api.data(query, {"t": NAIVE + "Z"})
    assert naive == utc


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_http_gets_a_clear_error(client: httpx.AsyncClient, method: str) -> None:
    query = "subscription { lotsNearingExpiry { __typename } }"
    if method == "POST":
        r = await client.post("/graphql", json={"query": query})
    else:
        r = await client.get("/graphql", params={"query": query}, headers={"Accept": "application/json"})
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"
    assert "WebSocket" in error["message"]


async def test_a_query_naming_subscription_still_runs(api: Api) -> None:
    """Only the operation run counts: a document holding a subscription besides a query runs
    the query asked for."""
    r = await api.client.post(
        "/graphql",
        json={
            "query": "query Q { __typename } subscription S { lotsNearingExpiry { __typename } }",
            "operationName": "Q",
        },
    )
    assert r.json() == {"data": {"__typename": "Query"}}


async def test_hold_recall_without_the_right_is_forbidden(api: Api, app: Starlette) -> None:
    org = (await api.data('mutation { createOrganization(name: "Viewers") { organization { id } } }'))[
        "createOrganization"
    ]["organization"]["id"]
    key = (
        await api.data(
            "mutation($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) { key } }",
            {"o": org},
        )
    )["createApiKey"]["key"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    ) as viewer:
        r = await viewer.post(
            "/graphql",
            json={"query": 'mutation { holdRecall(id: "RC-X") { heldItemIds recall { id } errors { code } } }'},
        )
    body = r.json()
    assert not body.get("errors"), body["errors"]
    assert body["data"]["holdRecall"]["errors"] == [{"code": "FORBIDDEN"}]


async def test_a_characteristic_search_with_an_empty_material_is_refused(api: Api) -> None:
    # Found by the fuzz test: an empty materialId passed the check for a missing one.
    body = await api.raw('{ items(materialId: "", characteristic: {name: "moisture_pct", min: 1}) { nodes { id } } }')
    [error] = body["errors"]
    assert "materialId" in error["message"] and error["message"] != "Unexpected error.", error
