"""Trace benchmark: latency of FORWARD and BACKWARD traces on generated genealogies.

For each size (lots: every traceable item the generator creates, bench/genealogy.py), in
one run:
  - loads the genealogy through the bulk path (Ledger.import_events) into a fresh Ladybug
    store, and prints how long generating, planning and writing took;
  - picks roots whose closure is near 100, 1,000 and 10,000 items, by a breadth-first walk
    on the generator's own edges, in memory;
  - times the trace of each root (median and p95) in every layer below, each answer checked
    against the in-memory walk's set of ids (a mismatch stops the run), each figure printed
    with its ratio to the in-memory walk of the same roots.
At the end, how the 1,000-item trace grows with the graph, against the issue's aims.

What each figure includes (one trace, one root, one at a time, the machine otherwise idle):
  - in memory: a breadth-first walk over Python adjacency lists of the generator's edges in
    this process; no store, no I/O, no answer built: the lower bound.
  - Ledger.trace on Ladybug: the service layer in this process on the embedded store:
    resolving the root, the walk (the store's link index), depths and links; no HTTP, no
    GraphQL, no session (permission, visibility).
  - tracegraph HTTP on Ladybug: one GraphQL POST (`trace(id, direction) { items { id } }`)
    from an httpx client to a real server process (uvicorn, Starlette, Strawberry) on loopback,
    timed from sending to the whole response read (its JSON decoding excluded): HTTP, the
    bearer key's check, GraphQL parse, validation and execution, the session (permission,
    visibility), Ledger.trace, and the answer's serialization.
  - tracegraph HTTP on Neo4j (--neo4j): the same request to a server on Neo4j, into which the
    store was moved with `tracegraph move`: the same work, the store's reads over Bolt (the
    root resolved, what it reaches by a variable-length pattern, then one hop from all of
    it: src/tracegraph/store/neo4j.py `walk`).
  - @neo4j/graphql on Neo4j (--anchor): the same client and timing, the same roots, the same
    Neo4j and data, to what a team would stand up instead: @neo4j/graphql on Apollo Server
    (Node), the trace a `@cypher` field (bench/anchor/server.mjs): GraphQL parse, validation,
    translation to Cypher, one read transaction over Bolt running the variable-length pattern
    (a pruning breadth-first expand in Neo4j), and a bare list of ids back: no
    authentication, no visibility, no depths or links. The Cypher it sends and its
    PROFILE on Neo4j are printed after the table (bench/anchor_server.py): what is left of the
    figure is the Node layer and the transport.
  - recall (a row of the table, and a line below it): a mock recall of each timed ~10,000-item
    FORWARD root, in this process through the service layer (no HTTP, no session):
    Recalls.open (the trace, the figures: mass balance, stock, deliveries; the recall kept)
    then the FSMA 204 export's rows encoded as CSV; its ratio is to the in-memory walk of the
    same roots. On Ladybug (under Ledger.trace) after that store's traces; with --neo4j, the
    same roots on the Neo4j store after the HTTP traces on it (under the Neo4j column), one
    untimed trace first to open the driver's connection; each store's reads as in its
    traces, the recall written in one write transaction.
Each HTTP layer's first request of a cell is a warm-up, untimed; the service layer's too.

    .venv/bin/python bench/trace.py                       # 10k, 100k and 1M lots
    .venv/bin/python bench/trace.py --sizes 10000 100000  # quicker
    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph \
        .venv/bin/python bench/trace.py --sizes 100000 --neo4j   # also on Neo4j (`make neo4j`)
    TRACEGRAPH_NEO4J_URI=... .venv/bin/python bench/trace.py --sizes 10000 --neo4j --anchor
        # and the anchor, @neo4j/graphql, on the same Neo4j (Node 20 and npm; npm ci in bench/anchor)
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from genealogy import Genealogy, master_data  # noqa: E402
from stores import neo4j_auth, neo4j_env, wipe_neo4j  # noqa: E402

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


async def neo4j_recall(
    env: dict[str, str], picks: list[tuple[str, int]], adj: dict[Direction, Adjacency]
) -> list[float]:
    """The same mock recalls (`mock_recall`, the same roots) in this process through the service
    layer on the Neo4j store the genealogy was moved into; one trace of the first root first,
    untimed, to open the driver's connection (the Ladybug figure follows that store's warm-ups)."""
    from tracegraph.store.neo4j import Neo4jStore

    if not picks:
        return []
    store = Neo4jStore(env["TRACEGRAPH_NEO4J_URI"], *neo4j_auth(env))
    await store.open()
    ledger = Ledger(store)
    warm = await ledger.trace(picks[0][0], Direction.FORWARD)
    assert set(warm.items) == closure(adj[Direction.FORWARD], picks[0][0])
    out: dict[tuple[Direction, int], list[float]] = defaultdict(list)
    await mock_recall(ledger, picks, out)
    await store.close()
    return out[(Direction.FORWARD, -1)]


def check_answer(label: str, ids: list[str], adj: Adjacency, root: str, direction: Direction) -> None:
    """Fails loudly unless a trace's answer is the in-memory walk's set of ids, each once."""
    expected = closure(adj, root)
    if len(ids) != len(expected) or set(ids) != expected:
        got = set(ids)
        raise SystemExit(
            f"{label}: the {direction.value} trace of {root} answered {len(ids):,} items ({len(got):,} distinct), "
            f"the in-memory walk {len(expected):,}; missing {sorted(expected - got)[:5]}, extra {sorted(got - expected)[:5]}"
        )


def time_http(
    label: str,
    client: httpx.Client,
    url: str,
    query: str,
    answer: Callable[[dict[str, Any]], list[dict[str, str]]],
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    adj: dict[Direction, Adjacency],
    budget: float,
) -> dict[tuple[Direction, int], list[float]]:
    """One GraphQL POST per root, timed from the request sent to the response read (JSON
    decoding and the check against the in-memory walk excluded); a warm-up per cell first."""
    out: dict[tuple[Direction, int], list[float]] = defaultdict(list)
    for (direction, target), picks in roots.items():
        started = time.perf_counter()
        for i, (root, _) in enumerate([picks[-1], *picks]):  # the first is the warm-up
            if i and not _within(budget, started, len(out[(direction, target)])):
                break
            t = time.perf_counter()
            r = client.post(url, json={"query": query, "variables": {"id": root, "d": direction.value}})
            elapsed = time.perf_counter() - t
            r.raise_for_status()
            body = r.json()
            if body.get("errors"):
                raise SystemExit(f"{label}: the {direction.value} trace of {root} failed: {body['errors']}")
            check_answer(label, [x["id"] for x in answer(body)], adj[direction], root, direction)
            if i:
                out[(direction, target)].append(elapsed)
    return out


def http_traces(
    data_dir: Path,
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    adj: dict[Direction, Adjacency],
    budget: float,
    store_env: dict[str, str] | None = None,
) -> dict[tuple[Direction, int], list[float]]:
    """tracegraph's GraphQL over HTTP, its server a process on `data_dir` (or on the store of `store_env`)."""
    from servers import run_server

    env = {"TRACEGRAPH_LOG_LEVEL": "warning", "TRACEGRAPH_ADMIN_KEY": BENCH_KEY, **(store_env or {})}
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    with (
        run_server(env=env, data_dir=data_dir, timeout=300) as server,
        httpx.Client(timeout=300, trust_env=False, headers=headers) as client,
    ):
        label = "tracegraph on Neo4j" if store_env else "tracegraph on Ladybug"
        return time_http(
            label, client, f"{server.url}/graphql", QUERY, lambda b: b["data"]["trace"]["items"], roots, adj, budget
        )


