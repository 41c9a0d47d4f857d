"""Open WebSockets by key (api/wsauth.py), without sockets: a revoked key ends its sessions at
once, an expiry ends them on time, an organization change or a change that arrived while the key
was checked has them checked again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tracegraph.api.wsauth import SocketSessions, close_reason
from tracegraph.domain.auth import ApiKey, Principal, Role, key_hash
from tracegraph.services.auth import Auth


class Store:
    def __init__(self, *keys: ApiKey) -> None:
        self.keys = {k.id: k for k in keys}
        self.organizations = {"acme"}
        self.reads = 0

    async def api_key_by_hash(self, digest: str) -> ApiKey | None:
        return next((k for k in self.keys.values() if k.hash == digest), None)

    async def api_key(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        self.reads += 1
        return [k for k in self.keys.values() if k.organization_id == organization_id]

    async def get(self, kind: str, ids: list[str]) -> dict[str, Any]:
        assert kind == "Organization"
        return {i: object() for i in ids if i in self.organizations}

    def revoke(self, key_id: str) -> None:
        self.keys[key_id] = self.keys[key_id].model_copy(update={"revoked": True})


class Handler:
    """What SocketSessions uses of a graphql-transport-ws handler."""

    def __init__(self) -> None:
        self.session: Any = None
        self.ended: tuple[int, str] | None = None

    def end(self, code: int, reason: str) -> None:
        self.session = None
        self.ended = (code, reason)


def key(n: int, expires_at: datetime | None = None) -> ApiKey:
    return ApiKey(
        id=f"key-{n}",
        hash=key_hash(f"tg_{n}"),
        organization_id="acme",
        role=Role.VIEWER,
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )


def opened(sessions: SocketSessions, principal: Principal, generation: int | None = None) -> Handler:
    handler = Handler()
    handler.session = sessions.open(handler, principal, generation)  # type: ignore[arg-type]
    return handler


async def test_a_revoked_key_ends_its_sessions_at_once_and_no_other() -> None:
    auth = Auth(Store(key(1), key(2)))  # type: ignore[arg-type]
    sessions = SocketSessions(auth)
    one, two = await auth.identify("tg_1"), await auth.identify("tg_2")
    a, b, c = opened(sessions, one), opened(sessions, one), opened(sessions, two)
    assert len(sessions) == 3
    sessions.changed("key", "key-1")  # synchronously: nothing more reaches them
    assert a.ended == b.ended == (4403, "API key revoked") and c.ended is None
    assert len(sessions) == 1
    sessions.changed("key", "key-1")  # again (the message back from Redis): nothing happens twice
    assert a.ended == (4403, "API key revoked")


async def test_an_expiry_ends_the_session_on_time_and_a_closed_one_not_at_all() -> None:
    auth = Auth(
        Store(
            key(1, datetime.now(UTC) + timedelta(seconds=0.1)),  # type: ignore[arg-type]
            key(2, datetime.now(UTC) + timedelta(seconds=0.1)),
        )
    )
    sessions = SocketSessions(auth)
    soon = opened(sessions, await auth.identify("tg_1"))
    gone = opened(sessions, await auth.identify("tg_2"))
    sessions.remove(gone.session)  # its socket closed first: its timer goes with it
    gone.session = None
    await asyncio.sleep(0.05)
    assert soon.ended is None
    await asyncio.sleep(0.1)
    assert soon.ended == (4403, "API key expired") and gone.ended is None
    assert len(sessions) == 0
    jwt = Principal("acme", Role.VIEWER, key_id="jwt:https://id#u", expires_at=datetime.now(UTC))
    late = opened(sessions, jwt)  # already past: ended on the next turn
    await asyncio.sleep(0.01)
    assert late.ended == (4403, "token expired")


async def test_an_organization_change_or_a_change_during_the_check_has_sessions_checked_again() -> None:
    store = Store(key(1), key(2))
    auth = Auth(store)  # type: ignore[arg-type]
    sessions = SocketSessions(auth)
    one, two = await auth.identify("tg_1"), await auth.identify("tg_2")
    a, b = opened(sessions, one), opened(sessions, two)
    store.revoke("key-1")  # its message lost
    sessions.changed("organization", "acme")
    await asyncio.sleep(0.01)
    assert a.ended == (4403, "API key revoked") and b.ended is None

    # A socket acknowledged after a change that arrived while its key was being checked.
    store.keys["key-3"] = key(3)
    generation = sessions.generation()
    three = await auth.identify("tg_3")
    store.revoke("key-3")
    auth.forget("key", "key-3")  # the change arrives before the socket is tracked
    c = opened(sessions, three, generation)
    d = opened(sessions, two, sessions.generation())  # checked after the change: not again
    await asyncio.sleep(0.01)
    assert c.ended == (4403, "API key revoked") and d.ended is None


def test_a_close_reason_fits_a_close_frame() -> None:
    assert close_reason("API key revoked") == "API key revoked"
    cut = close_reason("é" * 100)
    assert len(cut.encode()) <= 123 and cut.endswith("…")


async def test_every_open_socket_is_checked_again_periodically_one_read_per_organization() -> None:
    store = Store(key(1), key(2), key(3))
    auth = Auth(store)  # type: ignore[arg-type]
    sessions = SocketSessions(auth, sweep_seconds=0.05)
    handlers = [opened(sessions, await auth.identify(f"tg_{n}")) for n in (1, 2, 3)]
    jwt = opened(sessions, Principal("acme", Role.VIEWER, key_id="jwt:https://id#u"))
    store.revoke("key-2")  # on another instance, without Redis: no message
    store.reads = 0
    await asyncio.sleep(0.08)
    assert [h.ended for h in handlers] == [None, (4403, "API key revoked"), None] and jwt.ended is None
    assert store.reads == 1  # the organization's keys, once for its three sockets
    store.organizations.clear()  # the token's organization is gone
    await asyncio.sleep(0.06)
    assert jwt.ended == (4403, "the token's organization no longer exists")
    await sessions.stop()
    assert len(sessions) == 0
