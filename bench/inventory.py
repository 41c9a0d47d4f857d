"""Inventory benchmark: stock totals rolled up over the location tree, and FEFO picks, over HTTP.

For each size (lots), in one run:
  - generates a warehouse: one site, 10 areas of 100 bins (1,111 locations), 200 materials
    (half of them kept in two units, a tenth catch weight), and `lots` lots received into
    random bins with expiry dates from a month ago to a year ahead, 5 % of them partly moved
    to a second bin; loads it through the bulk path (Ledger.import_events) into a fresh
    Ladybug store (or one kept with --keep);
  - computes every answer in memory from the generator's own balances, kept per bin and
    material in Python dictionaries (the baseline: no store, no HTTP);
  - starts a real server process on the store and times, one GraphQL POST at a time (median
    and p95, a warm-up first), each answer checked against the in-memory one:
      * floor: `material(id) { id }`, the cost of HTTP, the key check and GraphQL alone;
      * site roll-up of one material: `stockTotals(materialId, locationId: SITE)`;
      * area roll-up, every material: `stockTotals(locationId: AREA, first: 200)`;
      * one bin, no roll-up, every material;
      * FEFO: `fefo(materialId, locationId: BIN, quantity)` for a third of what the bin holds;
    each printed with its ratio to the floor and to the in-memory answer of the same question.
    The server's expiry watch is off during the timings; its checks are timed apart, in this
    process, before the server starts: the first (a week looked back, a notice claimed per lot
    that crossed) and the next (what every later check costs).
  - with --neo4j, the store moved into the Neo4j TRACEGRAPH_NEO4J_URI names (wiped first) with
    `tracegraph move`'s service, and the same requests timed on a server on it.
The aim (issue 13): FEFO and stock roll-up within 20 ms over HTTP at 100k and 1M lots.

    .venv/bin/python bench/inventory.py --sizes 100000            # 100k lots on Ladybug
    .venv/bin/python bench/inventory.py --sizes 100000 1000000 --keep /tmp/inv
    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph \\
        .venv/bin/python bench/inventory.py --sizes 100000 --neo4j
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from stores import neo4j_auth, neo4j_env, wipe_neo4j  # noqa: E402

from tracegraph.cli import tune_gc  # noqa: E402
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem  # noqa: E402
from tracegraph.domain.models import Location, LocationKind, Material  # noqa: E402
from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402

SITE = "SITE"
AREAS = [f"A{a}" for a in range(10)]
BINS = [f"A{a}-B{b:02d}" for a in range(10) for b in range(100)]
MATERIALS = [f"M{n:03d}" for n in range(200)]
AIM_MS = 20.0
BENCH_KEY = "bench-inventory-key"
NOW = datetime.now(UTC).replace(microsecond=0)
ROLL_UP = """query($m: ID, $l: ID, $r: Boolean!) {
  stockTotals(materialId: $m, locationId: $l, rollUp: $r, first: 1000) {
    nodes { materialId locationId quantity secondQuantity itemCount }
  }
}"""
FEFO = """query($m: ID!, $l: ID!, $q: Float!) {
  fefo(materialId: $m, locationId: $l, quantity: $q) { picks { itemId quantity } covered }
}"""
FLOOR = "query($m: ID!) { material(id: $m) { id } }"


def second_unit(m: str) -> tuple[str | None, bool]:
    n = int(m[1:])
    if n % 2:
        return None, False
    return ("KG", True) if n % 20 == 0 else ("CASE", False)


def master_data() -> tuple[list[Material], list[Location]]:
    materials = []
    for m in MATERIALS:
        unit, catch = second_unit(m)
        if catch:
            materials.append(Material(id=m, name=m, base_unit="CASE", second_unit="KG", catch_weight=True))
        else:
            conv = {"CASE": 12.0} if unit else {}
            materials.append(Material(id=m, name=m, base_unit="KG", second_unit=unit, conversions=conv))
    locations = [Location(id=SITE, name="Site", kind=LocationKind.SITE)]
    locations += [Location(id=a, name=f"Area {a}", kind=LocationKind.AREA, parent_id=SITE) for a in AREAS]
    locations += [Location(id=b, name=f"Bin {b}", parent_id=b.split("-")[0]) for b in BINS]
    return materials, locations


@dataclass
class Warehouse:
    """The generated lots, their balances and expiry, kept in memory for the baseline."""

    lots: int
    seed: int = 7
    balances: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (lot, bin) -> [q, q2]
    material: dict[str, str] = field(default_factory=dict)
    expires: dict[str, datetime] = field(default_factory=dict)
    events: int = 0

    def commands(self) -> Iterator[EventCommand]:
        rng = random.Random(self.seed)
        t0 = NOW - timedelta(days=60)
        for n in range(self.lots):
            lot = f"L{n:07d}"
            m = rng.choice(MATERIALS)
            unit, catch = second_unit(m)
            where = rng.choice(BINS)
            qty = float(rng.randint(1, 50))
            second = round(qty * rng.uniform(9.5, 10.5), 3) if catch else None
            expires = NOW + timedelta(days=rng.uniform(-30, 365))
            when = t0 + timedelta(seconds=n)
            self.material[lot] = m
            self.expires[lot] = expires
            q2 = second if catch else (qty / 12.0 if unit else 0.0)
            self.balances[(lot, where)] = [qty, q2 or 0.0]
            self.events += 1
            yield EventCommand(
                type=EventType.RECEIVE,
                id=f"rcv-{lot}",
                event_time=when,
                location_id=where,
                new_items=[NewItem(id=lot, material_id=m, expires_at=expires)],
                outputs=[Line(item_id=lot, quantity=qty, second_quantity=second)],
            )
            if rng.random() < 0.05:  # part of it moved to another bin
                other = rng.choice(BINS)
                if other == where:
                    continue
                part = math.floor(qty / 2) or 1.0
                share = self.balances[(lot, where)][1] * part / qty
                self.balances[(lot, where)] = [qty - part, self.balances[(lot, where)][1] - share]
                self.balances[(lot, other)] = [part, share]
                self.events += 1
                yield EventCommand(
                    type=EventType.MOVE,
                    id=f"mv-{lot}",
                    event_time=when + timedelta(milliseconds=500),
                    to_location_id=other,
                    inputs=[Line(item_id=lot, quantity=part, location_id=where)],
                )

    # -- the in-memory answers ---------------------------------------------------------------

    def index(self) -> None:
        """Per bin and material, the lots on hand and their sum (built once, untimed): what a
        plain in-memory answer would keep."""
        self.by_bin: dict[str, dict[str, tuple[float, set[str]]]] = defaultdict(dict)
        for (lot, where), (q, _) in self.balances.items():
            if abs(q) > 1e-6:
                m = self.material[lot]
                total, lots = self.by_bin[where].get(m, (0.0, set()))
                self.by_bin[where][m] = (total + q, lots | {lot})

    def totals(self, material: str | None, location: str, roll_up: bool) -> dict[tuple[str, str], tuple[float, int]]:
        if location == SITE and roll_up:
            covered = BINS
        elif location in AREAS and roll_up:
            covered = [b for b in BINS if b.startswith(location + "-")]
        else:
            covered = [location]
        acc: dict[str, list[Any]] = defaultdict(lambda: [0.0, set()])
        for b in covered:
            cells = self.by_bin.get(b, {})
            for m in cells if material is None else [material]:
                if m in cells:
                    acc[m][0] += cells[m][0]
                    acc[m][1] |= cells[m][1]
        return {(m, location): (q, len(ids)) for m, (q, ids) in acc.items()}

    def fefo(self, material: str, location: str, quantity: float) -> list[str]:
        lots = sorted(
            (self.expires[lot], lot, q)
            for (lot, where), (q, _) in self.balances.items()
            if where == location and self.material[lot] == material and q > 1e-6 and self.expires[lot] > NOW
        )
        picks, need = [], quantity
        for _, lot, q in lots:
            if need <= 1e-9:
                break
            picks.append(lot)
            need -= min(q, need)
        return picks


async def load(w: Warehouse, data_dir: Path) -> float:
    """Import the warehouse through the bulk path; the seconds it took (nan when kept)."""
    if (data_dir / "graph.lbug").exists():
        for _ in w.commands():  # the in-memory side, from the same seed
            pass
        return float("nan")
    store = LadybugStore(data_dir)
    await store.open()
    ledger = Ledger(store)
    materials, locations = master_data()
    for m in materials:
        await ledger.create_material(m)
    for loc in locations:
        await ledger.create_location(loc)
    t = time.perf_counter()
    batch: list[EventCommand] = []
    for c in w.commands():
        batch.append(c)
        if len(batch) >= 200_000:
            await ledger.import_events(batch)
            batch = []
    if batch:
        await ledger.import_events(batch)
    took = time.perf_counter() - t
    report = await ledger.check()
    assert report.ok, report.imbalances[:5]
    await store.close()
    return took


async def expiry_passes(data_dir: Path) -> tuple[float, int, float, int]:
    """The expiry watch's first check on the store (it looks back a week and claims a notice
    per lot that crossed) and a second one (what every later check costs): seconds, notices."""
    from tracegraph.services.shelf import ExpiryWatch

    store = LadybugStore(data_dir)
    await store.open()
    watch = ExpiryWatch(Ledger(store))
    t = time.perf_counter()
    first = await watch.check()
    took_first = time.perf_counter() - t
    t = time.perf_counter()
    second = await watch.check()
    took_second = time.perf_counter() - t
    await store.close()
    return took_first, len(first), took_second, len(second)


async def move_into_neo4j(data_dir: Path, env: dict[str, str]) -> float:
    from tracegraph.services.moving import move_ledger
    from tracegraph.store.neo4j import Neo4jStore

    wipe_neo4j(env)
    source, target = LadybugStore(data_dir), Neo4jStore(env["TRACEGRAPH_NEO4J_URI"], *neo4j_auth(env))
    await source.open()
    await target.open()
    t = time.perf_counter()
    report = await move_ledger(source, target)
    took = time.perf_counter() - t
    await target.close()
    await source.close()
    assert report.verified, report.problems
    return took


@dataclass
class Cell:
    name: str
    query: str
    variables: list[dict[str, Any]]  # one request each, the first a warm-up
    expected: list[Any]  # the in-memory answer of each
    memory_s: float  # the in-memory answers' median time


def cells(w: Warehouse, rng: random.Random, n: int) -> list[Cell]:
    def timed(f: Any, *args: Any) -> tuple[Any, float]:
        t = time.perf_counter()
        out = f(*args)
        return out, time.perf_counter() - t

    out = []
    materials = [rng.choice(MATERIALS) for _ in range(n)]
    answers = [timed(w.totals, m, SITE, True) for m in materials]
    out.append(
        Cell(
            "site roll-up, one material",
            ROLL_UP,
            [{"m": m, "l": SITE, "r": True} for m in materials],
            [a for a, _ in answers],
            statistics.median(t for _, t in answers),
        )
    )
    areas = [rng.choice(AREAS) for _ in range(n)]
    answers = [timed(w.totals, None, a, True) for a in areas]
    out.append(
        Cell(
            "area roll-up, every material",
            ROLL_UP,
            [{"m": None, "l": a, "r": True} for a in areas],
            [a for a, _ in answers],
            statistics.median(t for _, t in answers),
        )
    )
    bins = [rng.choice(BINS) for _ in range(n)]
    answers = [timed(w.totals, None, b, False) for b in bins]
    out.append(
        Cell(
            "one bin, every material",
            ROLL_UP,
            [{"m": None, "l": b, "r": False} for b in bins],
            [a for a, _ in answers],
            statistics.median(t for _, t in answers),
        )
    )
    picks = []
    for _ in range(n):
        b = rng.choice(BINS)
        held: dict[str, float] = defaultdict(float)
        for (lot, where), (q, _) in w.balances.items():
            if where == b:
                held[w.material[lot]] += q
        m = max(held, key=lambda k: held[k]) if held else MATERIALS[0]
        picks.append((m, b, max(1.0, round(held.get(m, 3.0) / 3, 3))))
    answers = [timed(w.fefo, m, b, q) for m, b, q in picks]
    out.append(
        Cell(
            "FEFO at a bin",
            FEFO,
            [{"m": m, "l": b, "q": q} for m, b, q in picks],
            [a for a, _ in answers],
            statistics.median(t for _, t in answers),
        )
    )
    out.append(Cell("floor: material(id)", FLOOR, [{"m": m} for m in materials], [None] * n, float("nan")))
    return out


def check(cell: Cell, body: dict[str, Any], expected: Any) -> None:
    if body.get("errors"):
        raise SystemExit(f"{cell.name}: {body['errors']}")
    data = body["data"]
    if "stockTotals" in data:
        got = {
            (t["materialId"], t["locationId"]): (round(t["quantity"], 6), t["itemCount"])
            for t in data["stockTotals"]["nodes"]
        }
        want = {k: (round(q, 6), n) for k, (q, n) in expected.items()}
        if got != want:
            diff = sorted(set(got.items()) ^ set(want.items()))[:6]
            raise SystemExit(f"{cell.name}: the answer differs from the in-memory one: {diff}")
    elif "fefo" in data:
        got_picks = [p["itemId"] for p in data["fefo"]["picks"]]
        if got_picks != expected:
            raise SystemExit(f"{cell.name}: picks {got_picks[:5]} differ from the in-memory {expected[:5]}")


def time_cells(url: str, all_cells: list[Cell]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    with httpx.Client(timeout=120, trust_env=False, headers=headers) as client:
        for cell in all_cells:
            samples = []
            for i, (variables, expected) in enumerate(
                zip([cell.variables[0], *cell.variables], [cell.expected[0], *cell.expected], strict=True)
            ):
                t = time.perf_counter()
                r = client.post(url, json={"query": cell.query, "variables": variables})
                elapsed = time.perf_counter() - t
                r.raise_for_status()
                check(cell, r.json(), expected)
                if i:
                    samples.append(elapsed)
            out[cell.name] = samples
    return out


def serve_and_time(data_dir: Path, all_cells: list[Cell], store_env: dict[str, str] | None) -> dict[str, list[float]]:
    from servers import run_server

    # The expiry watch is off: its passes are timed apart (expiry_passes), not inside requests.
    env = {
        "TRACEGRAPH_LOG_LEVEL": "warning",
        "TRACEGRAPH_ADMIN_KEY": BENCH_KEY,
        "TRACEGRAPH_EXPIRY_CHECK_SECONDS": "0",
        **(store_env or {}),
    }
    with run_server(env=env, data_dir=data_dir, timeout=600) as server:
        return time_cells(f"{server.url}/graphql", all_cells)


def report(label: str, timings: dict[str, list[float]], all_cells: list[Cell]) -> None:
    floor = statistics.median(timings["floor: material(id)"])
    print(f"\n{label}")
    print(f"  {'request':32} {'median ms':>10} {'p95 ms':>8} {'x floor':>8} {'x memory':>9} {'memory ms':>10}  aim")
    for cell in all_cells:
        s = sorted(timings[cell.name])
        med, p95 = statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))]
        is_floor = cell.name.startswith("floor")
        mem = cell.memory_s
        verdict = "" if is_floor else ("met" if med * 1000 <= AIM_MS else "NOT met")
        print(
            f"  {cell.name:32} {med * 1000:10.2f} {p95 * 1000:8.2f} {med / floor:8.2f} "
            f"{'' if math.isnan(mem) else f'{med / mem:9.1f}':>9} "
            f"{'' if math.isnan(mem) else f'{mem * 1000:10.3f}':>10}  {verdict}"
        )


def run_size(lots: int, requests: int, tmp: Path | None, keep: Path | None, neo4j: dict[str, str] | None) -> None:
    w = Warehouse(lots)
    with tempfile.TemporaryDirectory(dir=tmp, prefix="bench-inventory-") as scratch:
        data_dir = (keep / f"lots-{lots}") if keep else Path(scratch) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        took = asyncio.run(load(w, data_dir))
        print(
            f"\n== {lots:,} lots, {w.events:,} events, {len(w.balances):,} balances at {len(BINS):,} bins: "
            f"imported in {'(kept)' if math.isnan(took) else f'{took:.1f} s'} =="
        )
        first, n_first, second, n_second = asyncio.run(expiry_passes(data_dir))
        print(
            f"expiry watch: first check {first * 1000:.0f} ms ({n_first:,} notices claimed), "
            f"next check {second * 1000:.1f} ms ({n_second} notices)"
        )
        w.index()
        all_cells = cells(w, random.Random(lots), requests)
        report(
            f"tracegraph HTTP on Ladybug ({requests} requests each)",
            serve_and_time(data_dir, all_cells, None),
            all_cells,
        )
        if neo4j is not None:
            moved = asyncio.run(move_into_neo4j(data_dir, neo4j))
            label = f"tracegraph HTTP on Neo4j (moved in {moved:.0f} s; {requests} requests each)"
            report(label, serve_and_time(Path(scratch) / "neo4j-server", all_cells, neo4j), all_cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="lots (default 100k 1M)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per kind (default 30)")
    parser.add_argument("--keep", type=Path, default=None, help="make the stores in KEEP/lots-<n> and keep them")
    parser.add_argument("--tmp", type=Path, default=None, help="where the stores are made (default: system temp)")
    parser.add_argument("--neo4j", action="store_true", help="also move each store into TRACEGRAPH_NEO4J_URI's Neo4j")
    args = parser.parse_args()
    tune_gc()
    print(f"tracegraph inventory benchmark: {os.cpu_count()} cores, sizes {', '.join(f'{s:,}' for s in args.sizes)}")
    env = neo4j_env(args.neo4j)
    for lots in args.sizes:
        run_size(lots, args.requests, args.tmp, args.keep, env)


if __name__ == "__main__":
    main()
