"""Ingest benchmark: events recorded per second on the embedded store.

Measures, in one run, on a generated plant-like dataset (bench/workload.py):
  - the service layer: the batch path (Ledger.record_many) loading the dataset, then single
    events recorded one by one on top of it;
  - GraphQL over HTTP against a real server process: single mutations (receive, produce,
    move, ship: one event per request) and the batch path (recordEvents);
  - the baseline: Ladybug itself creating one event node of the same size per transaction,
    and a thousand per transaction, with nothing else; every figure is printed with its
    ratio to that floor and to the issue's aim.

    .venv/bin/python bench/ingest.py                # 100k events, the figures in the notes
    .venv/bin/python bench/ingest.py --events 20000 # quicker
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
from workload import events, master_data  # noqa: E402

from tracegraph.domain.events import EventCommand, EventType  # noqa: E402
from tracegraph.services.ledger import Ledger  # noqa: E402
from tracegraph.store.ladybug import LadybugStore  # noqa: E402

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


# -- service layer --------------------------------------------------------------------------


async def service(n_events: int, n_single: int, batch: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as d:
        store = LadybugStore(d)
        await store.open()
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
        await store.close()
        return batch_rate, single_rate, report.events


# -- GraphQL over HTTP ----------------------------------------------------------------------


def _post(client: httpx.Client, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = client.post(url, json={"query": query, "variables": variables})
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(json.dumps(body["errors"])[:2000])
    return body["data"]


def http(n_single: int, n_batches: int, batch: int, clients: int) -> tuple[float, float, float]:
    from servers import run_server

    with (
        run_server(env={"TRACEGRAPH_LOG_LEVEL": "warning"}) as server,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events loaded through the batch path")
    parser.add_argument("--singles", type=int, default=2000, help="single events recorded on top")
    parser.add_argument("--batch", type=int, default=1000, help="events per batch")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients sending single mutations")
    parser.add_argument("--http-batches", type=int, default=10, help="recordEvents requests over HTTP")
    args = parser.parse_args()

    sample = next(events(1, seed=1))
    body_size = 2 * len(sample.model_dump_json())  # an event record holds its command and its moves
    print(
        f"tracegraph ingest benchmark: {os.cpu_count()} cores, Ladybug {ladybug.__version__ if hasattr(ladybug, '__version__') else ''}".rstrip()
    )
    base_single, base_batch = baseline(args.singles, max(args.batch * 10, 10_000), body_size)
    print(f"baseline  Ladybug alone, one {body_size}-byte event node per transaction : {base_single:8.0f} events/s")
    print(f"baseline  Ladybug alone, {args.batch} event nodes per transaction          : {base_batch:8.0f} events/s")

    batch_rate, single_rate, total = asyncio.run(service(args.events, args.singles, args.batch))
    print(
        f"service   batch path, {args.events} events in batches of {args.batch}: {batch_rate:8.0f} events/s"
        f"  ({batch_rate / base_batch:.2f} x baseline, {batch_rate / AIM_BATCH:.2f} x aim {AIM_BATCH:.0f})"
    )
    print(
        f"service   single events on a {total}-event ledger       : {single_rate:8.0f} events/s"
        f"  ({single_rate / base_single:.2f} x baseline)"
    )

    http_single, http_batch, http_concurrent = http(args.singles, args.http_batches, args.batch, args.clients)
    print(
        f"graphql   single mutations over HTTP, one event each      : {http_single:8.0f} events/s"
        f"  ({http_single / base_single:.2f} x baseline, {http_single / AIM_SINGLE_HTTP:.2f} x aim "
        f"{AIM_SINGLE_HTTP:.0f})"
    )
    print(
        f"graphql   single mutations over HTTP, {args.clients} clients at once  : {http_concurrent:8.0f} events/s"
        f"  ({http_concurrent / base_single:.2f} x baseline, {http_concurrent / AIM_SINGLE_HTTP:.2f} x aim "
        f"{AIM_SINGLE_HTTP:.0f})"
    )
    print(
        f"graphql   recordEvents over HTTP, {args.batch} per request         : {http_batch:8.0f} events/s"
        f"  ({http_batch / base_batch:.2f} x baseline, {http_batch / AIM_BATCH:.2f} x aim {AIM_BATCH:.0f})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
