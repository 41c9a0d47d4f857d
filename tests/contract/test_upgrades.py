"""Upgrades keep data. A store records the version of its schema; opening one written before
versions were kept (a Ladybug directory made by the code of commit b01b110 with
tests/fixtures/make_ladybug_b01b110.py) upgrades it in place with every event, balance, key and
capture job read back; a store written by a newer tracegraph is refused, untouched."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tracegraph.domain.query import BalanceFilter
from tracegraph.services.auth import Auth
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.neo4j import Neo4jStore
from tracegraph.store.port import SCHEMA_VERSION, SchemaTooNew

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ladybug-b01b110.tar.gz"
FIXTURE_KEY = "tg_Layh_uErQ-m77ZRzmpIGVWPR9zNOGCmNvcpAqrBJ1EA"  # an OPERATOR key of ACME, made with it


def _extract(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "ladybug"


async def test_a_ladybug_store_of_the_code_before_versions_opens_with_everything(tmp_path: Path) -> None:
    store = LadybugStore(_extract(tmp_path))
    await store.open()
    try:
        events = await store.events_by_id(["rcv-1", "split-1", "ship-1"])
        assert sorted(events) == ["rcv-1", "ship-1", "split-1"]
        assert {e.organization_id for e in events.values()} == {"ACME"}
        on_hand = {
            (b.item_id, b.location_id): b.quantity
            for b in await store.balances(BalanceFilter(item_ids=["LOT-1", "LOT-1-A"], include_virtual=False))
        }
        assert on_hand == {("LOT-1", "WH"): 60.0, ("LOT-1-A", "WH"): 25.0}
        principal = await Auth(store).identify(FIXTURE_KEY)
        assert (principal.organization_id, principal.role.value) == ("ACME", "OPERATOR")
        job = await store.capture("job-1")
        assert job is not None and job.event_count == 3 and job.organization_id is None  # the admin's only
        assert (await store.integrity()).ok
        assert store._exec("get_schema_version") == [{"version": SCHEMA_VERSION}]
    finally:
        await store.close()
    again = LadybugStore(tmp_path / "ladybug")  # the upgraded store opens as any other
    await again.open()
    assert await again.events_by_id(["ship-1"])
    await again.close()


async def test_a_ladybug_store_of_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    store = LadybugStore(tmp_path / "store")
    await store.open()
    store._exec("set_schema_version", {"version": SCHEMA_VERSION + 1})
    await store.close()
    newer = LadybugStore(tmp_path / "store")
    with pytest.raises(SchemaTooNew, match=f"version {SCHEMA_VERSION + 1}.*newer tracegraph"):
        await newer.open()
    store = LadybugStore(tmp_path / "store")
    with pytest.raises(SchemaTooNew):
        await store.open()  # still the newer version: nothing was rewritten


async def test_neo4j_records_its_version_and_refuses_a_newer_one(neo4j_server: object) -> None:
    server = neo4j_server
    server.wipe()  # type: ignore[attr-defined]
    store = Neo4jStore(server.uri, server.user, server.password, server.database)  # type: ignore[attr-defined]
    await store.open()
    try:
        assert await store._read("get_schema_version") == [{"version": SCHEMA_VERSION}]
        await store._write_tx(lambda tx: store._run(tx, "set_schema_version", {"version": SCHEMA_VERSION + 1}))
    finally:
        await store.close()
    newer = Neo4jStore(server.uri, server.user, server.password, server.database)  # type: ignore[attr-defined]
    with pytest.raises(SchemaTooNew):
        await newer.open()
    server.wipe()  # type: ignore[attr-defined]


async def test_neo4j_through_a_routing_uri_reads_its_own_writes(neo4j_server: object) -> None:
    """`neo4j://` (what a cluster or Aura is reached by): reads routed as reads, writes to the
    leader, a read after a write sees it (the store's bookmark manager)."""
    from tracegraph.domain.events import EventCommand, EventType, Line, NewItem, Source

    server = neo4j_server
    server.wipe()  # type: ignore[attr-defined]
    routing = server.uri.replace("bolt://", "neo4j://")  # type: ignore[attr-defined]
    store = Neo4jStore(routing, server.user, server.password, server.database)  # type: ignore[attr-defined]
    await store.open()
    try:
        for n in range(5):
            lot = f"R-{n}"
            await store.record(
                [
                    EventCommand(
                        type=EventType.OBSERVE, id=f"seen-{n}", inputs=[Line(item_id=lot)], new_items=[NewItem(id=lot)]
                    )
                ],
                Source.FACT,
            )
            assert lot in await store.get("Item", [lot])  # at once, on the next session
    finally:
        await store.close()
    server.wipe()  # type: ignore[attr-defined]


async def test_an_upgraded_store_has_the_built_in_classifications_and_its_statuses_work(tmp_path: Path) -> None:
    """Items written when a status was one of five enum values keep it: it names the built-in
    classification of that code, created when the store is upgraded, and is enforced as before."""
    from tracegraph.domain.events import EventCommand, EventType, Line, Source
    from tracegraph.domain.models import DEFAULT_CLASSIFICATIONS, Classification

    store = LadybugStore(_extract(tmp_path))
    await store.open()
    try:
        assert await store.get("Classification", list(DEFAULT_CLASSIFICATIONS)) == DEFAULT_CLASSIFICATIONS
        items = await store.get("Item", ["LOT-1", "LOT-1-A"])
        assert {i.status for i in items.values()} <= set(DEFAULT_CLASSIFICATIONS)  # type: ignore[attr-defined]
        await store.create("Classification", Classification(id="QUARANTINE", name="Quarantine", may_issue=False))
        [entry] = await store.record(
            [EventCommand(type=EventType.RECLASSIFY, id="rc-q", status="QUARANTINE", inputs=[Line(item_id="LOT-1")])],
            Source.COMMAND,
        )
        assert entry.event.status_changes[0].to_status == "QUARANTINE"
        assert (await store.integrity()).ok
    finally:
        await store.close()
