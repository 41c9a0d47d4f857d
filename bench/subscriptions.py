"""Subscription benchmark: delivery latency from commit to receipt, and events lost.

Starts real server processes (one, or two behind a real redis-server), N WebSocket subscribers to
`eventRecorded { id recordedAt }` (graphql-transport-ws) spread over client processes, then
records events at a steady rate with GraphQL mutations (`--batch` events per transaction). Each subscriber timestamps what
it receives; latency is receipt time minus the event's `recordedAt` (set inside the committing
transaction, so the figure slightly overstates commit-to-receipt). An event is lost for a
subscriber when it never arrives; a repeat is counted too (both must be zero below the bound).
It also reports the CPU time the server processes and the client processes spent from the first
event recorded to the last one received, and the server's per delivery (µs): the clients share
the machine, so a client that costs too much holds the server back. By default they use a
minimal raw-socket graphql-transport-ws client (`--client websockets`: the websockets library).

    .venv/bin/python bench/subscriptions.py                           # the grid in docs/performance.md
    .venv/bin/python bench/subscriptions.py --subscribers 100 --rate 100 --seconds 10
    .venv/bin/python bench/subscriptions.py --instances 2 ...          # through Redis
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from servers import AUTH, Server, redis_server, run_server  # noqa: E402

SETUP = """mutation {
  createMaterial(input: {id: "FLOUR", name: "Flour", baseUnit: "KG"}) { errors { message } }
  createLocation(input: {id: "WH", name: "Warehouse"}) { errors { message } }
}"""
RECEIVE = """mutation($lot: String!) {
  receive(input: {locationId: "WH", newItems: [{id: $lot, materialId: "FLOUR"}],
                  outputs: [{itemId: $lot, quantity: 1}]}) { event { id } errors { message } }
}"""
BATCH = """mutation($input: [EventInput!]!) { recordEvents(input: $input) { events { id } errors { message } } }"""
SUBSCRIPTION = "subscription { eventRecorded { id itemIds recordedAt } }"


# -- client process: N subscribers ---------------------------------------------------------------


async def client_main(urls: list[str], n: int, out: Path) -> None:
    """Open `n` subscriptions round-robin over `urls`; print `warm` once every one has seen a
    WARM event; on stdin's end, write what each received (measured events) to `out`."""
    from websockets.asyncio.client import connect

    warm = [False] * n
    got: list[dict[str, float]] = [{} for _ in range(n)]
    repeats = [0] * n
    closes: list[int | None] = [None] * n

    async def one(k: int) -> None:
        async with connect(
            urls[k % len(urls)],
            subprotocols=["graphql-transport-ws"],
            max_size=None,
            ping_interval=None,
            max_queue=None,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": AUTH}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            try:
                async for raw in ws:
                    now = time.time()
                    m = json.loads(raw)
                    if m.get("type") != "next":
                        continue
                    e = m["payload"]["data"]["eventRecorded"]
                    lot = e["itemIds"][0]
                    if lot.startswith("WARM"):
                        warm[k] = True
                        continue
                    if e["id"] in got[k]:
                        repeats[k] += 1
                        continue
                    got[k][e["id"]] = now - datetime.fromisoformat(e["recordedAt"]).timestamp()
            finally:
                closes[k] = ws.close_code

    tasks = []
    for k in range(n):
        tasks.append(asyncio.create_task(one(k)))
        if k % 50 == 49:
            await asyncio.sleep(0.05)  # do not stampede the accept queue

    async def report_warm() -> None:
        while not all(warm):
            await asyncio.sleep(0.05)
        print("warm", flush=True)
        while True:  # then how many measured events arrived so far, for the parent's drain wait
            await asyncio.sleep(0.25)
            print(sum(len(g) for g in got), flush=True)

    warmed = asyncio.create_task(report_warm())
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent says stop
    warmed.cancel()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(json.dumps({"got": got, "repeats": repeats, "closes": closes}))


class LightSubscriber(asyncio.Protocol):
    """A minimal graphql-transport-ws client on a raw socket, cheaper per message than the
    `websockets` library, so that 1,000 subscribers' client side does not starve the server of
    the machine's CPU: the HTTP upgrade, masked client frames, unmasked unfragmented server
    frames (what uvicorn sends), ping answered with pong."""

    def __init__(self, host: str, path: str, on_text: Any, on_close: Any) -> None:
        self.host, self.path, self.on_text, self.on_close = host, path, on_text, on_close
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )

    def send(self, opcode: int, data: bytes) -> None:
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        assert self.transport is not None
        self.transport.write(head + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        pos = 0
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            assert buf.startswith(b"HTTP/1.1 101"), bytes(buf[:200])
            self.upgraded = True
            pos = end + 4
            self.send(1, json.dumps({"type": "connection_init", "payload": AUTH}).encode())
            self.send(1, json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}).encode())
        size = len(buf)
        while size - pos >= 2:
            opcode, n = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                n, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif n == 127:
                n, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size < start + n:
                break
            payload = bytes(buf[start : start + n])
            pos = start + n
            if opcode == 1:
                self.on_text(payload, now)
            elif opcode == 9:
                self.send(10, payload)
            elif opcode == 8:
                self.on_close(int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005)
                assert self.transport is not None
                self.transport.close()
        del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_close(None)