def anchor_traces(
    neo4j: dict[str, str],
    roots: dict[tuple[Direction, int], list[tuple[str, int]]],
    adj: dict[Direction, Adjacency],
    budget: float,
) -> dict[tuple[Direction, int], list[float]]:
    """The anchor, @neo4j/graphql serving the trace as a `@cypher` field (bench/anchor), on the same Neo4j."""
    from anchor_server import QUERY as ANCHOR_QUERY
    from anchor_server import run_anchor

    with run_anchor(neo4j) as (url, _), httpx.Client(timeout=300, trust_env=False) as client:
        return time_http("@neo4j/graphql", client, url, ANCHOR_QUERY, lambda b: b["data"]["trace"], roots, adj, budget)


def anchor_plans(neo4j: dict[str, str], roots: dict[tuple[Direction, int], list[tuple[str, int]]]) -> None:
    """What bounds the anchor: for one root per direction (the ~1,000-item cell, else the
    largest), the Cypher @neo4j/graphql sends, run on Neo4j: its time there and its plan."""
    from anchor_server import profile, sent_cypher

    for direction in Direction:
        cells = sorted((t, p) for (d, t), p in roots.items() if d is direction and p)
        if not cells:
            continue
        target, picks = next(((t, p) for t, p in cells if t == 1_000), cells[-1])
        root, size = picks[0]
        cypher, params = sent_cypher(neo4j, root, direction.value)
        p = profile(neo4j, cypher, params)
        print(
            f"anchor    the Cypher @neo4j/graphql sends for the {direction.value} trace of {root} ({size:,} items; "
            f"`bench/anchor_server.py {root} {direction.value}` prints it): {p.server_ms:.0f} ms in Neo4j (warm, "
            f"available + consumed), {p.db_hits:,} db hits; PROFILE:",
            flush=True,
        )
        print("\n".join(f"          {line}" for line in p.plan), flush=True)


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


