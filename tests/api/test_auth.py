"""Authentication on every door, organizations, roles and keys through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from starlette.applications import Starlette

from tracegraph.app import create_app
from tracegraph.config import Settings
from tracegraph.domain.auth import ApiKey, Role, key_hash, new_key, new_key_id

pytestmark = pytest.mark.asyncio(loop_scope="module")

ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id name }} {ERRORS} }} }}"
KEY = (
    f"mutation($o: ID!, $r: Role!, $e: DateTime) {{ createApiKey(organizationId: $o, role: $r, expiresAt: $e) "
    f"{{ key apiKey {{ id role organizationId }} {ERRORS} }} }}"
)
MATERIAL = f'mutation {{ createMaterial(input: {{id: "M-%s", name: "M"}}) {{ material {{ id }} {ERRORS} }} }}'


def anonymous(app: Starlette, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)


async def as_key(app: Starlette, key: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    async with anonymous(app, key) as c:
        return await c.post("/graphql", json={"query": query, "variables": variables or {}})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def orgs(api: Api) -> dict[str, str]:
    out = {}
    for name in ("Acme Foods", "Beta Mills"):
        payload = (await api.data(ORG, {"n": name}))["createOrganization"]
        assert payload["errors"] == []
        out[name.split()[0].lower()] = payload["organization"]["id"]
    return out


async def key_of(api: Api, org: str, role: str, expires: str | None = None) -> str:
    payload = (await api.data(KEY, {"o": org, "r": role, "e": expires}))["createApiKey"]
    assert payload["errors"] == [], payload
    assert payload["apiKey"]["role"] == role and payload["apiKey"]["organizationId"] == org
    return str(payload["key"])


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/graphql"),
        ("GET", "/graphql?query={__typename}"),
        ("GET", "/epcis/events"),
        ("POST", "/epcis/capture"),
        ("GET", "/epcis/capture/x"),
        ("GET", "/exports/trace?id=X&direction=FORWARD"),
        ("GET", "/exports/fsma?product=X"),
        ("GET", "/epcis/recalls/X"),
        ("GET", "/epcis/trace?id=X&direction=FORWARD"),
    ],
)
@pytest.mark.parametrize("key", [None, "tg_wrong"])
async def test_every_door_but_health_wants_a_key(app: Starlette, method: str, path: str, key: str | None) -> None:
    async with anonymous(app, key) as c:
        r = await c.request(method, path, json={"query": "{ __typename }"} if method == "POST" else None)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "error" in r.json()
        assert (await c.get("/health")).status_code == 200


async def test_pages_without_data_stay_open(app: Starlette) -> None:
    async with anonymous(app) as c:
        assert (await c.get("/dashboard")).status_code == 200
        assert (await c.get("/static/dashboard.js")).status_code == 200
        page = await c.get("/recall")  # the recall workbench: its script asks /graphql with the key
        assert page.status_code == 200 and "recall workbench" in page.text
        assert (await c.get("/static/recall.js")).status_code == 200
        assert (await c.post("/recall")).status_code in (401, 405)  # only GET is open
        assert (await c.get("/graphql", headers={"Accept": "text/html"})).status_code == 200


async def test_a_key_of_each_role_does_what_its_role_allows(app: Starlette, api: Api, orgs: dict[str, str]) -> None:
    acme = orgs["acme"]
    keys = {role: await key_of(api, acme, role) for role in ("ADMIN", "QUALITY", "OPERATOR", "PARTNER", "VIEWER")}
    for role, key in keys.items():
        r = await as_key(app, key, "{ viewer { organizationId role admin } }")
        assert r.json()["data"]["viewer"] == {"organizationId": acme, "role": role, "admin": False}
        payload = (await as_key(app, key, MATERIAL % role)).json()["data"]["createMaterial"]
        allowed = role in ("ADMIN", "OPERATOR")
        assert (payload["errors"] == []) is allowed, (role, payload)
        if not allowed:
            assert payload["material"] is None and payload["errors"][0]["code"] == "FORBIDDEN"
    # Exports need EXPORT (ADMIN, QUALITY): 403 for the others (the item is unknown: 404).
    for role, key in keys.items():
        async with anonymous(app, key) as c:
            r = await c.get("/exports/trace", params={"id": "NOPE", "direction": "FORWARD"})
        assert r.status_code == (404 if role in ("ADMIN", "QUALITY") else 403), (role, r.status_code)
    # Only the server's admin key creates organizations.
    payload = (await as_key(app, keys["ADMIN"], ORG, {"n": "Sneaky"})).json()["data"]["createOrganization"]
    assert payload["organization"] is None and payload["errors"][0]["code"] == "FORBIDDEN"


async def test_an_admin_manages_the_keys_of_its_own_organization_only(
    app: Starlette, api: Api, orgs: dict[str, str]
) -> None:
    acme, beta = orgs["acme"], orgs["beta"]
    admin = await key_of(api, acme, "ADMIN")
    r = await as_key(app, admin, KEY, {"o": acme, "r": "VIEWER"})
    assert r.json()["data"]["createApiKey"]["key"].startswith("tg_")
    r = await as_key(app, admin, KEY, {"o": beta, "r": "ADMIN"})
    payload = r.json()["data"]["createApiKey"]
    assert payload["key"] is None and payload["errors"][0]["code"] == "FORBIDDEN"
    listing = "query($o: ID!) { apiKeys(organizationId: $o) { id role revoked createdAt } }"
    own = (await as_key(app, admin, listing, {"o": acme})).json()
    assert own["data"]["apiKeys"] and "key" not in own["data"]["apiKeys"][0]
    other = (await as_key(app, admin, listing, {"o": beta})).json()
    assert other["data"] is None and other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rename = f"mutation($i: ID!, $n: String!) {{ renameOrganization(id: $i, name: $n) {{ organization {{ name }} {ERRORS} }} }}"
    assert (await as_key(app, admin, rename, {"i": acme, "n": "Acme Foods SA"})).json()["data"]["renameOrganization"][
        "organization"
    ] == {"name": "Acme Foods SA"}
    assert (await as_key(app, admin, rename, {"i": beta, "n": "Mine"})).json()["data"]["renameOrganization"]["errors"][
        0
    ]["code"] == "FORBIDDEN"


async def test_a_revoked_key_is_refused_at_once(app: Starlette, api: Api, orgs: dict[str, str]) -> None:
    key = await key_of(api, orgs["acme"], "VIEWER")
    assert (await as_key(app, key, "{ __typename }")).status_code == 200  # now cached
    ids = (await api.data("query($o: ID!) { apiKeys(organizationId: $o) { id } }", {"o": orgs["acme"]}))["apiKeys"]
    mine = [k["id"] for k in ids if (await app.state.store.api_key(k["id"])).hash == key_hash(key)][0]
    payload = (
        await api.data(f"mutation($i: ID!) {{ revokeApiKey(id: $i) {{ apiKey {{ revoked }} {ERRORS} }} }}", {"i": mine})
    )["revokeApiKey"]
    assert payload == {"apiKey": {"revoked": True}, "errors": []}
    r = await as_key(app, key, "{ __typename }")
    assert r.status_code == 401 and "revoked" in r.json()["error"]


async def test_an_expired_key_is_refused(app: Starlette, api: Api, orgs: dict[str, str]) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    payload = (await api.data(KEY, {"o": orgs["acme"], "r": "VIEWER", "e": past}))["createApiKey"]
    assert payload["key"] is None and payload["errors"][0]["field"] == "expiresAt"
    plain = new_key()
    await app.state.store.save_api_key(
        ApiKey(
            id=new_key_id(),
            hash=key_hash(plain),
            organization_id=orgs["acme"],
            role=Role.VIEWER,
            created_at=datetime.now(UTC) - timedelta(days=2),
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    assert (await as_key(app, plain, "{ __typename }")).status_code == 401
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await as_key(app, await key_of(api, orgs["acme"], "VIEWER", soon), "{ __typename }")).status_code == 200


async def test_the_first_start_prints_an_admin_key_once_and_keeps_its_hash(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path_factory.mktemp("first")
    app = create_app(Settings(data_dir=data, demo=False, admin_key=None))
    async with app.router.lifespan_context(app):
        printed = capsys.readouterr().out
        key = printed.split()[-1]
        assert key.startswith("tg_")
        r = await as_key(app, key, "{ viewer { admin } }")
        assert r.json()["data"]["viewer"]["admin"] is True
        stored = await app.state.store.api_keys(None)
        assert [k.hash for k in stored] == [key_hash(key)]
    assert key not in "".join(
        p.read_text(errors="ignore") for p in data.rglob("*") if p.is_file() and p.stat().st_size < 10_000_000
    )
    again = create_app(Settings(data_dir=data, demo=False, admin_key=None))
    async with again.router.lifespan_context(again):
        assert "admin key" not in capsys.readouterr().out
        assert (await as_key(again, key, "{ __typename }")).status_code == 200