async def client_main_light(urls: list[str], n: int, out: Path) -> None:
    """As `client_main`, with LightSubscriber."""
    warm = [False] * n
    got: list[dict[str, float]] = [{} for _ in range(n)]
    repeats = [0] * n
    closes: list[int | None] = [None] * n
    loop = asyncio.get_running_loop()
    transports = []

    def receiver(k: int) -> Any:
        def on_text(raw: bytes, now: float) -> None:
            m = json.loads(raw)
            if m.get("type") != "next":
                return
            e = m["payload"]["data"]["eventRecorded"]
            if e["itemIds"][0].startswith("WARM"):
                warm[k] = True
            elif e["id"] in got[k]:
                repeats[k] += 1
            else:
                got[k][e["id"]] = now - datetime.fromisoformat(e["recordedAt"]).timestamp()

        def on_close(code: int | None) -> None:
            if closes[k] is None:
                closes[k] = code

        return on_text, on_close

    for k in range(n):
        url = urlsplit(urls[k % len(urls)])
        on_text, on_close = receiver(k)
        transport, _ = await loop.create_connection(
            lambda url=url, on_text=on_text, on_close=on_close: LightSubscriber(
                url.netloc, url.path, on_text, on_close
            ),
            url.hostname,
            url.port,
        )
        transports.append(transport)
        if k % 50 == 49:
            await asyncio.sleep(0.05)  # do not stampede the accept queue

    async def report_warm() -> None:
        while not all(warm):
            await asyncio.sleep(0.05)
        print("warm", flush=True)
        while True:
            await asyncio.sleep(0.25)
            print(sum(len(g) for g in got), flush=True)

    warmed = asyncio.create_task(report_warm())
    await loop.run_in_executor(None, sys.stdin.read)
    warmed.cancel()
    for t in transports:
        t.close()
    out.write_text(json.dumps({"got": got, "repeats": repeats, "closes": closes}))


