"""Rate limits per key (TRACEGRAPH_RATE_LIMIT): over the limit, a 429 with a readable body and
Retry-After; other keys and the admin key are not held back. And introspection switched off."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from servers import ADMIN_KEY, AUTH
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings


@pytest_asyncio.fixture
async def limited(tmp_path) -> AsyncIterator[Starlette]:  # noqa: ANN001
    app = create_app(Settings(data_dir=tmp_path, demo=False, admin_key=ADMIN_KEY, rate_limit=2.0, rate_burst=3))
    async with app.router.lifespan_context(app):
        yield app


async def test_a_key_over_its_rate_gets_429(limited: Starlette) -> None:
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as admin:
        org = (
            await admin.post(
                "/graphql", json={"query": 'mutation { createOrganization(name: "A") { organization { id } } }'}
            )
        ).json()
        org_id = org["data"]["createOrganization"]["organization"]["id"]
        keys = []
        for _ in range(2):
            r = await admin.post(
                "/graphql",
                json={
                    "query": "mutation($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) { key } }",
                    "variables": {"o": org_id},
                },
            )
            keys.append(r.json()["data"]["createApiKey"]["key"])
        for _ in range(10):  # the admin key is not limited
            assert (await admin.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    statuses = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {keys[0]}"}
    ) as c:
        for _ in range(6):
            r = await c.post("/graphql", json={"query": "{ __typename }"})
            statuses.append(r.status_code)
        assert r.status_code == 429 and "rate" in r.json()["error"] and int(r.headers["retry-after"]) >= 1
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {keys[1]}"}
    ) as other:
        assert (await other.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


async def test_introspection_can_be_switched_off(tmp_path) -> None:  # noqa: ANN001
    app = create_app(Settings(data_dir=tmp_path, demo=False, admin_key=ADMIN_KEY, introspection=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=AUTH) as c,
    ):
        r = await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert r.status_code == 200 and "introspection" in r.json()["errors"][0]["message"].lower()
        assert (await c.post("/graphql", json={"query": "{ viewer { admin } }"})).json() == {
            "data": {"viewer": {"admin": True}}
        }


async def test_a_document_of_too_many_tokens_is_a_graphql_error(tmp_path) -> None:  # noqa: ANN001
    app = create_app(Settings(data_dir=tmp_path, demo=False, admin_key=ADMIN_KEY))
    query = "{ " + " ".join(f"a{n}: __typename" for n in range(4000)) + " }"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=AUTH) as c,
    ):
        r = await c.post("/graphql", json={"query": query})
        assert r.status_code == 200 and "token" in r.json()["errors"][0]["message"].lower(), r.text[:300]
