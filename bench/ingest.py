"""Ingest benchmark: events recorded per second, on the embedded store and (--neo4j) on Neo4j.

Measures, in one run, on a generated plant-like dataset (bench/workload.py), first on Ladybug,
then with --neo4j the same on Neo4j (its graph wiped before each part):
  - the floor: the database alone creating one event node of the same size as an event's
    record (an id, a sequence number, a body) per transaction, and a thousand per transaction,
    with nothing else. On Ladybug: its Python API in this process, a node table keyed by id.
    On Neo4j: the async Python driver over Bolt on loopback as the store uses it (a session
    and one managed write transaction, `execute_write`, per transaction; the nodes' label
    under a uniqueness constraint on id), so Bolt round trips and Neo4j's commit (its
    transaction log forced to disk) are in it; the Python work of building the rows is too
    small to count. Every figure below is printed with its ratio to its own store's floor
    (single events to the one-per-transaction floor, batches to the thousand-per-transaction
    one) and to the issue's aim;
  - the service layer, in this process: the batch path (Ledger.record_many, --batch events
    per call, each one transaction: lock, read the state it needs, plan, write) loading
    --events events, then --singles events recorded one by one (Ledger.record) on top of them;
  - GraphQL over HTTP against a real server process (`tracegraph serve`, on a fresh data
    directory or on the wiped Neo4j): --http-batches recordEvents requests of --batch events;
    --singles single mutations (receive, produce, move, ship: one event per request) from one
    client, each sent when the previous is answered; and --singles more from --clients
    clients at once (the figure the aim of 500/s is about: one server process, its store
    serializing the writes).
At the end, one table: each figure on each store, its ratio to that store's floor, and
Neo4j's to Ladybug's.

    .venv/bin/python bench/ingest.py                # 100k events, the figures in the notes
    .venv/bin/python bench/ingest.py --events 20000 # quicker
    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph \
        .venv/bin/python bench/ingest.py --neo4j    # and on Neo4j (`make neo4j`; its graph is wiped)
    TRACEGRAPH_NEO4J_URI=... .venv/bin/python bench/ingest.py --events 5000 --singles 200 --neo4j
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import ladybug

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from servers import AUTH  # noqa: E402
from stores import neo4j_auth, neo4j_env, wipe_neo4j  # noqa: E402
from workload import events, master_data  # noqa: E402

from tracegraph.domain.events import EventCommand, EventType  # noqa: E402
from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402
from tracegraph.store.port import GraphStore  # noqa: E402

AIM_SINGLE_HTTP = 500.0
AIM_BATCH = 5000.0
MUTATION = {EventType.RECEIVE: "receive", EventType.PRODUCE: "produce", EventType.MOVE: "move", EventType.SHIP: "ship"}
INPUT = {
    EventType.RECEIVE: "ReceiveInput",
    EventType.PRODUCE: "ProduceInput",
    EventType.MOVE: "MoveInput",
    EventType.SHIP: "ShipInput",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _graphql_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): _graphql_value(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_graphql_value(v) for v in value]
    return value


def graphql_input(cmd: EventCommand, *, with_type: bool) -> dict[str, Any]:
    data = _graphql_value(cmd.model_dump(mode="json", exclude_none=True, exclude={"extensions"}))
    if not with_type:
        data.pop("type", None)
    return data


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


# -- baseline -------------------------------------------------------------------------------


def baseline(n_single: int, n_batch: int, body_size: int) -> tuple[float, float]:
    """Ladybug alone: one event node per transaction, and a thousand per transaction."""
    with tempfile.TemporaryDirectory() as d:
        db = ladybug.Database(str(Path(d) / "db"), max_num_threads=1)
        conn = ladybug.Connection(db)
        conn.execute("CREATE NODE TABLE Event(id STRING, seq INT64, body STRING, PRIMARY KEY(id))")
        body = "x" * body_size
        t = time.perf_counter()
        for n in range(n_single):
            conn.execute("BEGIN TRANSACTION")
            conn.execute("CREATE (:Event {id: $id, seq: $seq, body: $body})", {"id": f"s{n}", "seq": n, "body": body})
            conn.execute("COMMIT")
        single = _rate(n_single, time.perf_counter() - t)
        t = time.perf_counter()
        for start in range(0, n_batch, 1000):
            rows = [{"id": f"b{n}", "seq": n, "body": body} for n in range(start, min(n_batch, start + 1000))]
            conn.execute("BEGIN TRANSACTION")
            conn.execute("UNWIND $rows AS r CREATE (:Event {id: r.id, seq: r.seq, body: r.body})", {"rows": rows})
            conn.execute("COMMIT")
        batch = _rate(n_batch, time.perf_counter() - t)
        conn.close()
        db.close()
    return single, batch


FLOOR_LABEL = "BenchFloorEvent"


async def baseline_neo4j(env: dict[str, str], n_single: int, n_batch: int, body_size: int) -> tuple[float, float, str]:
    """Neo4j alone, through the async driver as the store uses it: one event node per managed
    write transaction, and a thousand per transaction (the graph wiped before and after)."""
    from neo4j import AsyncGraphDatabase, AsyncManagedTransaction

    wipe_neo4j(env)
    driver = AsyncGraphDatabase.driver(
        env["TRACEGRAPH_NEO4J_URI"], auth=neo4j_auth(env), notifications_min_severity="OFF"
    )
    try:
        agent = (await driver.get_server_info()).agent
        async with driver.session() as s:
            await (
                await s.run(
                    f"CREATE CONSTRAINT bench_floor_id IF NOT EXISTS FOR (e:{FLOOR_LABEL}) REQUIRE e.id IS UNIQUE"
                )
            ).consume()
        body = "x" * body_size
        one = f"CREATE (:{FLOOR_LABEL} {{id: $id, seq: $seq, body: $body}})"
        many = f"UNWIND $rows AS r CREATE (:{FLOOR_LABEL} {{id: r.id, seq: r.seq, body: r.body}})"

        async def create(tx: AsyncManagedTransaction, query: str, params: dict[str, Any]) -> None:
            await (await tx.run(query, params)).consume()

        t = time.perf_counter()
        for n in range(n_single):
            async with driver.session() as s:
                await s.execute_write(create, one, {"id": f"s{n}", "seq": n, "body": body})
        single = _rate(n_single, time.perf_counter() - t)
        t = time.perf_counter()
        for start in range(0, n_batch, 1000):
            rows = [{"id": f"b{n}", "seq": n, "body": body} for n in range(start, min(n_batch, start + 1000))]
            async with driver.session() as s:
                await s.execute_write(create, many, {"rows": rows})
        batch = _rate(n_batch, time.perf_counter() - t)
        async with driver.session() as s:
            await (await s.run("DROP CONSTRAINT bench_floor_id IF EXISTS")).consume()
    finally:
        await driver.close()
    wipe_neo4j(env)
    return single, batch, agent


# -- service layer --------------------------------------------------------------------------


async def service_on(
    neo4j: dict[str, str] | None, n_events: int, n_single: int, batch: int
) -> tuple[float, float, int]:
    """The service layer on a fresh Ladybug store, or (`neo4j`) on that Neo4j, wiped."""
    if neo4j is None:
        with tempfile.TemporaryDirectory() as d:
            return await service(LadybugStore(d), n_events, n_single, batch)
    from tracegraph.store.neo4j import Neo4jStore

    wipe_neo4j(neo4j)
    return await service(Neo4jStore(neo4j["TRACEGRAPH_NEO4J_URI"], *neo4j_auth(neo4j)), n_events, n_single, batch)


async def service(store: GraphStore, n_events: int, n_single: int, batch: int) -> tuple[float, float, int]:
    await store.open()
    try:
        ledger = Ledger(store)
        materials, locations = master_data()
        for m in materials:
            await ledger.create_material(m)
        for loc in locations:
            await ledger.create_location(loc)
        cmds = list(events(n_events, seed=1, prefix="B"))
        t = time.perf_counter()
        for start in range(0, len(cmds), batch):
            await ledger.record_many(cmds[start : start + batch])
            if start and start % (20 * batch) == 0:
                print(f"  ... {start} events loaded, {_rate(start, time.perf_counter() - t):.0f} events/s", flush=True)
        batch_rate = _rate(len(cmds), time.perf_counter() - t)
        singles = list(events(n_single, seed=2, prefix="S"))
        t = time.perf_counter()
        for cmd in singles:
            await ledger.record(cmd)
        single_rate = _rate(len(singles), time.perf_counter() - t)
        report = await ledger.check()
        assert report.ok, "the ledger does not check out after the benchmark"
        return batch_rate, single_rate, report.events
    finally:
        await store.close()


# -- GraphQL over HTTP ----------------------------------------------------------------------


def _post(client: httpx.Client, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = client.post(url, json={"query": query, "variables": variables})
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(json.dumps(body["errors"])[:2000])
    return body["data"]


def http(
    n_single: int, n_batches: int, batch: int, clients: int, neo4j: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """A server process on a fresh data directory, or (`neo4j`) on that Neo4j, wiped."""
    from servers import run_server

    if neo4j is not None:
        wipe_neo4j(neo4j)
    with (
        run_server(env={"TRACEGRAPH_LOG_LEVEL": "warning", **(neo4j or {})}) as server,
        httpx.Client(headers=AUTH, timeout=120, trust_env=False) as client,
    ):
        url = f"{server.url}/graphql"
        materials, locations = master_data()
        for m in materials:
            _post(
                client,
                url,
                "mutation($i: CreateMaterialInput!) { createMaterial(input: $i) { errors { message } } }",
                {"i": {"id": m.id, "name": m.name, "baseUnit": m.base_unit, "kind": m.kind.value}},
            )
        for loc in locations:
            _post(
                client,
                url,
                "mutation($i: CreateLocationInput!) { createLocation(input: $i) { errors { message } } }",
                {"i": {"id": loc.id, "name": loc.name}},
            )
        query = "mutation($i: [EventInput!]!) { recordEvents(input: $i) { events { id } errors { field message } } }"
        cmds = list(events(n_batches * batch, seed=3, prefix="HB"))
        t = time.perf_counter()
        for start in range(0, len(cmds), batch):
            data = _post(
                client, url, query, {"i": [graphql_input(c, with_type=True) for c in cmds[start : start + batch]]}
            )
            assert not data["recordEvents"]["errors"], data["recordEvents"]["errors"][:3]
        batch_rate = _rate(len(cmds), time.perf_counter() - t)
        singles = list(events(n_single, seed=4, prefix="HS"))
        bodies = [(MUTATION[c.type], INPUT[c.type], graphql_input(c, with_type=False)) for c in singles]
        t = time.perf_counter()
        for name, input_type, variables in bodies:
            q = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ event {{ id }} errors {{ field message }} }} }}"
            data = _post(client, url, q, {"i": variables})
            assert not data[name]["errors"], data[name]["errors"]
        single_rate = _rate(len(singles), time.perf_counter() - t)
        concurrent = list(events(n_single, seed=5, prefix="HC"))
        concurrent_rate = asyncio.run(_concurrent_singles(url, concurrent, clients))
        return single_rate, batch_rate, concurrent_rate


async def _concurrent_singles(url: str, cmds: list[EventCommand], clients: int) -> float:
    """Single mutations from `clients` clients at once, each sending its next when answered.
    The workload's events depend on earlier ones (a production uses received lots): the
    clients take them in order from one queue, and one refused for a lot not yet received
    (its receipt still in flight) is sent again."""
    queue: asyncio.Queue[EventCommand] = asyncio.Queue()
    for c in cmds:
        queue.put_nowait(c)
    retries = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal retries
        while not queue.empty():
            c = queue.get_nowait()
            name, input_type = MUTATION[c.type], INPUT[c.type]
            q = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ event {{ id }} errors {{ field message }} }} }}"
            for _ in range(50):
                r = await http.post(url, json={"query": q, "variables": {"i": graphql_input(c, with_type=False)}})
                r.raise_for_status()
                if not r.json()["data"][name]["errors"]:
                    break
                retries += 1
                await asyncio.sleep(0.005)
            else:
                raise RuntimeError(f"event refused 50 times: {r.text[:500]}")

    async with httpx.AsyncClient(headers=AUTH, timeout=120, trust_env=False) as http:
        t = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        rate = _rate(len(cmds), time.perf_counter() - t)
    if retries:
        print(f"  ({retries} retries of events whose inputs were still in flight)")
    return rate


# What the table shows, in order: (key, what, the floor it is compared with, the aim).
ROWS = (
    ("floor-single", "floor: one event node per transaction", None, None),
    ("floor-batch", "floor: {batch} event nodes per transaction", None, None),
    ("batch", "service: batch path, {batch} per call", "floor-batch", AIM_BATCH),
    ("single", "service: single events (Ledger.record)", "floor-single", None),
    ("http-single", "GraphQL HTTP: single mutations, 1 client", "floor-single", AIM_SINGLE_HTTP),
    ("http-concurrent", "GraphQL HTTP: single mutations, {clients} clients", "floor-single", AIM_SINGLE_HTTP),
    ("http-batch", "GraphQL HTTP: recordEvents, {batch} per request", "floor-batch", AIM_BATCH),
)


def measure(store: str, neo4j: dict[str, str] | None, args: argparse.Namespace, body_size: int) -> dict[str, float]:
    """Every figure on one store (Ladybug, or Neo4j with `neo4j`), each printed as it comes."""
    f: dict[str, float] = {}
    n_floor_batch = max(args.batch * 10, 10_000)
    if neo4j is None:
        f["floor-single"], f["floor-batch"] = baseline(args.singles, n_floor_batch, body_size)
        where = "Ladybug alone"
    else:
        f["floor-single"], f["floor-batch"], agent = asyncio.run(
            baseline_neo4j(neo4j, args.singles, n_floor_batch, body_size)
        )
        where = f"{agent} alone over Bolt"
    print(
        f"{store:<7} floor    {where}, one {body_size}-byte event node per transaction: {f['floor-single']:8.0f} events/s"
    )
    print(f"{store:<7} floor    {where}, {args.batch} event nodes per transaction: {f['floor-batch']:8.0f} events/s")

    f["batch"], f["single"], total = asyncio.run(service_on(neo4j, args.events, args.singles, args.batch))
    print(
        f"{store:<7} service  batch path, {args.events} events in batches of {args.batch}: {f['batch']:8.0f} events/s"
        f"  ({f['batch'] / f['floor-batch']:.2f} x floor, {f['batch'] / AIM_BATCH:.2f} x aim {AIM_BATCH:.0f})"
    )
    print(
        f"{store:<7} service  single events on a {total}-event ledger       : {f['single']:8.0f} events/s"
        f"  ({f['single'] / f['floor-single']:.2f} x floor)"
    )

    f["http-single"], f["http-batch"], f["http-concurrent"] = http(
        args.singles, args.http_batches, args.batch, args.clients, neo4j
    )
    for key, what in (
        ("http-single", "single mutations over HTTP, one event each     "),
        ("http-concurrent", f"single mutations over HTTP, {args.clients} clients at once "),
    ):
        print(
            f"{store:<7} graphql  {what}: {f[key]:8.0f} events/s  ({f[key] / f['floor-single']:.2f} x floor, "
            f"{f[key] / AIM_SINGLE_HTTP:.2f} x aim {AIM_SINGLE_HTTP:.0f})"
        )
    print(
        f"{store:<7} graphql  recordEvents over HTTP, {args.batch} per request        : {f['http-batch']:8.0f} events/s"
        f"  ({f['http-batch'] / f['floor-batch']:.2f} x floor, {f['http-batch'] / AIM_BATCH:.2f} x aim {AIM_BATCH:.0f})",
        flush=True,
    )
    return f


def table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """One line per figure: events/s on each store, its ratio to that store's floor, Neo4j's to Ladybug's."""
    stores = list(results)
    print(f"\n{'events/s':<45} | " + " | ".join(f"{s:>9} {'x floor':>7}" for s in stores), end="")
    print(f" | {'Neo4j/Ladybug':>13} | {'aim':>5}" if len(stores) == 2 else f" | {'aim':>5}")
    for key, what, floor, aim in ROWS:
        cells = []
        for s in stores:
            v = results[s][key]
            cells.append(f"{v:>9.0f} {v / results[s][floor]:>7.2f}" if floor else f"{v:>9.0f} {'':>7}")
        line = f"{what.format(batch=args.batch, clients=args.clients):<45} | " + " | ".join(cells)
        if len(stores) == 2:
            line += f" | {results[stores[1]][key] / results[stores[0]][key]:>13.2f}"
        print(line + (f" | {aim:>5.0f}" if aim else f" | {'':>5}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events loaded through the batch path")
    parser.add_argument("--singles", type=int, default=2000, help="single events recorded on top")
    parser.add_argument("--batch", type=int, default=1000, help="events per batch")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients sending single mutations")
    parser.add_argument("--http-batches", type=int, default=10, help="recordEvents requests over HTTP")
    parser.add_argument(
        "--neo4j",
        action="store_true",
        help="after Ladybug, the same on the Neo4j TRACEGRAPH_NEO4J_URI names (its graph wiped)",
    )
    args = parser.parse_args()
    neo4j = neo4j_env(args.neo4j)

    sample = next(events(1, seed=1))
    body_size = 2 * len(sample.model_dump_json())  # an event record holds its command and its moves
    print(
        f"tracegraph ingest benchmark: {os.cpu_count()} cores, Ladybug {ladybug.__version__ if hasattr(ladybug, '__version__') else ''}".rstrip()
    )
    results = {"Ladybug": measure("Ladybug", None, args, body_size)}
    if neo4j is not None:
        results["Neo4j"] = measure("Neo4j", neo4j, args, body_size)
    table(results, args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB (Neo4j's own is in its JVM, not counted)")


if __name__ == "__main__":
    main()
