"""Request limits: an oversized body is a 413 with a readable body, never a 500."""

from __future__ import annotations

import httpx
import pytest
from servers import ADMIN_KEY, AUTH

from tracegraph.app import create_app
from tracegraph.config import Settings


@pytest.fixture
async def small_app(tmp_path):
    app = create_app(Settings(admin_key=ADMIN_KEY, data_dir=tmp_path, demo=False, max_body_bytes=4096))
    async with app.router.lifespan_context(app):
        yield app


async def test_oversized_body_is_refused_with_413(small_app) -> None:
    query = '{ item(id: "%s") { id } }' % ("x" * 10_000)
    async with httpx.AsyncClient(
        headers=AUTH, transport=httpx.ASGITransport(small_app), base_url="http://test"
    ) as client:
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 413
        assert "larger than 4096 bytes" in response.json()["error"]
        ok = await client.post("/graphql", json={"query": "{ __typename }"})
        assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


async def test_deep_query_is_a_graphql_error(small_app) -> None:
    nested = "id " + "inputs { " * 20 + "id" + " }" * 20
    async with httpx.AsyncClient(
        headers=AUTH, transport=httpx.ASGITransport(small_app), base_url="http://test"
    ) as client:
        response = await client.post("/graphql", json={"query": f'{{ item(id: "X") {{ {nested} }} }}'})
    assert response.status_code == 200
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
