"""`tracegraph import FILE`: JSON lines of EventCommand, bulk-loaded, refused whole on a problem."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracegraph import cli
from tracegraph.config import settings
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import Material
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.port import BalanceFilter


def _receive(n: int, qty: float = 10) -> EventCommand:
    return EventCommand(
        type=EventType.RECEIVE,
        id=f"r{n}",
        event_time=datetime(2025, 1, 1, tzinfo=UTC),
        location_id="WH",
        new_items=[NewItem(id=f"LOT-{n}", material_id="FLOUR")],
        outputs=[Line(item_id=f"LOT-{n}", quantity=qty)],
    )


async def _prepare(data: Path) -> None:
    from tracegraph.domain.models import Location

    store = LadybugStore(data)
    await store.open()
    await store.create("Material", Material(id="FLOUR", name="Flour", base_unit="KG"))
    await store.create("Location", Location(id="WH", name="Warehouse"))
    await store.close()


async def _stock(data: Path) -> dict[str, float]:
    store = LadybugStore(data)
    await store.open()
    try:
        return {b.item_id: b.quantity for b in await store.balances(BalanceFilter(location_ids=["WH"]))}
    finally:
        await store.close()


def test_import_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("TRACEGRAPH_DATA_DIR", str(data))
    settings.cache_clear()
    try:
        asyncio.run(_prepare(data))
        good = tmp_path / "events.jsonl"
        good.write_text("".join(_receive(n).model_dump_json() + "\n" for n in range(3)))
        assert cli.main(["import", str(good)]) == 0
        assert "imported 3 events: 3 new items" in capsys.readouterr().out
        bad = tmp_path / "again.jsonl"  # r3 is new, r0 is recorded already: nothing is written
        bad.write_text(_receive(3).model_dump_json() + "\n" + _receive(0).model_dump_json() + "\n")
        assert cli.main(["import", str(bad)]) == 1
        assert "events[1].id" in capsys.readouterr().err
        assert asyncio.run(_stock(data)) == {"LOT-0": 10, "LOT-1": 10, "LOT-2": 10}
    finally:
        settings.cache_clear()


def test_import_errors_name_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("TRACEGRAPH_DATA_DIR", str(data))
    settings.cache_clear()
    try:
        asyncio.run(_prepare(data))
        broken = tmp_path / "broken.jsonl"  # line 3 (after a blank line) is no event
        broken.write_text(_receive(0).model_dump_json() + "\n\n" + '{"type": "NO-SUCH-TYPE"}\n')
        assert cli.main(["import", str(broken)]) == 1
        err = capsys.readouterr().err
        assert "line 3: " in err and "line 3 is no event" in err
        refused = tmp_path / "refused.jsonl"  # the second event (line 4) receives into an unknown location
        second = _receive(1).model_copy(update={"location_id": "NOWHERE"})
        refused.write_text(_receive(0).model_dump_json() + "\n\n\n" + second.model_dump_json() + "\n")
        assert cli.main(["import", str(refused)]) == 1
        err = capsys.readouterr().err
        assert "line 4: events[1]" in err, err
        assert asyncio.run(_stock(data)) == {}
    finally:
        settings.cache_clear()
