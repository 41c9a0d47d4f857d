"""API keys and organization renames: every store keeps only the hash, finds a key by it, lists
an organization's keys, revokes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracegraph.domain.auth import ApiKey, Role, key_hash, new_key, new_key_id
from tracegraph.domain.models import Organization
from tracegraph.store.port import GraphStore


def _key(org: str | None, role: Role = Role.OPERATOR, **extra: object) -> tuple[str, ApiKey]:
    plain = new_key()
    now = datetime.now(UTC).replace(microsecond=0)
    return plain, ApiKey(id=new_key_id(), hash=key_hash(plain), organization_id=org, role=role, created_at=now, **extra)  # type: ignore[arg-type]


async def test_a_key_is_found_by_its_hash_and_listed_with_its_organization(store: GraphStore) -> None:
    await store.create("Organization", Organization(id="ORG-A", name="A"))
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    plain, key = _key("ORG-A", Role.QUALITY, name="line scanner", expires_at=expires)
    _, other = _key("ORG-B")
    _, admin = _key(None, Role.ADMIN)
    for k in (key, other, admin):
        await store.save_api_key(k)
    assert await store.api_key_by_hash(key_hash(plain)) == key
    assert await store.api_key_by_hash(key_hash("tg_nothing")) is None
    assert await store.api_key(key.id) == key
    assert [k.id for k in await store.api_keys("ORG-A")] == [key.id]
    assert [k.id for k in await store.api_keys(None)] == [admin.id]
    assert (await store.api_key(admin.id)).organization_id is None  # type: ignore[union-attr]


async def test_a_revoked_key_stays_revoked(store: GraphStore) -> None:
    plain, key = _key("ORG-A", expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))
    await store.save_api_key(key)
    assert await store.revoke_api_key(key.id)
    assert not await store.revoke_api_key("key-none")
    found = await store.api_key_by_hash(key_hash(plain))
    assert found is not None and found.revoked and not found.usable()


async def test_an_organization_is_renamed(store: GraphStore) -> None:
    await store.create("Organization", Organization(id="ORG-R", name="Old"))
    assert await store.rename_organization("ORG-R", "New")
    assert not await store.rename_organization("ORG-NONE", "New")
    assert (await store.get("Organization", ["ORG-R"]))["ORG-R"].name == "New"  # type: ignore[attr-defined]


async def test_shares_are_kept_per_item_organization_and_scope(store: GraphStore) -> None:
    from tracegraph.domain.auth import Share, ShareScope

    now = datetime.now(UTC).replace(microsecond=0)
    a = Share(item_id="LOT-1", organization_id="ORG-B", scope=ShareScope.UPSTREAM, shared_by="ORG-A", created_at=now)
    await store.save_share(a)
    await store.save_share(a)  # again: still one
    b = Share(item_id="LOT-1", organization_id="ORG-B", scope=ShareScope.ITEM, shared_by="ORG-A", created_at=now)
    await store.save_share(b)
    await store.save_share(Share(item_id="LOT-2", organization_id="ORG-C", created_at=now))
    assert sorted(await store.shares_with("ORG-B"), key=lambda s: s.scope.value) == [b, a]
    assert await store.shares_with("ORG-NONE") == []


async def test_the_audit_log_is_appended_and_paged(store: GraphStore) -> None:
    from tracegraph.domain.audit import entry

    entries = [
        entry("key-1", "ORG-A", "query:trace", {"id": "LOT-1"}),
        entry(None, None, "mutation:createApiKey"),
        entry("key-2", "ORG-B", "export:trace", {"x": "é" * 10}),
    ]
    for e in entries:
        await store.append_audit(e)
    assert await store.audit_page(None, None, 10) == entries
    assert await store.audit_page(None, entries[0].id, 1) == [entries[1]]
    assert await store.audit_page("ORG-B", None, 10) == [entries[2]]
