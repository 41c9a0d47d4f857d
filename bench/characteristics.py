"""Benchmark: the items search by a characteristic's value or range (GraphStore
items_by_characteristic), through the service layer, over N lots of one material with
characteristic definitions and N lots of another (which the search restricts away).

    .venv/bin/python bench/characteristics.py [--lots 10000] [--neo4j]

With --neo4j, on the Neo4j that TRACEGRAPH_NEO4J_URI names (its graph is wiped); else on a
fresh Ladybug store in a temporary directory. Prints one JSON line per search: what it found
and its median time over a few runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import neo4j_auth, neo4j_env, wipe_neo4j  # noqa: E402

from tracegraph.domain.events import EventCommand, EventType, Line, NewItem, Source  # noqa: E402
from tracegraph.domain.models import CharacteristicDefinition as Def  # noqa: E402
from tracegraph.domain.models import CharacteristicType as T  # noqa: E402
from tracegraph.domain.models import Location, Material  # noqa: E402
from tracegraph.domain.query import CharacteristicFilter, ItemFilter  # noqa: E402
from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402
from tracegraph.store.port import GraphStore  # noqa: E402

DEFS = [
    Def(name="moisture", type=T.NUMBER, unit="PCT", min=0, max=14.5, out_of_spec_status="HOLD"),
    Def(name="grade", type=T.TEXT, values=["A", "B", "C"]),
]


def receipts(material: str, n: int) -> list[EventCommand]:
    out = []
    for i in range(n):
        lot = f"{material}-{i:06d}"
        chars = {"moisture": 10 + (i % 60) / 10, "grade": "ABC"[i % 3]} if material == "GRAIN" else {"ash": 0.5}
        out.append(
            EventCommand(
                type=EventType.RECEIVE,
                id=f"rcv-{lot}",
                location_id="WH",
                new_items=[NewItem(id=lot, material_id=material, characteristics=chars)],
                outputs=[Line(item_id=lot, quantity=10)],
            )
        )
    return out


async def run(store: GraphStore, lots: int) -> None:
    await store.open()
    try:
        ledger = Ledger(store)
        await ledger.create_material(Material(id="GRAIN", name="Grain", characteristic_definitions=DEFS))
        await ledger.create_material(Material(id="RYE", name="Rye"))
        await ledger.create_location(Location(id="WH", name="Warehouse"))
        t0 = time.perf_counter()
        await ledger.import_events(receipts("GRAIN", lots) + receipts("RYE", lots), Source.COMMAND)
        print(json.dumps({"loaded_lots": 2 * lots, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
        searches = {
            "equals grade=A, first 50": (CharacteristicFilter(name="grade", equals="A"), 50),
            "range 12.0..12.4, first 50": (CharacteristicFilter(name="moisture", min=12.0, max=12.4), 50),
            "rare: moisture = 15.9, first 50": (CharacteristicFilter(name="moisture", equals=15.9), 50),
            "out of spec (> 14.5), all (first 500)": (CharacteristicFilter(name="moisture", min=14.5001), 500),
        }
        for name, (f, first) in searches.items():
            filt = ItemFilter(material_id="GRAIN", characteristic=f)
            times, found = [], []
            for _ in range(5):
                t = time.perf_counter()
                found = await ledger.page("Item", None, first, filt)
                times.append(time.perf_counter() - t)
            print(
                json.dumps(
                    {"search": name, "found": len(found), "median_ms": round(statistics.median(times) * 1000, 1)}
                ),
                flush=True,
            )
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--neo4j", action="store_true")
    args = parser.parse_args()
    neo4j = neo4j_env(args.neo4j)
    if neo4j is not None:
        from tracegraph.store.neo4j import Neo4jStore

        wipe_neo4j(neo4j)
        asyncio.run(run(Neo4jStore(neo4j["TRACEGRAPH_NEO4J_URI"], *neo4j_auth(neo4j)), args.lots))
        return
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(run(LadybugStore(Path(d) / "db"), args.lots))


if __name__ == "__main__":
    main()
