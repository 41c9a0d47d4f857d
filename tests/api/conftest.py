"""The app over HTTP (httpx's ASGI transport), one per test module and store: on a fresh
embedded store, and on the session's real Neo4j (tests/conftest.py), its graph wiped.

Test modules here mark their tests `pytest.mark.asyncio(loop_scope="module")`, so they share
the module's event loop with the `app` and `api` fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from api_kit import Api
from servers import ADMIN_KEY, AUTH
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["ladybug", "neo4j"])
async def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    neo4j: dict[str, str] = {}
    if request.param == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        server.wipe()
        neo4j = {"neo4j_uri": server.uri, "neo4j_user": server.user, "neo4j_password": server.password}
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=False, admin_key=ADMIN_KEY, **neo4j))
    async with app.router.lifespan_context(app):  # httpx's ASGI transport runs no lifespan
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=AUTH) as c:
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
