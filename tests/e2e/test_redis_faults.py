"""Redis killed and started again under writes and subscribers, across two server instances on
one Neo4j: the store is the truth and Redis only carries news of it, so

- every write is acknowledged while Redis is away, quickly, never a 500 (the bus is not in the
  write path), and /health says the bus is disconnected (still 200: the instance serves);
- once Redis is back on the same port, both instances subscribe again by themselves;
- every subscriber, on either instance, ends up with every acknowledged event exactly once and
  in the store's commit order: what Redis lost is read from the store's event log.

Below that, on one process and the in-memory store, the bus orders what Redis brings out of
order or twice, by the place of each entry in the store's log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from live_kit import RECEIVE, SETUP, Listener, committed, warm_up
from servers import AUTH, RedisServer, Server, restartable_redis, run_server

from tracegraph.bus import EventRecorded, Message, Notice, RedisBus, StockChanged
from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import Location, Material
from tracegraph.services.ledger import Ledger
from tracegraph.store.memory import MemoryStore

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(neo4j_env: dict[str, str]) -> Iterator[tuple[RedisServer, Server, Server]]:
    with restartable_redis() as redis:
        env = {**neo4j_env, "TRACEGRAPH_REDIS_URL": redis.url}
        with run_server(env, timeout=120) as a, run_server(env, timeout=120) as b:
            r = httpx.post(f"{a.url}/graphql", headers=AUTH, json={"query": SETUP}, trust_env=False)
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            yield redis, a, b


async def bus_connected(http: httpx.AsyncClient, server: Server) -> bool:
    r = await http.get(f"{server.url}/health")
    assert r.status_code == 200, r.text  # the store answers: the instance serves, bus or not
    return bool(r.json()["bus"]["connected"])


async def until(what: str, check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.1)


class Writer:
    """Records events on one instance, one after another, until stopped; every answer must be
    an acknowledgement, quick."""

    def __init__(self, http: httpx.AsyncClient, server: Server, name: str) -> None:
        self.http, self.server, self.name = http, server, name
        self.acknowledged: list[str] = []
        self.slowest = 0.0
        self.stopped = asyncio.Event()
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        n = 0
        while not self.stopped.is_set():
            started = time.monotonic()
            r = await self.http.post(
                f"{self.server.url}/graphql", json={"query": RECEIVE, "variables": {"lot": f"FAULT-{self.name}-{n}"}}
            )
            self.slowest = max(self.slowest, time.monotonic() - started)
            assert r.status_code == 200, (r.status_code, r.text)
            payload = r.json()["data"]["receive"]
            assert payload["errors"] == [], payload
            self.acknowledged.append(payload["event"]["id"])
            n += 1

    async def stop(self) -> None:
        self.stopped.set()
        await self.task


async def test_redis_killed_and_back_loses_and_repeats_nothing(cluster: tuple[RedisServer, Server, Server]) -> None:
    redis, a, b = cluster
    listeners = [Listener(a), Listener(b), Listener(b)]
    for listener in listeners:
        listener.start()
    async with httpx.AsyncClient(headers=AUTH, trust_env=False, timeout=10) as http:
        await warm_up(http, a, b, listeners, "WARM")
        writers = [Writer(http, a, "A"), Writer(http, b, "B")]

        def acknowledged() -> int:
            return sum(len(w.acknowledged) for w in writers)

        async def more(n: int) -> bool:
            return acknowledged() >= n

        await until("writes before the kill", lambda: more(20))
        redis.kill9()
        at_kill = acknowledged()

        async def both_down() -> bool:
            return not await bus_connected(http, a) and not await bus_connected(http, b)

        await until("/health reporting the bus disconnected on both", both_down)
        await until("writes acknowledged while Redis is down", lambda: more(at_kill + 30))
        assert not await bus_connected(http, a)  # they really went through without Redis
        down = acknowledged() - at_kill
        redis.start()  # the same port

        async def both_up() -> bool:
            return await bus_connected(http, a) and await bus_connected(http, b)

        await until("both instances subscribed to Redis again", both_up)
        at_back = acknowledged()
        await until("writes after Redis is back", lambda: more(at_back + 20))
        for w in writers:
            await w.stop()

        ours = {e for w in writers for e in w.acknowledged}
        order = [e for e in await committed(http, a) if e.startswith("FAULT-") or e in ours]
        assert set(order) == ours  # the store holds exactly what was acknowledged

        async def all_delivered() -> bool:
            return all(len(listener.ids("FAULT-")) >= len(order) for listener in listeners)

        await until("every acknowledged event delivered on both instances", all_delivered)
        await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
    for listener in listeners:
        await listener.stop()
        got = listener.ids("FAULT-")
        assert len(got) == len(set(got)), "an event delivered twice"
        assert got == order  # every acknowledged event, once, in commit order
    assert down >= 30 and max(w.slowest for w in writers) < 5, [w.slowest for w in writers]


# -- the bus alone: one store, two buses, Redis bringing entries out of order -----------------


def receive_cmd(n: int) -> EventCommand:
    return EventCommand(
        type=EventType.RECEIVE,
        id=f"bus-{n}",
        location_id="WH",
        new_items=[NewItem(id=f"LOT-{n}", material_id="FLOUR")],
        outputs=[Line(item_id=f"LOT-{n}", quantity=n)],
    )


async def drain_until_sentinels(queue: asyncio.Queue[Message | None], subjects: set[str]) -> list[Message]:
    """What a subscriber got until it has seen every notice of `subjects`: each bus sends in
    order, so a notice a bus published last comes after everything that bus published (two
    buses' messages, though, may reach Redis in either order)."""
    got: list[Message] = []
    waiting = set(subjects)
    while waiting:
        message = await asyncio.wait_for(queue.get(), 10)
        assert message is not None
        if isinstance(message, Notice) and message.subject in waiting:
            waiting.discard(message.subject)
        else:
            got.append(message)
    return got


async def test_the_bus_delivers_in_the_stores_commit_order_whatever_order_redis_brings() -> None:
    store = MemoryStore()
    await store.open()
    ledger = Ledger(store)
    await ledger.create_material(Material(id="FLOUR", name="Flour", base_unit="KG"))
    await ledger.create_location(Location(id="WH", name="Store"))
    with restartable_redis() as redis:
        first, second = RedisBus(redis.url, log=ledger), RedisBus(redis.url, log=ledger)  # two instances
        await first.start()
        await second.start()
        try:
            subs = [bus.subscribe({"event", "stock", "notice"}) for bus in (first, second)]
            async with asyncio.timeout(10):  # both subscribed (and caught up on an empty log) first
                while not (first.connected and second.connected):
                    await asyncio.sleep(0.01)
            e1, e2, e3 = [await ledger.record(receive_cmd(n)) for n in (1, 2, 3)]
            assert (e1.seq, e2.seq, e3.seq) == (1, 2, 3)
            # Redis brings the third first (the others lost, or late from another instance),
            # then the first twice and the second: the bus reads 1 and 2 from the store, in
            # order, and drops what it already delivered.
            # One bus sends them all, in this order, so Redis brings them in this order (two buses'
            # messages may reach Redis in either order); both buses receive them.
            for entry in (e3, e1, e1, e2):
                await second.publish_entry(entry)
            await second.publish([Notice("sentinel", {})])
            for sub in subs:
                got = await drain_until_sentinels(sub.queue, {"sentinel"})
                assert [m.entry.event.id for m in got if isinstance(m, EventRecorded)] == ["bus-1", "bus-2", "bus-3"]
                assert [(m.item_id, m.delta) for m in got if isinstance(m, StockChanged) and m.delta > 0] == [
                    ("LOT-1", 1.0),
                    ("LOT-2", 2.0),
                    ("LOT-3", 3.0),
                ]
            assert first.health() == {"name": "redis", "connected": True}
        finally:
            await first.stop()
            await second.stop()
            await store.close()
