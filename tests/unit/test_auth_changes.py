"""Authentication changes on the bus, the auth cache, and principals from JWT claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from tracegraph.bus import AuthChanged, Bus, EventRecorded, decode, encode
from tracegraph.domain.auth import ApiKey, Role, Unauthenticated, key_hash, looks_like_jwt, principal_from_claims
from tracegraph.services.auth import Auth


def test_an_auth_change_crosses_the_wire_and_reaches_listeners_not_subscribers() -> None:
    message = AuthChanged("key", "key-123")
    assert decode(encode(message)) == message
    bus = Bus()
    heard: list[Any] = []
    bus.add_listener(heard.append)
    sub = bus.subscribe({"event", "stock", "status", "notice"})
    bus.deliver([message])
    assert heard == [message]
    assert sub.queue.empty()
    assert EventRecorded.topic != AuthChanged.topic


class SlowStore:
    """Just the key lookups of a store; `gate` holds a lookup until set."""

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.gate = asyncio.Event()
        self.gate.set()

    async def api_key_by_hash(self, digest: str) -> ApiKey | None:
        key = self.key  # read now, answered when the gate opens
        await self.gate.wait()
        return key if digest == key.hash else None

    async def api_key(self, key_id: str) -> ApiKey | None:
        return self.key if key_id == self.key.id else None

    async def api_keys(self, organization_id: str | None) -> list[ApiKey]:
        return [self.key] if organization_id == self.key.organization_id else []

    async def revoke_api_key(self, key_id: str) -> bool:
        self.key = self.key.model_copy(update={"revoked": True})
        return True


def _key() -> ApiKey:
    return ApiKey(
        id="key-1", hash=key_hash("tg_plain"), organization_id="acme", role=Role.VIEWER, created_at=datetime.now(UTC)
    )


async def test_a_change_announced_elsewhere_drops_the_cached_key() -> None:
    store = SlowStore(_key())
    auth = Auth(store)  # type: ignore[arg-type]
    assert (await auth.identify("tg_plain")).key_id == "key-1"  # cached now
    store.key = store.key.model_copy(update={"revoked": True})  # revoked by another instance
    assert (await auth.identify("tg_plain")).key_id == "key-1"  # still cached: nothing was announced
    auth.forget("key", "key-1")  # the announcement arrives
    with pytest.raises(Unauthenticated, match="revoked"):
        await auth.identify("tg_plain")


async def test_a_lookup_begun_before_a_change_is_not_cached() -> None:
    store = SlowStore(_key())
    auth = Auth(store)  # type: ignore[arg-type]
    store.gate.clear()
    pending = asyncio.create_task(auth.identify("tg_plain"))
    await asyncio.sleep(0.01)
    store.key = store.key.model_copy(update={"revoked": True})
    auth.forget("key", "key-1")  # arrives while the lookup read the key as it was
    store.gate.set()
    assert (await pending).key_id == "key-1"  # that request began before the revocation
    with pytest.raises(Unauthenticated, match="revoked"):
        await auth.identify("tg_plain")  # but nothing stale was kept


async def test_revoking_announces_the_change() -> None:
    store = SlowStore(_key())
    auth = Auth(store, admin_key="tg_admin")  # type: ignore[arg-type]
    heard: list[tuple[str, str]] = []

    async def listener(kind: str, id: str) -> None:
        heard.append((kind, id))

    auth.on_change(listener)
    await auth.identify("tg_plain")
    await auth.revoke_key(await auth.identify("tg_admin"), "key-1")
    assert heard == [("key", "key-1")]
    with pytest.raises(Unauthenticated, match="revoked"):
        await auth.identify("tg_plain")


def test_principal_from_claims() -> None:
    claims = {"iss": "https://id.example", "sub": "u1", "org": "acme", "role": "quality"}
    p = principal_from_claims(claims, "org", "role", Role.VIEWER)
    assert (p.organization_id, p.role, p.is_admin, p.key_id) == (
        "acme",
        Role.QUALITY,
        False,
        "jwt:https://id.example#u1",
    )
    assert principal_from_claims({**claims, "role": None}, "org", "role", Role.VIEWER).role is Role.VIEWER
    with pytest.raises(Unauthenticated, match="no 'role' claim"):
        principal_from_claims({**claims, "role": None}, "org", "role", None)
    with pytest.raises(Unauthenticated, match="names no role"):
        principal_from_claims({**claims, "role": "root"}, "org", "role", Role.VIEWER)
    with pytest.raises(Unauthenticated, match="names no role"):
        principal_from_claims({**claims, "role": ["ADMIN"]}, "org", "role", Role.VIEWER)
    with pytest.raises(Unauthenticated, match="not an organization id"):
        principal_from_claims({**claims, "org": ["acme"]}, "org", "role", Role.VIEWER)
    assert looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.e30.c2ln") and not looks_like_jwt("tg_abc.def.ghi")


def test_a_principal_expires_with_its_key_or_token() -> None:
    claims = {"iss": "https://id.example", "sub": "u1", "org": "acme", "exp": 2_000_000_000}
    assert principal_from_claims(claims, "org", "role", Role.VIEWER).expires_at == datetime.fromtimestamp(
        2_000_000_000, UTC
    )
    # With a leeway for clock skew: when the token stops being accepted.
    assert principal_from_claims(claims, "org", "role", Role.VIEWER, leeway=30).expires_at == datetime.fromtimestamp(
        2_000_000_030, UTC
    )
    assert principal_from_claims({**claims, "exp": None}, "org", "role", Role.VIEWER).expires_at is None
    assert principal_from_claims({**claims, "exp": 10**15}, "org", "role", Role.VIEWER).expires_at is None


async def test_an_api_key_principal_carries_its_expiry_and_is_refused_once_revoked_or_expired() -> None:
    expiry = datetime(2100, 1, 1, tzinfo=UTC)
    store = SlowStore(_key().model_copy(update={"expires_at": expiry}))
    auth = Auth(store)  # type: ignore[arg-type]
    principal = await auth.identify("tg_plain")
    assert principal.expires_at == expiry
    assert await auth.refusal(principal) is None
    store.key = store.key.model_copy(update={"expires_at": datetime(2000, 1, 1, tzinfo=UTC)})
    assert await auth.refusal(principal) == "API key expired"
    await store.revoke_api_key("key-1")
    assert await auth.refusal(principal) == "API key revoked"  # read from the store, not the cache
    assert await auth.refusal(principal.__class__("acme", Role.VIEWER, key_id="key-gone")) == "API key unknown"
    assert await auth.refusal(principal.__class__(None, Role.ADMIN, is_admin=True)) is None  # the server's key
