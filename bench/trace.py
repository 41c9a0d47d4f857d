"""Trace benchmark: latency of FORWARD and BACKWARD traces on generated genealogies.

For each size (lots: every traceable item the generator creates, bench/genealogy.py), in
one run:
  - loads the genealogy through the bulk path (Ledger.import_events) into a fresh Ladybug
    store, and prints how long generating, planning and writing took;
  - picks roots whose closure is near 100, 1,000 and 10,000 items, by a breadth-first walk
    on the generator's own edges, in memory;
  - times the trace of each root (median and p95) through the service layer (Ledger.trace,
    every answer checked against the in-memory walk), then through GraphQL over HTTP against
    a real server process on the same data directory, and the in-memory walk itself, the
    lower bound: each figure is printed with its ratio to it.
At the end, how the 1,000-item trace grows with the graph, against the issue's aims.

    .venv/bin/python bench/trace.py                       # 10k, 100k and 1M lots
    .venv/bin/python bench/trace.py --sizes 10000 100000  # quicker
    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph \
        .venv/bin/python bench/trace.py --sizes 100000 --neo4j   # also on Neo4j (`make neo4j`)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from genealogy import Genealogy, master_data  # noqa: E402

from tracegraph.cli import tune_gc  # noqa: E402
from tracegraph.http.encoding import encode  # noqa: E402
from tracegraph.services.exports import Exports  # noqa: E402
from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.services.recall import Recalls  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402
from tracegraph.store.port import Direction  # noqa: E402

TARGETS = (100, 1_000, 10_000)
MIN_ROOTS = 3  # timed per layer, direction and closure size, whatever the budget
BAND = 0.3  # a root's closure is "near" a target within +-30 %
AIM_HTTP_MS = 50.0  # 1,000-item closure over HTTP at 1M lots, median
AIM_VS_MEMORY = 10.0  # ... within 10x of the in-memory walk
AIM_GROWTH = 1.5  # 10x the graph, the same closure: at most 1.5x the time
AIM_RECALL_S = 2.0  # mock recall of a 10,000-item closure
QUERY = "query($id: String!, $d: TraceDirection!) { trace(id: $id, direction: $d) { items { id } } }"
BENCH_KEY = "bench-trace-key"

Adjacency = dict[str, list[str]]


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _stats(samples: list[float]) -> tuple[float, float]:
    """Median and p95, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return _ms(statistics.median(ordered)), _ms(p95)


