"""The app over HTTP (httpx's ASGI transport) on a fresh embedded store, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from servers import ADMIN_KEY, AUTH
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings


@pytest_asyncio.fixture
async def app(tmp_path: pytest.TempPathFactory) -> AsyncIterator[Starlette]:
    app = create_app(Settings(admin_key=ADMIN_KEY, data_dir=tmp_path / "data", demo=False, epcis_max_events=50))
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(headers=AUTH, transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
