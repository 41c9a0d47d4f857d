"""JWT bearer tokens from an OpenID Connect issuer (a real one on 127.0.0.1: servers.oidc_issuer),
over HTTP GraphQL and over the WebSocket; every refusal a 401 saying what is wrong."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from api_kit import ERRORS, Api
from pydantic import ValidationError
from servers import ADMIN_KEY, AUTH, Issuer, free_port, oidc_issuer, uvicorn_in_loop
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from tracegraph.app import create_app
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDIENCE = "tracegraph-test"
VIEWER = "{ viewer { organizationId role admin } }"
ORG = f"mutation($n: String!) {{ createOrganization(name: $n) {{ organization {{ id }} {ERRORS} }} }}"


def oidc_settings(data: Any, issuer_url: str, **more: Any) -> Settings:
    return Settings(
        data_dir=data,
        demo=False,
        admin_key=ADMIN_KEY,
        oidc_issuer=issuer_url,
        oidc_audience=AUDIENCE,
        oidc_refresh_interval=0.0,
        **more,
    )


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with oidc_issuer() as issuer:
        yield issuer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> AsyncIterator[Starlette]:
    app = create_app(oidc_settings(tmp_path_factory.mktemp("data"), issuer.url))
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def org(api: Api) -> str:
    payload = (await api.data(ORG, {"n": "Acme Foods"}))["createOrganization"]
    assert payload["errors"] == []
    return str(payload["organization"]["id"])


async def call(app: Starlette, token: str, query: str = VIEWER) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    ) as c:
        return await c.post("/graphql", json={"query": query})


async def test_a_token_of_the_issuer_names_organization_and_role(app: Starlette, issuer: Issuer, org: str) -> None:
    r = await call(app, issuer.token(org=org, role="OPERATOR"))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["viewer"] == {"organizationId": org, "role": "OPERATOR", "admin": False}
    # The role's rights hold: an OPERATOR records master data, a VIEWER does not.
    material = f'mutation {{ createMaterial(input: {{id: "M-JWT", name: "M"}}) {{ material {{ id }} {ERRORS} }} }}'
    assert (await call(app, issuer.token(org=org, role="OPERATOR"), material)).json()["data"]["createMaterial"][
        "errors"
    ] == []
    refused = (await call(app, issuer.token(org=org, role="viewer"), material)).json()["data"]["createMaterial"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    # Without a role claim: the default role, VIEWER.
    assert (await call(app, issuer.token(org=org))).json()["data"]["viewer"]["role"] == "VIEWER"


async def test_the_token_subject_is_the_key_id_in_the_audit_log(app: Starlette, issuer: Issuer, org: str) -> None:
    token = issuer.token(org=org, role="ADMIN", sub="alice@acme")
    material = f'mutation {{ createMaterial(input: {{id: "M-AUDIT", name: "M"}}) {{ material {{ id }} {ERRORS} }} }}'
    assert (await call(app, token, material)).json()["data"]["createMaterial"]["errors"] == []
    log = (await call(app, token, "{ auditLog(first: 50) { edges { node { keyId organizationId action } } } }")).json()
    entries = [e["node"] for e in log["data"]["auditLog"]["edges"]]
    assert {"keyId": f"jwt:{issuer.url}#alice@acme", "organizationId": org} in [
        {"keyId": e["keyId"], "organizationId": e["organizationId"]} for e in entries
    ]


def _refusals(issuer: Issuer, org: str) -> list[tuple[str, str, str]]:
    now = int(time.time())
    stranger = Issuer.new_key()
    return [
        ("expired", issuer.token(org=org, exp=now - 120, iat=now - 800), "the token has expired"),
        ("wrong audience", issuer.token(org=org, aud="someone-else"), "wrong audience"),
        ("unknown key id", issuer.token(org=org, kid="no-such-kid", key=stranger), "unknown key id 'no-such-kid'"),
        ("bad signature", issuer.token(org=org, key=stranger), "bad signature"),
        ("missing sub", issuer.token(org=org, sub=None), "the token has no 'sub' claim"),
        ("missing exp", issuer.token(org=org, exp=None), "the token has no 'exp' claim"),
        ("missing organization", issuer.token(), "no 'org' claim"),
        ("unknown organization", issuer.token(org="nope-00000000"), "unknown organization 'nope-00000000'"),
        ("unknown role", issuer.token(org=org, role="SUPERUSER"), "names no role"),
        ("wrong issuer", issuer.token(org=org, iss="https://evil.example"), "wrong issuer"),
        ("not yet valid", issuer.token(org=org, nbf=now + 600), "not valid yet"),
        (
            "symmetric algorithm",
            jwt.encode(
                {"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "org": org, "exp": now + 60, "iat": now},
                "secret-of-32-bytes-or-more-0123456",
                algorithm="HS256",
                headers={"kid": issuer.kid},
            ),
            "algorithm 'HS256' is not allowed",
        ),
        (
            "no algorithm",
            jwt.encode({"iss": issuer.url, "aud": AUDIENCE, "org": org}, None, algorithm="none"),
            "is not allowed",
        ),
        ("malformed", "eyJhbGciOiJSUzI1NiJ9.bm9wZQ.c2ln", "malformed JWT"),
    ]


async def test_every_failure_is_a_401_saying_what_is_wrong(app: Starlette, issuer: Issuer, org: str) -> None:
    for case, token, expected in _refusals(issuer, org):
        r = await call(app, token)
        assert r.status_code == 401, (case, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        message = r.json()["error"]
        assert expected in message, (case, message)
        assert token not in message


async def test_a_small_clock_skew_is_allowed(app: Starlette, issuer: Issuer, org: str) -> None:
    now = int(time.time())
    assert (await call(app, issuer.token(org=org, exp=now - 5, iat=now - 600))).status_code == 200
    assert (await call(app, issuer.token(org=org, iat=now + 5, nbf=now + 5))).status_code == 200


async def test_a_rotated_key_is_picked_up(app: Starlette, issuer: Issuer, org: str) -> None:
    old = issuer.token(org=org)
    assert (await call(app, old)).status_code == 200
    fetches = issuer.fetches
    issuer.rotate()
    new = issuer.token(org=org, role="QUALITY")
    r = await call(app, new)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["viewer"]["role"] == "QUALITY"
    assert issuer.fetches > fetches
    # The retired key is gone from the JWKS: its tokens are refused.
    r = await call(app, old)
    assert r.status_code == 401 and "unknown key id" in r.json()["error"]


async def test_a_new_organization_is_accepted_at_once(app: Starlette, api: Api, issuer: Issuer) -> None:
    payload = (await api.data(ORG, {"n": "Late Comers"}))["createOrganization"]
    new = payload["organization"]["id"]
    r = await call(app, issuer.token(org=new, role="ADMIN"))
    assert r.json()["data"]["viewer"] == {"organizationId": new, "role": "ADMIN", "admin": False}
    # An organization id is what the claim holds, not its name.
    r = await call(app, issuer.token(org="Late Comers"))
    assert r.status_code == 401 and "unknown organization" in r.json()["error"]


async def test_api_keys_still_work_beside_tokens(app: Starlette, api: Api, org: str) -> None:
    key = (
        await api.data(
            f"mutation($o: ID!) {{ createApiKey(organizationId: $o, role: VIEWER) {{ key {ERRORS} }} }}", {"o": org}
        )
    )["createApiKey"]["key"]
    assert (await call(app, key)).json()["data"]["viewer"]["role"] == "VIEWER"
    assert (await call(app, ADMIN_KEY)).json()["data"]["viewer"]["admin"] is True


# -- the issuer unreachable or slow: a 401, never a 500, the event loop free ------------------


async def test_an_unreachable_issuer_gives_a_401(tmp_path: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(oidc_settings(tmp_path, dead, oidc_timeout=1.0))
    async with app.router.lifespan_context(app):
        token = Issuer(dead).token(org="acme")
        r = await call(app, token)
        assert r.status_code == 401, r.text
        message = r.json()["error"]
        assert "signing keys could not be fetched" in message and "could not be fetched (ConnectError)" in message
        # The admin key is unaffected.
        assert (await call(app, ADMIN_KEY)).status_code == 200


async def test_a_slow_issuer_times_out_without_blocking_other_requests(tmp_path: Any) -> None:
    with oidc_issuer() as slow:
        slow.delay = 3.0
        app = create_app(oidc_settings(tmp_path, slow.url, oidc_timeout=0.5))
        async with app.router.lifespan_context(app):
            started = time.monotonic()
            pending = asyncio.create_task(call(app, slow.token(org="acme")))
            await asyncio.sleep(0.05)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
                assert (await c.get("/health")).status_code == 200
            assert not pending.done()  # /health answered while the fetch was waiting
            r = await pending
            assert r.status_code == 401 and "did not answer within 0.5 s" in r.json()["error"], r.text
            assert time.monotonic() - started < 2.5


async def test_a_jwt_without_a_configured_issuer_is_told_so(tmp_path: Any, issuer: Issuer) -> None:
    app = create_app(Settings(data_dir=tmp_path, demo=False, admin_key=ADMIN_KEY))
    async with app.router.lifespan_context(app):
        r = await call(app, issuer.token(org="acme"))
        assert r.status_code == 401 and "no OpenID Connect issuer is configured" in r.json()["error"]


@pytest.mark.parametrize(
    "settings,wrong",
    [
        ({"oidc_issuer": "https://id.example"}, "TRACEGRAPH_OIDC_AUDIENCE is required"),
        ({"oidc_issuer": "https://id.example", "oidc_audience": "a", "oidc_algorithms": "RS256,HS256"}, "HS256"),
        ({"oidc_issuer": "https://id.example", "oidc_audience": "a", "oidc_default_role": "ROOT"}, "ROOT"),
    ],
)
async def test_oidc_settings_are_checked_at_start(settings: dict[str, str], wrong: str) -> None:
    with pytest.raises(ValidationError, match=wrong):
        Settings(**settings)


# -- the WebSocket: connection_init ------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> AsyncIterator[tuple[str, str]]:
    async with uvicorn_in_loop(oidc_settings(tmp_path_factory.mktemp("ws"), issuer.url)) as (base, _):
        async with httpx.AsyncClient(headers=AUTH, trust_env=False) as client:
            r = await client.post(f"http://{base}/graphql", json={"query": ORG, "variables": {"n": "Socket Co"}})
        yield base, r.json()["data"]["createOrganization"]["organization"]["id"]


async def test_a_websocket_authenticates_with_a_token(served: tuple[str, str], issuer: Issuer) -> None:
    base, org = served
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {issuer.token(org=org, role='PARTNER')}"},
                }
            )
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert message["payload"]["data"]["viewer"] == {"organizationId": org, "role": "PARTNER", "admin": False}


@pytest.mark.parametrize("which", ["expired", "unknown organization", "wrong audience"])
async def test_a_websocket_with_a_refused_token_is_closed(served: tuple[str, str], issuer: Issuer, which: str) -> None:
    base, org = served
    token = {case: token for case, token, _ in _refusals(issuer, org)}[which]
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        with pytest.raises(Exception):  # noqa: B017 - closed
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert ws.close_code == 4403


# -- the verifier alone: one fetch for many waiting requests, refetches rate-limited ---------


async def test_many_requests_at_once_share_one_fetch_and_refetches_are_rate_limited() -> None:
    from tracegraph.oidc import OidcConfig, OidcVerifier

    with oidc_issuer() as iss:
        iss.delay = 0.2
        verifier = OidcVerifier(OidcConfig(iss.url, (AUDIENCE,), refresh_interval=60.0))
        try:
            claims = await asyncio.gather(*[verifier.verify(iss.token(org="o", sub=f"u{n}")) for n in range(20)])
            assert [c["sub"] for c in claims] == [f"u{n}" for n in range(20)]
            assert iss.fetches == 1
            stranger = Issuer.new_key()
            for n in range(10):  # tokens naming unknown key ids: no more fetches within refresh_interval
                with pytest.raises(Exception, match="unknown key id"):
                    await verifier.verify(iss.token(org="o", kid=f"forged-{n}", key=stranger))
            assert iss.fetches == 1
        finally:
            await verifier.aclose()