def closure(adj: Adjacency, root: str, cap: int | None = None) -> set[str]:
    """Every item reached from root, root excluded; stops past `cap` items."""
    seen = {root}
    frontier = deque([root])
    while frontier:
        for nxt in adj.get(frontier.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
                if cap is not None and len(seen) > cap:
                    return seen
    seen.discard(root)
    return seen


def pick_roots(
    g: Genealogy, adj: dict[Direction, Adjacency], per_target: int, seed: int, budget_s: float = 120.0
) -> dict[tuple[Direction, int], list[tuple[str, int]]]:
    """Up to `per_target` roots per (direction, target) whose closure is within BAND of it."""
    rng = random.Random(seed)
    picked: dict[tuple[Direction, int], list[tuple[str, int]]] = {(d, t): [] for d in Direction for t in TARGETS}
    for direction in Direction:
        a = adj[direction]
        candidates = [i for i in g.items if a.get(i)]
        rng.shuffle(candidates)
        deadline = time.monotonic() + budget_s
        for root in candidates:
            if all(len(picked[(direction, t)]) >= per_target for t in TARGETS) or time.monotonic() > deadline:
                break
            size = len(closure(a, root, cap=int(max(TARGETS) * (1 + BAND)) + 1))
            for t in TARGETS:
                if abs(size - t) <= BAND * t and len(picked[(direction, t)]) < per_target:
                    picked[(direction, t)].append((root, size))
    return picked


async def load(g: Genealogy, data_dir: Path) -> dict[str, float]:
    """Generate, then import through the bulk path; the seconds each took."""
    times: dict[str, float] = {}
    t = time.perf_counter()
    cmds = list(g.commands())
    times["generate"] = time.perf_counter() - t
    if (data_dir / "graph.lbug").exists():  # kept from an earlier run (--keep): the same seed, loaded
        return {**times, "import": float("nan"), "check": float("nan")}
    store = LadybugStore(data_dir)
    await store.open()
    ledger = Ledger(store)
    orgs, materials, locations = master_data()
    for o in orgs:
        await ledger.create_organization(o)
    for m in materials:
        await ledger.create_material(m)
    for loc in locations:
        await ledger.create_location(loc)
    t = time.perf_counter()
    report = await ledger.import_events(cmds)
    times["import"] = time.perf_counter() - t
    assert report.events == len(cmds), report
    del cmds
    gc.collect()
    t = time.perf_counter()
    check = await ledger.check()
    times["check"] = time.perf_counter() - t
    assert check.ok, (check.imbalances[:5], check.dangling[:5])
    assert check.items == len(g.items), (check.items, len(g.items))
    await store.close()
    return times


def _within(budget: float, started: float, done: int) -> bool:
    """Whether to time another root of a cell: always MIN_ROOTS, then while the budget lasts."""
    return done < MIN_ROOTS or time.perf_counter() - started < budget


async def service_traces(
    data_dir: Path,
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    adj: dict[Direction, Adjacency],
    budget: float,
    timeout: float,
    timed_out: set[tuple[Direction, int]],
) -> dict[tuple[Direction, int], list[float]]:
    store = LadybugStore(data_dir)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    await store.open()
    print(
        f"open      the store in {time.perf_counter() - t:.1f} s, its in-memory index of "
        f"{store._links.count:,} links and {len(store._links.touched):,} items' events: peak memory "
        f"+{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024:,.0f} MiB"
    )
    ledger = Ledger(store)
    out: dict[tuple[Direction, int], list[float]] = defaultdict(list)
    for (direction, target), picks in roots.items():
        if timed_out & {(direction, t) for t in TARGETS if t < target}:
            timed_out.add((direction, target))  # a smaller closure of this direction timed out already
            continue
        try:
            await asyncio.wait_for(ledger.trace(picks[-1][0], direction), timeout)  # warm-up, untimed
        except TimeoutError:
            timed_out.add((direction, target))
            print(f"  {direction.value} ~{target:,}: the warm-up trace took over {timeout:g} s; not timed", flush=True)
            continue
        started = time.perf_counter()
        for root, size in picks:
            if not _within(budget, started, len(out[(direction, target)])):
                break
            t = time.perf_counter()
            try:  # cancelled between two store round trips
                result = await asyncio.wait_for(ledger.trace(root, direction), timeout)
            except TimeoutError:
                print(
                    f"  {direction.value} ~{target:,}: one trace took over {timeout:g} s; cell not timed further",
                    flush=True,
                )
                timed_out.add((direction, target))
                break
            out[(direction, target)].append(time.perf_counter() - t)
            assert set(result.items) == closure(adj[direction], root), (root, direction, len(result.items), size)
    await mock_recall(ledger, roots.get((Direction.FORWARD, 10_000), [])[: len(out[(Direction.FORWARD, 10_000)])], out)
    await store.close()
    return out


async def mock_recall(
    ledger: Ledger, picks: list[tuple[str, int]], out: dict[tuple[Direction, int], list[float]]
) -> None:
    """A mock recall of each root: trace, figures (mass balance, stock, deliveries), the recall
    kept, and its FSMA 204 export as CSV; the issue's aim: under 2 s for a 10,000-item closure."""
    recalls, exports = Recalls(ledger), Exports(ledger)
    for root, _ in picks:
        t = time.perf_counter()
        recall = await recalls.open([root], Direction.FORWARD, "bench: mock recall", mock=True)
        rows = await exports.rows([a.id for a in recall.affected])
        encode("csv", rows, {})
        out[(Direction.FORWARD, -1)].append(time.perf_counter() - t)


def http_traces(
    data_dir: Path,
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    budget: float,
    store_env: dict[str, str] | None = None,
) -> dict[tuple[Direction, int], list[float]]:
    from servers import run_server

    out: dict[tuple[Direction, int], list[float]] = defaultdict(list)
    env = {"TRACEGRAPH_LOG_LEVEL": "warning", "TRACEGRAPH_ADMIN_KEY": BENCH_KEY, **(store_env or {})}
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    with (
        run_server(env=env, data_dir=data_dir, timeout=300) as server,
        httpx.Client(timeout=300, trust_env=False, headers=headers) as client,
    ):
        url = f"{server.url}/graphql"
        for (direction, target), picks in roots.items():
            started = time.perf_counter()
            for i, (root, size) in enumerate([picks[-1], *picks]):  # the first is the warm-up
                if i and not _within(budget, started, len(out[(direction, target)])):
                    break
                t = time.perf_counter()
                r = client.post(url, json={"query": QUERY, "variables": {"id": root, "d": direction.value}})
                elapsed = time.perf_counter() - t
                r.raise_for_status()
                body = r.json()
                assert not body.get("errors"), body["errors"]
                assert len(body["data"]["trace"]["items"]) == size, (root, size)
                if i:
                    out[(direction, target)].append(elapsed)
    return out


def memory_traces(
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    adj: dict[Direction, Adjacency],
    n_timed: dict[tuple[Direction, int], int],
) -> dict[tuple[Direction, int], list[float]]:
    out: dict[tuple[Direction, int], list[float]] = defaultdict(list)
    for (direction, target), picks in roots.items():
        for root, _ in picks[: n_timed[(direction, target)]]:
            t = time.perf_counter()
            closure(adj[direction], root)
            out[(direction, target)].append(time.perf_counter() - t)
    return out


async def move_into_neo4j(data_dir: Path, env: dict[str, str]) -> float:
    """The kept embedded store moved into the (wiped) Neo4j of `env` with `tracegraph move`'s
    service; the seconds it took, verification included."""
    from neo4j import GraphDatabase

    from tracegraph.services.moving import move_ledger
    from tracegraph.store.neo4j import Neo4jStore

    auth = (env["TRACEGRAPH_NEO4J_USER"], env["TRACEGRAPH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(env["TRACEGRAPH_NEO4J_URI"], auth=auth) as driver, driver.session() as s:
        s.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    source, target = LadybugStore(data_dir), Neo4jStore(env["TRACEGRAPH_NEO4J_URI"], *auth)
    await source.open()
    await target.open()
    t = time.perf_counter()
    report = await move_ledger(source, target)
    took = time.perf_counter() - t
    await target.close()
    await source.close()
    assert report.verified, report.problems
    return took


def run_size(
    lots: int,
    per_target: int,
    seed: int,
    tmp: Path | None,
    keep: Path | None,
    budget: float,
    timeout: float,
    neo4j: dict[str, str] | None = None,
) -> dict[str, object]:
    print(f"\n== {lots:,} lots ==", flush=True)
    g = Genealogy(lots, seed=seed)
    with tempfile.TemporaryDirectory(prefix=f"bench-trace-{lots}-", dir=tmp) as d:
        data_dir = (keep / f"lots-{lots}") if keep else Path(d) / "data"
        times = asyncio.run(load(g, data_dir))
        loaded = (
            "the store kept by an earlier run (--keep)"
            if times["import"] != times["import"]
            else f"import (plan + COPY) {times['import']:.1f} s ({g.events / times['import']:,.0f} events/s), "
            f"check {times['check']:.1f} s"
        )
        print(
            f"load      {len(g.items):,} items, {g.events:,} events, {len(g.edges):,} links: generate "
            f"{times['generate']:.1f} s, {loaded}",
            flush=True,
        )
        adj: dict[Direction, Adjacency] = {Direction.FORWARD: defaultdict(list), Direction.BACKWARD: defaultdict(list)}
        for a, b in g.edges:
            adj[Direction.FORWARD][a].append(b)
            adj[Direction.BACKWARD][b].append(a)
        t = time.perf_counter()
        roots = pick_roots(g, adj, per_target, seed)
        print(
            f"roots     picked in {time.perf_counter() - t:.1f} s: "
            + ", ".join(f"{d.value.lower()} ~{tg:,}: {len(p)}" for (d, tg), p in roots.items()),
            flush=True,
        )
        roots = {k: v for k, v in roots.items() if v}
        # The generator's tens of millions of objects are no part of a server: out of the
        # collector's passes, which would otherwise stall the service-layer timings.
        gc.collect()
        gc.freeze()
        timed_out: set[tuple[Direction, int]] = set()
        svc = asyncio.run(service_traces(data_dir, roots, adj, budget, timeout, timed_out))
        # Every layer times the same roots: those the service layer had time for.
        roots = {k: v[: len(svc[k])] for k, v in roots.items() if svc.get(k)}
        web = http_traces(data_dir, roots, budget)
        on_neo4j: dict[tuple[Direction, int], list[float]] = {}
        if neo4j is not None:
            moved = asyncio.run(move_into_neo4j(data_dir, neo4j))
            print(f"neo4j     moved into Neo4j with `tracegraph move` in {moved:.1f} s (verified)", flush=True)
            on_neo4j = http_traces(data_dir, roots, budget, neo4j)
        mem = memory_traces(roots, adj, {k: len(web[k]) for k in roots})
        print(
            f"{'direction':<9} {'closure':>8} {'roots':>5} | {'in memory':>16} | {'Ledger.trace':>16} {'x mem':>6} "
            f"| {'GraphQL HTTP':>16} {'x mem':>6}" + (f" | {'HTTP on Neo4j':>16} {'x mem':>6}" if on_neo4j else "")
        )
        print(
            f"{'':<9} {'(mean)':>8} {'':>5} | {'median/p95 ms':>16} | {'median/p95 ms':>16} {'':>6} "
            f"| {'median/p95 ms':>16} {'':>6}"
        )
        figures: dict[str, object] = {"lots": lots, "times": times}
        for key, picks in roots.items():
            direction, target = key
            n = len(web[key])
            m, s, h = _stats(mem[key]), _stats(svc[key][:n]), _stats(web[key])
            mean = sum(size for _, size in picks[:n]) / n
            print(
                f"{direction.value:<9} {mean:>8,.0f} {n:>5} | {m[0]:>7.2f} /{m[1]:>7.2f} | "
                f"{s[0]:>7.1f} /{s[1]:>7.1f} {s[0] / m[0]:>6.0f} | {h[0]:>7.1f} /{h[1]:>7.1f} {h[0] / m[0]:>6.0f}"
                + (
                    f" | {nn[0]:>7.1f} /{nn[1]:>7.1f} {nn[0] / m[0]:>6.0f}"
                    if (nn := _stats(on_neo4j.get(key, [])))
                    else ""
                ),
                flush=True,
            )
            figures[f"{direction.value}-{target}"] = {"mem": m, "service": s, "http": h}
        for direction, target in sorted(timed_out, key=lambda k: (k[0].value, k[1])):
            print(
                f"{direction.value:<9} ~{target:>7,} {'':>5} | not timed: one trace (of this closure or a smaller "
                f"one) took over {timeout:g} s in the service layer",
                flush=True,
            )
        if svc.get((Direction.FORWARD, -1)):
            r = _stats(svc[(Direction.FORWARD, -1)])
            print(
                f"recall    mock recall with figures and FSMA 204 CSV, ~10,000-item closures: median {r[0]:.0f} ms, "
                f"p95 {r[1]:.0f} ms (aim < {AIM_RECALL_S * 1000:.0f} ms)",
                flush=True,
            )
            figures["recall"] = r
    return figures


def neo4j_env(args: argparse.Namespace) -> dict[str, str] | None:
    """With --neo4j: the TRACEGRAPH_NEO4J_* of the server to measure (its graph is wiped)."""
    if not args.neo4j:
        return None
    uri = os.environ.get("TRACEGRAPH_NEO4J_URI")
    if not uri:
        raise SystemExit("--neo4j needs TRACEGRAPH_NEO4J_URI (and _USER, _PASSWORD): `make neo4j` serves one")
    return {
        "TRACEGRAPH_NEO4J_URI": uri,
        "TRACEGRAPH_NEO4J_USER": os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
        "TRACEGRAPH_NEO4J_PASSWORD": os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="lots per genealogy (default: 10k 100k 1M)",
    )
    parser.add_argument("--roots", type=int, default=30, help="roots per direction and closure size")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds per layer, direction and closure size: past it (and 3 roots), fewer roots are timed",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds one trace may take; past it, that closure size is not timed further",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="make the stores in KEEP/lots-<n> and keep them (for profiling)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--neo4j",
        action="store_true",
        help="also move each store into the Neo4j TRACEGRAPH_NEO4J_URI names (wiping it) and time the "
        "same traces over HTTP on it",
    )
    parser.add_argument("--tmp", type=Path, default=None, help="where the stores are made (default: system temp)")
    args = parser.parse_args()
    tune_gc()  # as `tracegraph serve` does
    print(
        f"tracegraph trace benchmark: {os.cpu_count()} cores, sizes {', '.join(f'{s:,}' for s in args.sizes)}, "
        f"{args.roots} roots per direction and closure"
    )
    results = [
        run_size(lots, args.roots, args.seed, args.tmp, args.keep, args.budget, args.timeout, neo4j_env(args))
        for lots in args.sizes
    ]
    print("\n== against the aims ==")
    for prev, cur in zip(results, results[1:], strict=False):
        for d in Direction:
            key = f"{d.value}-1000"
            if key in prev and key in cur:
                for layer in ("service", "http"):
                    a, b = prev[key][layer][0], cur[key][layer][0]  # type: ignore[index]
                    print(
                        f"growth    {d.value:<8} ~1,000 items, {layer:<7}: {prev['lots']:,} -> {cur['lots']:,} lots: "
                        f"{a:.1f} -> {b:.1f} ms = {b / a:.2f}x (aim <= {AIM_GROWTH}x)"
                    )
    last = results[-1]
    for d in Direction:
        key = f"{d.value}-1000"
        if key in last:
            h, m = last[key]["http"][0], last[key]["mem"][0]  # type: ignore[index]
            print(
                f"aim       {d.value:<8} ~1,000 items over HTTP at {last['lots']:,} lots: median {h:.1f} ms "
                f"(aim <= {AIM_HTTP_MS:.0f} ms), {h / m:.0f}x the in-memory walk (aim <= {AIM_VS_MEMORY:.0f}x)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