def neo4j_holds(env: dict[str, str], items: int, events: int) -> bool:
    """Whether the Neo4j of `env` holds that many items and events (a move of this genealogy
    done by an earlier run, with the same seed)."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(env["TRACEGRAPH_NEO4J_URI"], auth=neo4j_auth(env)) as driver, driver.session() as s:
        found = s.run("MATCH (i:Item) WITH count(i) AS items MATCH (e:Event) RETURN items, count(e) AS events").single()
    return found is not None and (found["items"], found["events"]) == (items, events)


async def move_into_neo4j(data_dir: Path, env: dict[str, str]) -> float:
    """The kept embedded store moved into the (wiped) Neo4j of `env` with `tracegraph move`'s
    service; the seconds it took, verification included."""
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


def run_size(
    lots: int,
    per_target: int,
    seed: int,
    tmp: Path | None,
    keep: Path | None,
    budget: float,
    timeout: float,
    neo4j: dict[str, str] | None = None,
    anchor: bool = False,
    neo4j_kept: bool = False,
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
        web = http_traces(data_dir, roots, adj, budget)
        on_neo4j: dict[tuple[Direction, int], list[float]] = {}
        on_anchor: dict[tuple[Direction, int], list[float]] = {}
        recall_neo4j: list[float] = []
        if neo4j is not None:
            if neo4j_kept and neo4j_holds(neo4j, len(g.items), g.events):
                print(
                    "neo4j     the Neo4j kept by an earlier run (--neo4j-kept: the same items and events)", flush=True
                )
            else:
                moved = asyncio.run(move_into_neo4j(data_dir, neo4j))
                print(f"neo4j     moved into Neo4j with `tracegraph move` in {moved:.1f} s (verified)", flush=True)
            on_neo4j = http_traces(data_dir, roots, adj, budget, neo4j)
            if anchor:
                on_anchor = anchor_traces(neo4j, roots, adj, budget)
            recall_picks = roots.get((Direction.FORWARD, 10_000), [])[: len(svc[(Direction.FORWARD, -1)])]
            recall_neo4j = asyncio.run(neo4j_recall(neo4j, recall_picks, adj))
        layers = (web, on_neo4j, on_anchor)
        mem = memory_traces(roots, adj, {k: max(len(x.get(k, [])) for x in (svc, *layers)) for k in roots})
        columns = [
            ("Ledger.trace", "on Ladybug", svc),
            ("tracegraph HTTP", "on Ladybug", web),
            ("tracegraph HTTP", "on Neo4j", on_neo4j),
            ("@neo4j/graphql", "on Neo4j", on_anchor),
        ]
        columns = [c for c in columns if c[2]]
        print(
            f"{'direction':<9} {'closure':>8} {'roots':>5} | {'in memory':>16} | "
            + " | ".join(f"{name:>16} {'x mem':>6}" for name, _, _ in columns)
        )
        print(
            f"{'':<9} {'(mean)':>8} {'':>5} | {'':>16} | "
            + " | ".join(f"{where:>16} {'':>6}" for _, where, _ in columns)
        )
        print(
            f"{'':<9} {'':>8} {'':>5} | {'median/p95 ms':>16} | "
            + " | ".join(f"{'median/p95 ms':>16} {'':>6}" for _ in columns)
        )
        figures: dict[str, object] = {"lots": lots, "times": times}
        for key, picks in roots.items():
            direction, target = key
            n = len(web[key])
            m = _stats(mem[key][:n])
            mean = sum(size for _, size in picks[:n]) / n
            cells = []
            for _, _, samples in columns:
                timed = samples.get(key, [])[:n] if samples is svc else samples.get(key, [])
                if not timed:
                    cells.append(f"{'not timed':>16} {'':>6}")
                    continue
                t, base = _stats(timed), _stats(mem[key][: len(timed)])  # against the walk of the same roots
                more = f" ({len(timed)} roots)" if len(timed) != n else ""
                cells.append(f"{t[0]:>7.1f} /{t[1]:>7.1f} {t[0] / base[0]:>6.0f}{more}")
            print(
                f"{direction.value:<9} {mean:>8,.0f} {n:>5} | {m[0]:>7.2f} /{m[1]:>7.2f} | " + " | ".join(cells),
                flush=True,
            )
            figures[f"{direction.value}-{target}"] = {
                "mem": m,
                "service": _stats(svc[key][:n]),
                "http": _stats(web[key]),
                **({"neo4j": _stats(on_neo4j[key])} if on_neo4j.get(key) else {}),
                **({"anchor": _stats(on_anchor[key])} if on_anchor.get(key) else {}),
            }
        recall_lb = svc.get((Direction.FORWARD, -1), [])
        if recall_lb:
            # The mock recall (trace, figures, FSMA 204 CSV) in this process through the service
            # layer on each store: Ladybug's under Ledger.trace, Neo4j's under the Neo4j column.
            picks = roots.get((Direction.FORWARD, 10_000), [])[: len(recall_lb)]
            walk = mem[(Direction.FORWARD, 10_000)][: len(picks)]  # the walk of the same roots, in order
            mean = sum(size for _, size in picks) / len(picks)
            cells = []
            for _, _, samples in columns:
                timed = recall_lb if samples is svc else recall_neo4j if samples is on_neo4j else []
                if not timed:
                    cells.append(f"{'':>16} {'':>6}")
                    continue
                t, base = _stats(timed), _stats(walk[: len(timed)])
                cells.append(f"{t[0]:>7.0f} /{t[1]:>7.0f} {t[0] / base[0]:>6.0f}")
            m = _stats(walk)
            print(
                f"{'recall':<9} {mean:>8,.0f} {len(picks):>5} | {m[0]:>7.2f} /{m[1]:>7.2f} | " + " | ".join(cells),
                flush=True,
            )
        for direction, target in sorted(timed_out, key=lambda k: (k[0].value, k[1])):
            print(
                f"{direction.value:<9} ~{target:>7,} {'':>5} | not timed: one trace (of this closure or a smaller "
                f"one) took over {timeout:g} s in the service layer",
                flush=True,
            )
        for store_name, key, samples in (("Ladybug", "recall", recall_lb), ("Neo4j", "recall-neo4j", recall_neo4j)):
            if samples:
                r = _stats(samples)
                vs = f", {r[0] / figures['recall'][0]:.2f}x Ladybug" if key != "recall" else ""  # type: ignore[index]
                print(
                    f"recall    on {store_name:<7}: mock recall with figures and FSMA 204 CSV, ~10,000-item closures, "
                    f"in process: median {r[0]:.0f} ms, p95 {r[1]:.0f} ms (aim < {AIM_RECALL_S * 1000:.0f} ms){vs}",
                    flush=True,
                )
                figures[key] = r
        if on_anchor and neo4j is not None:
            anchor_plans(neo4j, roots)
    return figures


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
    parser.add_argument(
        "--anchor",
        action="store_true",
        help="with --neo4j: also time the same traces served by @neo4j/graphql (bench/anchor, Node 20 and npm) "
        "on the same Neo4j and data",
    )
    parser.add_argument(
        "--neo4j-kept",
        action="store_true",
        help="with --neo4j and one size: skip the move when the Neo4j already holds this genealogy's items "
        "and events (moved by an earlier run with the same seed)",
    )
    parser.add_argument("--tmp", type=Path, default=None, help="where the stores are made (default: system temp)")
    args = parser.parse_args()
    if args.neo4j_kept and (not args.neo4j or len(args.sizes) != 1):
        parser.error("--neo4j-kept keeps the Neo4j of --neo4j for one size")
    if args.anchor and not args.neo4j:
        parser.error("--anchor runs on the Neo4j of --neo4j")
    tune_gc()  # as `tracegraph serve` does
    print(
        f"tracegraph trace benchmark: {os.cpu_count()} cores, sizes {', '.join(f'{s:,}' for s in args.sizes)}, "
        f"{args.roots} roots per direction and closure"
    )
    results = [
        run_size(
            lots,
            args.roots,
            args.seed,
            args.tmp,
            args.keep,
            args.budget,
            args.timeout,
            neo4j_env(args.neo4j),
            args.anchor,
            args.neo4j_kept,
        )
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
    for key, store_name in (("recall", "Ladybug"), ("recall-neo4j", "Neo4j")):
        if key in last:
            r = last[key][0]  # type: ignore[index]
            print(
                f"aim       mock recall with FSMA export, ~10,000 items, on {store_name} at {last['lots']:,} lots: "
                f"median {r:.0f} ms (aim < {AIM_RECALL_S * 1000:.0f} ms)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
