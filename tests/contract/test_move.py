"""Moving up from the embedded store: the demo ledger (with keys, a share, recalls and their
notices, audit entries) moved from a Ladybug directory into Neo4j comes out the same — checked
by the move's own verification and here, field by field — and an interrupted move, run again,
goes on where it stopped without recording anything twice."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from servers import ROOT

from tracegraph.demo import HOME
from tracegraph.domain.audit import entry
from tracegraph.domain.auth import ADMIN, Principal, Role, ShareScope
from tracegraph.domain.capture import CaptureJob
from tracegraph.domain.query import BalanceFilter, Direction, EventFilter
from tracegraph.services.auth import Auth
from tracegraph.services.ledger import Ledger
from tracegraph.services.moving import move_ledger
from tracegraph.services.recall import Recalls
from tracegraph.services.visibility import share_item
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.neo4j import Neo4jStore
from tracegraph.store.port import GraphStore


async def _demo(path: Path) -> tuple[LadybugStore, str]:
    from tracegraph.demo import load_demo

    store = LadybugStore(path)
    await store.open()
    ledger = Ledger(store)
    await load_demo(ledger)
    _, key = await Auth(store).create_key(ADMIN, HOME, Role.QUALITY, "moved")
    items = [i.id for i in await store.page("Item", None, 5)]
    recalls = Recalls(ledger, Principal(organization_id=HOME, role=Role.QUALITY))
    await recalls.open(items[:1], Direction.FORWARD, "moved recall")
    others = [o.id for o in await store.page("Organization", None, 10) if o.id != HOME]  # type: ignore[attr-defined]
    if others:
        await share_item(
            store, Principal(organization_id=HOME, role=Role.QUALITY), items[0], others[0], ShareScope.DOWNSTREAM
        )
    await store.append_audit(entry("key-x", HOME, "query:trace", {"id": items[0]}))
    await store.save_capture(
        CaptureJob(
            id="job-moved",
            running=False,
            success=True,
            created_at=datetime.now(UTC),
            event_count=0,
            organization_id=HOME,
        )
    )
    await store.add_aliases({"https://id.gs1.org/01/00614141000012/10/MOVED": items[0]})
    return store, key


async def _snapshot(store: GraphStore) -> dict[str, Any]:
    events = []
    seq = None
    while page := await store.events(EventFilter(), seq, 1000):
        seq = page[-1][0]
        events += [r.model_dump(mode="json") for _, r in page]
    balances = await store.balances(BalanceFilter(include_zero=False))
    items = []
    after = None
    while page := await store.page("Item", after, 1000):
        items += [i.model_dump(mode="json") for i in page]
        after = page[-1].id  # type: ignore[attr-defined]
    recalls = await store.recall_page(None, 100)
    return {
        "events": events,
        "balances": sorted((b.item_id, b.location_id, round(b.quantity, 9)) for b in balances),
        "items": items,
        "recalls": sorted(r.id for r in recalls),
        "keys": sorted(k.id for k in await store.api_keys(HOME) + await store.api_keys(None)),
        "audit": [e.id for e in await store.audit_page(None, None, 1000)],
        "jobs": [j.id for j in await store.capture_page(None, 1000)],
        "aliases": await store.alias_page(None, 1000),
    }


def _neo4j(server: Any) -> Neo4jStore:
    return Neo4jStore(server.uri, server.user, server.password, server.database)


async def test_the_demo_moves_into_neo4j_whole_and_verified(tmp_path: Path, neo4j_server: Any) -> None:
    source, key = await _demo(tmp_path / "ladybug")
    neo4j_server.wipe()
    target = _neo4j(neo4j_server)
    await target.open()
    try:
        report = await move_ledger(source, target, page_size=40)
        assert report.verified, report.problems
        assert report.events > 50 and report.skipped == 0
        before, after = await _snapshot(source), await _snapshot(target)
        assert after == before
        principal = await Auth(target).identify(key)  # the keys work on the new store
        assert principal.role is Role.QUALITY
        again = await move_ledger(source, target, page_size=40)  # a second run changes nothing
        assert again.verified and again.events == 0 and again.skipped == report.events
        assert await _snapshot(target) == before
    finally:
        await target.close()
        await source.close()
        neo4j_server.wipe()


async def test_an_interrupted_move_goes_on_where_it_stopped(tmp_path: Path, neo4j_server: Any) -> None:
    source, _ = await _demo(tmp_path / "ladybug")
    neo4j_server.wipe()
    target = _neo4j(neo4j_server)
    await target.open()

    def stop_after_three_pages(done: int) -> None:
        if done >= 60:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a crash

    try:
        with pytest.raises(KeyboardInterrupt):
            await move_ledger(source, target, page_size=20, on_page=stop_after_three_pages)
        partial = (await target.integrity()).events
        assert partial == 60
        report = await move_ledger(source, target, page_size=20)
        assert report.verified, report.problems
        assert report.skipped == 60
        assert await _snapshot(target) == await _snapshot(source)
    finally:
        await target.close()
        await source.close()
        neo4j_server.wipe()


def test_the_command_moves_a_data_directory(tmp_path: Path, neo4j_server: Any) -> None:
    import asyncio

    async def make() -> None:
        store, _ = await _demo(tmp_path / "ladybug")
        await store.close()

    asyncio.run(make())
    neo4j_server.wipe()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TRACEGRAPH_")}
    env.update(neo4j_server.env())
    done = subprocess.run(
        [sys.executable, "-m", "tracegraph.cli", "move", "--from-data-dir", str(tmp_path / "ladybug")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified: check passes on both" in done.stdout, done.stdout
    neo4j_server.wipe()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracegraph.cli", "move", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_a_backup_to_a_directory_restores_the_same_ledger(tmp_path: Path, neo4j_server: Any) -> None:
    """`move --to-data-dir` copies the configured store (here Neo4j) into a new embedded
    directory, a store-independent backup; `move --from-data-dir` restores it into an empty
    Neo4j; both verified, and the restored ledger is the original, field by field."""
    source, _ = await _demo(tmp_path / "original")
    neo4j_server.wipe()
    target = _neo4j(neo4j_server)
    await target.open()
    try:
        assert (await move_ledger(source, target)).verified
        original = await _snapshot(target)
    finally:
        await target.close()
        await source.close()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TRACEGRAPH_")}
    env.update(neo4j_server.env())
    backup = tmp_path / "backup"
    done = _cli(["--to-data-dir", str(backup)], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"moving from {neo4j_server.uri} to {backup}" in done.stdout
    assert "verified: check passes on both" in done.stdout, done.stdout
    neo4j_server.wipe()  # the disaster
    done = _cli(["--from-data-dir", str(backup)], env)
    assert done.returncode == 0, done.stdout + done.stderr
    restored = _neo4j(neo4j_server)
    await restored.open()
    try:
        assert await _snapshot(restored) == original
    finally:
        await restored.close()
        neo4j_server.wipe()


def test_the_command_refuses_a_move_onto_itself_or_into_a_directory_of_other_files(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TRACEGRAPH_")}
    env["TRACEGRAPH_DATA_DIR"] = str(tmp_path / "data")
    done = _cli([], env)
    assert done.returncode == 2 and "--from-data-dir" in done.stderr
    done = _cli(["--to-data-dir", str(tmp_path / "data")], env)
    assert done.returncode == 2 and "the same" in done.stderr
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    done = _cli(["--to-data-dir", str(tmp_path / "other")], env)
    assert done.returncode == 2 and "holds other files" in done.stderr
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
