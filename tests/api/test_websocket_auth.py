"""Open WebSockets lose access with their credential (api/wsauth.py), over real sockets on uvicorn:
a key revoked through `revokeApiKey` closes its sockets at once with 4403 "API key revoked", and
nothing recorded after the revocation reaches them (shared and unshared subscriptions alike);
an API key or a JWT reaching its expiry closes its sockets then; an organization changed has its
sockets checked again; another key's socket stays open throughout. A refused `connection_init`
is closed with 4403 and the reason."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from servers import ADMIN_KEY, Issuer, graphql_data, oidc_issuer, uvicorn_in_loop
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tracegraph.api.fanout import SharedSubscriptions
from tracegraph.api.wsauth import SocketSessions
from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDIENCE = "tracegraph-test"
SHARED = "subscription { eventRecorded(type: RECEIVE) { id } }"  # one execution per (organization, role)
RESUMING = "subscription($a: String!) { eventRecorded(after: $a, type: RECEIVE) { id } }"  # one per subscriber
BATCH = "mutation($input: [EventInput!]!) { recordEvents(input: $input) { events { id } errors { message } } }"
KEY = """mutation($o: ID!, $r: Role!, $e: DateTime) { createApiKey(organizationId: $o, role: $r, expiresAt: $e)
    { key apiKey { id } errors { message } } }"""
REVOKE = "mutation($i: ID!) { revokeApiKey(id: $i) { apiKey { revoked } errors { message } } }"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with oidc_issuer() as issuer:
        yield issuer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> AsyncIterator[tuple[str, Any]]:
    # No leeway: a token's sockets close at its `exp` exactly.
    settings = Settings(
        admin_key=ADMIN_KEY,
        data_dir=tmp_path_factory.mktemp("data"),
        demo=False,
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        oidc_leeway=0.0,
    )
    async with uvicorn_in_loop(settings) as served:
        # No periodic check here (tests/unit/test_socket_sessions.py has it): each close below
        # comes from what it tests.
        sessions_of(served[1]).sweep_seconds = 3600
        yield served


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def org(served: tuple[str, Any]) -> dict[str, Any]:
    """An organization, with an OPERATOR key that records its events."""
    base, _ = served
    org_id = (await post(base, 'mutation { createOrganization(name: "Sockets Inc") { organization { id } } }'))[
        "createOrganization"
    ]["organization"]["id"]
    operator = await new_key(base, org_id, "OPERATOR")
    auth = {"Authorization": f"Bearer {operator['key']}"}
    for kind in ("Material", "Location"):
        answer = await post(
            base,
            f'mutation {{ create{kind}(input: {{id: "WS-{kind}", name: "x"}}) {{ errors {{ message }} }} }}',
            auth=auth,
        )
        assert answer[f"create{kind}"]["errors"] == []
    return {"id": org_id, "operator": auth}


post = graphql_data


async def new_key(base: str, org_id: str, role: str = "VIEWER", expires_at: datetime | None = None) -> dict[str, Any]:
    answer = (await post(base, KEY, {"o": org_id, "r": role, "e": expires_at.isoformat() if expires_at else None}))[
        "createApiKey"
    ]
    assert answer["errors"] == []
    return {"key": answer["key"], "id": answer["apiKey"]["id"]}


async def record(base: str, org: dict[str, Any], lot: str) -> str:
    event = {
        "type": "RECEIVE",
        "locationId": "WS-Location",
        "newItems": [{"id": lot, "materialId": "WS-Material"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }
    answer = (await post(base, BATCH, {"input": [event]}, org["operator"]))["recordEvents"]
    assert answer["errors"] == []
    return str(answer["events"][0]["id"])


def sessions_of(app: Any) -> SocketSessions:
    return app.state.graphql.sessions  # type: ignore[no-any-return]


def shared_of(app: Any) -> SharedSubscriptions:
    route = next(r for r in app.routes if isinstance(r, WebSocketRoute) and r.path == "/graphql")
    return route.app.schema  # type: ignore[no-any-return]


def members(app: Any) -> int:
    return sum(len(s.members) for s in shared_of(app)._shared.values())


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def open_ws(base: str) -> Any:
    return connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])


async def init(ws: ClientConnection, token: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["type"] == "connection_ack"


async def subscribe(
    ws: ClientConnection, op: str, query: str = SHARED, variables: dict[str, Any] | None = None
) -> None:
    await ws.send(
        json.dumps({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
    )


async def next_id(ws: ClientConnection) -> tuple[str, str]:
    """The operation id and event id of the next message (a `next`)."""
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    return message["id"], message["payload"]["data"]["eventRecorded"]["id"]


async def until_closed(ws: ClientConnection, timeout: float = 5.0) -> list[dict[str, Any]]:
    """What the socket still receives until the server closes it."""
    got: list[dict[str, Any]] = []
    with pytest.raises(ConnectionClosed):
        while True:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout)))
    return got


async def quiet(ws: ClientConnection, seconds: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout=seconds)


async def test_a_revoked_keys_sockets_are_closed_at_once_and_get_nothing_recorded_after(
    served: tuple[str, Any], org: dict[str, Any]
) -> None:
    base, app = served
    revoked, kept = await new_key(base, org["id"]), await new_key(base, org["id"])
    first = await record(base, org, "REV-0")
    async with open_ws(base) as shared, open_ws(base) as resuming, open_ws(base) as other:
        for ws, key in ((shared, revoked), (resuming, revoked), (other, kept)):
            await init(ws, key["key"])
        assert len(sessions_of(app)) == 3
        subscribers = app.state.bus.subscriber_count
        await subscribe(shared, "s")  # shares one execution with `other` (same organization and role)
        await subscribe(other, "o")
        await subscribe(resuming, "r", RESUMING, {"a": first})  # runs on its own
        await until(lambda: members(app) == 2 and app.state.bus.subscriber_count == subscribers + 2)
        assert shared_of(app).shared_count == 1

        before = await record(base, org, "REV-1")  # all three get it
        assert await next_id(shared) == ("s", before)
        assert await next_id(resuming) == ("r", before)
        assert await next_id(other) == ("o", before)

        answer = (await post(base, REVOKE, {"i": revoked["id"]}))["revokeApiKey"]
        assert answer == {"apiKey": {"revoked": True}, "errors": []}
        after = await record(base, org, "REV-2")  # recorded once the revocation was answered

        for ws in (shared, resuming):
            assert await until_closed(ws) == []  # not REV-2, nor anything else
            assert (ws.close_code, ws.close_reason) == (4403, "API key revoked")
        assert await next_id(other) == ("o", after)  # the other key's socket goes on
        await until(lambda: members(app) == 1 and app.state.bus.subscriber_count == subscribers + 1)
        assert len(sessions_of(app)) == 1
        await quiet(other)
        # A new connection with the revoked key is refused, with the reason.
        async with open_ws(base) as again:
            await again.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {revoked['key']}"}})
            )
            assert await until_closed(again) == []
            assert (again.close_code, again.close_reason) == (4403, "the API key was revoked")
        await other.send(json.dumps({"id": "o", "type": "complete"}))
    await until(lambda: len(sessions_of(app)) == 0 and shared_of(app).shared_count == 0)


async def test_an_api_key_reaching_its_expiry_closes_its_sockets_then(
    served: tuple[str, Any], org: dict[str, Any]
) -> None:
    base, app = served
    expiry = datetime.now(UTC) + timedelta(seconds=2)
    expiring, kept = await new_key(base, org["id"], expires_at=expiry), await new_key(base, org["id"])
    async with open_ws(base) as doomed, open_ws(base) as other:
        await init(doomed, expiring["key"])
        await init(other, kept["key"])
        await subscribe(doomed, "d")
        await subscribe(other, "o")
        await until(lambda: members(app) == 2)
        assert await until_closed(doomed, timeout=10) == []
        closed = datetime.now(UTC)
        assert (doomed.close_code, doomed.close_reason) == (4403, "API key expired")
        assert expiry <= closed < expiry + timedelta(seconds=1), (expiry, closed)
        lot = await record(base, org, "EXP-1")
        assert await next_id(other) == ("o", lot)  # the key without an expiry stays
        await until(lambda: members(app) == 1)


async def test_a_jwt_reaching_its_exp_closes_its_sockets_then(
    served: tuple[str, Any], org: dict[str, Any], issuer: Issuer
) -> None:
    base, app = served
    exp = int(time.time()) + 3
    async with open_ws(base) as doomed, open_ws(base) as other:
        await init(doomed, issuer.token(org=org["id"], role="VIEWER", sub="short", exp=exp))
        await init(other, issuer.token(org=org["id"], role="VIEWER", sub="long"))  # exp in 10 minutes
        await subscribe(doomed, "d")
        await subscribe(other, "o")
        await until(lambda: members(app) == 2)
        assert await until_closed(doomed, timeout=10) == []
        closed = time.time()
        assert (doomed.close_code, doomed.close_reason) == (4403, "token expired")
        assert exp <= closed < exp + 1, (exp, closed)
        lot = await record(base, org, "JWT-1")
        assert await next_id(other) == ("o", lot)
        await until(lambda: members(app) == 1)


async def test_an_organization_changed_has_its_sockets_checked_again(
    served: tuple[str, Any], org: dict[str, Any]
) -> None:
    base, app = served
    lost, kept = await new_key(base, org["id"]), await new_key(base, org["id"])
    async with open_ws(base) as doomed, open_ws(base) as other:
        await init(doomed, lost["key"])
        await init(other, kept["key"])
        await subscribe(doomed, "d")
        await subscribe(other, "o")
        await until(lambda: members(app) == 2)
        # Revoked in the store without the message (as if it were lost): the socket stays open...
        assert await app.state.store.revoke_api_key(lost["id"])
        await quiet(doomed)
        # ... until the next change to its organization has it checked again; a rename leaves the
        # other key's socket alone.
        rename = 'mutation($i: ID!) { renameOrganization(id: $i, name: "Sockets SA") { errors { message } } }'
        assert (await post(base, rename, {"i": org["id"]}))["renameOrganization"]["errors"] == []
        assert await until_closed(doomed, timeout=1) == []  # at once, not by the 5 s sweep
        assert (doomed.close_code, doomed.close_reason) == (4403, "API key revoked")
        lot = await record(base, org, "ORG-1")
        assert await next_id(other) == ("o", lot)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tg_wrong", "invalid API key"),
        ("", "missing bearer token: send Authorization: Bearer <key>"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "the token has no 'iss' claim"),
    ],
)
async def test_a_refused_connection_init_is_closed_with_the_reason(
    served: tuple[str, Any], token: str, reason: str
) -> None:
    base, app = served
    async with open_ws(base) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert await until_closed(ws) == []
        assert ws.close_code == 4403
        assert (ws.close_reason or "").startswith(reason), ws.close_reason
    assert len(sessions_of(app)) == 0


async def test_a_long_reason_is_cut_to_fit_the_close_frame(served: tuple[str, Any], issuer: Issuer) -> None:
    base, _ = served
    async with open_ws(base) as ws:
        token = issuer.token(org="x" * 80)  # "unknown organization 'xxx…' in the token's 'org' claim (…)"
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert await until_closed(ws) == []
        reason = ws.close_reason or ""
        assert ws.close_code == 4403 and reason.startswith("unknown organization 'xxx") and reason.endswith("…")
        assert len(reason.encode()) <= 123


async def test_a_key_revoking_itself_over_its_socket_is_closed_the_revocation_done_and_audited(
    served: tuple[str, Any], org: dict[str, Any]
) -> None:
    base, app = served
    admin = await new_key(base, org["id"], "ADMIN")
    async with open_ws(base) as ws:
        await init(ws, admin["key"])
        await subscribe(ws, "s")
        await until(lambda: members(app) >= 1)
        await subscribe(ws, "m", REVOKE, {"i": admin["id"]})  # the mutation, on the socket it closes
        got = await until_closed(ws)
        assert all(m["id"] == "m" for m in got), got  # at most its own answer, nothing of `s`
        assert (ws.close_code, ws.close_reason) == (4403, "API key revoked")
    async with httpx.AsyncClient(trust_env=False) as client:
        refused = await client.post(
            f"http://{base}/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Authorization": f"Bearer {admin['key']}"},
        )
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]
    log = await post(
        base,
        "query($o: ID) { auditLog(first: 500, organizationId: $o) { edges { node { action keyId } } } }",
        {"o": org["id"]},
    )
    assert {"action": "mutation:revokeApiKey", "keyId": admin["id"]} in [e["node"] for e in log["auditLog"]["edges"]]
    await until(lambda: len(sessions_of(app)) == 0)