# -- the run ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _receive(lot: str) -> dict[str, Any]:
    return {
        "type": "RECEIVE",
        "locationId": "WH",
        "newItems": [{"id": lot, "materialId": "FLOUR"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }


async def publish(
    servers: list[Server],
    prefix: str,
    rate: float,
    count: int,
    batch: int,
) -> tuple[list[str], float]:
    """Record `count` events at `rate` per second, `batch` per transaction (1: a `receive`
    mutation each, else `recordEvents`), round-robin over the servers; their ids, and the rate
    achieved."""
    ids: list[str] = []
    async with httpx.AsyncClient(
        headers=AUTH, trust_env=False, timeout=30, limits=httpx.Limits(max_connections=32)
    ) as http:

        async def one(n: int) -> None:
            server = servers[n // batch % len(servers)]
            if batch == 1:
                r = await http.post(
                    f"{server.url}/graphql", json={"query": RECEIVE, "variables": {"lot": f"{prefix}-{n}"}}
                )
                payload = r.json()["data"]["receive"]
                assert payload["errors"] == [], payload
                ids.append(payload["event"]["id"])
                return
            events = [_receive(f"{prefix}-{k}") for k in range(n, min(n + batch, count))]
            r = await http.post(f"{server.url}/graphql", json={"query": BATCH, "variables": {"input": events}})
            payload = r.json()["data"]["recordEvents"]
            assert payload["errors"] == [], payload
            ids.extend(e["id"] for e in payload["events"])

        start = time.perf_counter()
        tasks = []
        for n in range(0, count, batch):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return ids, count / elapsed


def run(
    instances: int, subscribers: int, rate: float, seconds: float, clients: int, batch: int, client: str = "light"
) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {"TRACEGRAPH_LOG_LEVEL": "warning"}
        if instances > 1:
            env["TRACEGRAPH_REDIS_URL"] = stack.enter_context(redis_server())
        servers = [stack.enter_context(run_server(env)) for _ in range(instances)]
        for s in servers:
            assert (
                "errors"
                not in httpx.post(f"{s.url}/graphql", headers=AUTH, json={"query": SETUP}, trust_env=False).json()
            )
        urls = [s.url.replace("http://", "ws://") + "/graphql" for s in servers]
        tmp = Path(stack.enter_context(contextlib.nullcontext(os.environ.get("TMPDIR", "/tmp"))))
        procs = []
        per = [subscribers // clients + (1 if k < subscribers % clients else 0) for k in range(clients)]
        for k, n in enumerate(per):
            out = tmp / f"tracegraph-bench-sub-{os.getpid()}-{k}.json"
            proc = subprocess.Popen(
                [sys.executable, __file__, "client", "--n", str(n), "--out", str(out), "--kind", client, *urls],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            procs.append((proc, out))

        async def warm_up() -> None:
            async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=30) as http:
                pending = [p for p, _ in procs]
                waiting = [asyncio.get_running_loop().run_in_executor(None, p.stdout.readline) for p in pending]
                n = 0
                while not all(w.done() for w in waiting):
                    server = servers[n % len(servers)]
                    await http.post(f"{server.url}/graphql", json={"query": RECEIVE, "variables": {"lot": f"WARM-{n}"}})
                    n += 1
                    await asyncio.sleep(0.2)
                assert all(w.result().strip() == "warm" for w in waiting)

        asyncio.run(warm_up())
        received = [0] * len(procs)

        def follow(k: int, proc: subprocess.Popen[str]) -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                received[k] = int(line)

        for k, (proc, _) in enumerate(procs):
            threading.Thread(target=follow, args=(k, proc), daemon=True).start()
        count = int(rate * seconds)
        server_cpu = [cpu_seconds(s.proc.pid) for s in servers]
        client_cpu = [cpu_seconds(p.pid) for p, _ in procs]
        started = time.monotonic()
        ids, achieved = asyncio.run(publish(servers, "BENCH", rate, count, batch))
        # Wait until every subscriber has everything, or nothing more arrives for 5 s.
        last, still = -1, time.monotonic()
        while sum(received) < subscribers * count and time.monotonic() - still < 5:
            if sum(received) != last:
                last, still = sum(received), time.monotonic()
            time.sleep(0.25)
        # CPU of the measured window: publishing and delivering (the quiet tail of at most 5 s adds little).
        wall = time.monotonic() - started
        server_cpu = [cpu_seconds(s.proc.pid) - c for s, c in zip(servers, server_cpu, strict=True)]
        client_cpu = [cpu_seconds(p.pid) - c for (p, _), c in zip(procs, client_cpu, strict=True)]
        latencies: list[float] = []
        lost = repeats = 0
        closes: list[int | None] = []
        for proc, out in procs:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(60)
            result = json.loads(out.read_text())
            out.unlink()
            for got in result["got"]:
                latencies += got.values()
                lost += sum(1 for i in ids if i not in got)
            repeats += sum(result["repeats"])
            closes += [c for c in result["closes"] if c not in (None, 1000, 1001, 1006)]
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {
        "instances": instances,
        "subscribers": subscribers,
        "rate": rate,
        "achieved_rate": round(achieved, 1),
        "events": count,
        "deliveries": len(latencies),
        "p50_ms": round(pct(50), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(1000 * latencies[-1], 1) if latencies else None,
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        "lost": lost,
        "repeats": repeats,
        "abnormal_closes": closes,
        "wall_s": round(wall, 1),
        "server_cpu_s": round(sum(server_cpu), 2),
        "client_cpu_s": round(sum(client_cpu), 2),
        "server_us_per_delivery": round(1e6 * sum(server_cpu) / len(latencies), 1) if latencies else None,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        p = argparse.ArgumentParser()
        p.add_argument("client")
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--kind", choices=["light", "websockets"], default="light")
        p.add_argument("urls", nargs="+")
        a = p.parse_args()
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run((client_main_light if a.kind == "light" else client_main)(a.urls, a.n, a.out))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subscribers", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rate", type=float, nargs="+", default=[100.0], help="events per second")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=2, help="client processes holding the subscribers")
    p.add_argument("--batch", type=int, default=10, help="events per transaction (1: one mutation per event)")
    p.add_argument(
        "--client",
        choices=["light", "websockets"],
        default="light",
        help="the subscribers' client: a minimal raw-socket one (cheap), or the websockets library",
    )
    a = p.parse_args()
    print(f"{a.seconds:.0f} s per run, {a.batch} events per transaction, {a.clients} {a.client} client processes")
    print(
        "instances subscribers rate(achieved)  p50 ms  p99 ms  max ms  delivered  lost  repeats"
        "   wall s  server CPU s (us/delivery)  client CPU s"
    )
    for instances in a.instances:
        for subscribers in a.subscribers:
            for rate in a.rate:
                r = run(instances, subscribers, rate, a.seconds, a.clients, a.batch, a.client)
                print(
                    f"{r['instances']:9} {r['subscribers']:11} {r['rate']:5.0f}({r['achieved_rate']:6.1f}) "
                    f"{r['p50_ms']:7} {r['p99_ms']:7} {r['max_ms']:7} {r['deliveries']:10} {r['lost']:5} "
                    f"{r['repeats']:8} {r['wall_s']:8} {r['server_cpu_s']:8} ({r['server_us_per_delivery']})"
                    f" {r['client_cpu_s']:13}",
                    flush=True,
                )
                if r["abnormal_closes"]:
                    print("   closes:", sorted(set(r["abnormal_closes"])), flush=True)


if __name__ == "__main__":
    main()
