"""The event bus: typed domain messages, after their commit, to every subscriber, once.

In-process by default (`Bus`); through Redis pub/sub when `TRACEGRAPH_REDIS_URL` is set
(`RedisBus`), so that every server instance behind a load balancer delivers the same stream.
Each subscriber has a bounded queue: a publisher never waits for a subscriber, and a
subscriber whose queue overflows is dropped and told (`Subscriber.overflowed`), so a stalled
client never holds up writers or other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from .domain.events import LedgerEntry

log = logging.getLogger("tracegraph.bus")

QUEUE_SIZE = 10_000  # the default bound; as large as the largest batch (services.ledger.MAX_BATCH)
CHANNEL = "tracegraph:bus"

Topic = Literal["event", "stock", "status", "notice", "auth"]


# -- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRecorded:
    """An event was committed: the whole ledger entry."""

    entry: LedgerEntry
    topic: ClassVar[Topic] = "event"


@dataclass(frozen=True)
class StockChanged:
    """An event changed the quantity of an item at a location by `delta` (in the item's unit)."""

    event_id: str
    item_id: str
    location_id: str
    delta: float
    topic: ClassVar[Topic] = "stock"


@dataclass(frozen=True)
class StatusChanged:
    """An event changed an item's status."""

    event_id: str
    item_id: str
    from_status: str
    to_status: str
    topic: ClassVar[Topic] = "status"


@dataclass(frozen=True)
class Notice:
    """A message on a named subject with a JSON payload, for services without a message type of
    their own yet (e.g. `subject="recall"` for a recall's progress)."""

    subject: str
    payload: dict[str, Any]
    topic: ClassVar[Topic] = "notice"


@dataclass(frozen=True)
class AuthChanged:
    """Something that affects authentication changed (`kind` "key": a key revoked;
    "organization": one created or renamed): every instance drops its cached lookups, closes the
    WebSockets of a revoked key and checks an organization's again (api/wsauth.py)."""

    kind: str
    id: str
    topic: ClassVar[Topic] = "auth"


Message = EventRecorded | StockChanged | StatusChanged | Notice | AuthChanged


def messages_of(entry: LedgerEntry) -> list[Message]:
    """What one committed ledger entry announces, in this order: the event, its stock changes
    (one per item and location, zero sums left out), its status changes."""
    e = entry.event
    out: list[Message] = [EventRecorded(entry)]
    out += [
        StockChanged(e.id, item, location, delta)
        for (item, location), delta in entry.balance_deltas().items()
        if delta != 0
    ]
    out += [StatusChanged(e.id, s.item_id, s.from_status.value, s.to_status.value) for s in e.status_changes]
    return out


def encode(message: Message) -> str:
    if isinstance(message, EventRecorded):
        return json.dumps({"t": "event", "entry": message.entry.model_dump(mode="json")})
    if isinstance(message, StockChanged):
        return json.dumps(
            {"t": "stock", "e": message.event_id, "i": message.item_id, "l": message.location_id, "d": message.delta}
        )
    if isinstance(message, StatusChanged):
        return json.dumps(
            {
                "t": "status",
                "e": message.event_id,
                "i": message.item_id,
                "f": message.from_status,
                "s": message.to_status,
            }
        )
    if isinstance(message, AuthChanged):
        return json.dumps({"t": "auth", "k": message.kind, "i": message.id})
    return json.dumps({"t": "notice", "s": message.subject, "p": message.payload})


def decode(data: str | bytes) -> Message:
    m = json.loads(data)
    match m["t"]:
        case "event":
            return EventRecorded(LedgerEntry.model_validate(m["entry"]))
        case "stock":
            return StockChanged(m["e"], m["i"], m["l"], float(m["d"]))
        case "status":
            return StatusChanged(m["e"], m["i"], m["f"], m["s"])
        case "notice":
            return Notice(m["s"], m["p"])
        case "auth":
            return AuthChanged(m["k"], m["i"])
    raise ValueError(f"unknown bus message type {m['t']!r}")


# -- subscribers ------------------------------------------------------------------------------


class Overflowed(Exception):
    """The subscriber's queue overflowed: it was dropped from the bus and missed messages."""


BURST = 16  # messages a subscriber takes from its queue per turn of the event loop, at most


@dataclass(eq=False)
class Subscriber:
    """One subscription's queue. `accept` (called at publish time, so cheap and synchronous)
    keeps out what the subscriber would discard anyway, so it does not count against the bound."""

    topics: frozenset[Topic]
    size: int
    accept: Callable[[Message], bool] | None = None
    on_overflow: Callable[[], None] | None = None
    overflowed: bool = False
    queue: asyncio.Queue[Message | None] = field(init=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.size)

    def offer(self, message: Message) -> bool:
        """Queue `message` unless filtered out; False when the queue overflowed."""
        if message.topic not in self.topics or (self.accept is not None and not self.accept(message)):
            return True
        try:
            self.queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            return False

    def drop(self) -> None:
        """Mark as overflowed and wake the reader: what is queued is discarded, since the client
        resumes from the last message it received."""
        self.overflowed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        if self.on_overflow is not None:
            self.on_overflow()

    async def __aiter__(self) -> AsyncIterator[Message]:
        n = 0
        while True:
            message = await self.queue.get()
            if message is None:
                raise Overflowed(f"more than {self.size} messages waited for this subscriber")
            yield message
            n += 1
            if n % BURST == 0:
                # A backlog is sent BURST messages per turn, so others get theirs; a burst that
                # goes out in one turn goes to each socket in one write (api/fanout.py).
                await asyncio.sleep(0)


class Bus:
    """The in-process bus: `publish` hands each message to every subscriber's queue at once."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscriber] = set()
        self._listeners: list[Callable[[Message], None]] = []

    def add_listener(self, listener: Callable[[Message], None]) -> None:
        """Call `listener` (synchronous, cheap) with every message this process delivers, before
        the subscribers get it: with Redis, what any instance published."""
        self._listeners.append(listener)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        """Connect what the bus needs (nothing in process)."""

    async def stop(self) -> None:
        """Disconnect; subscribers keep their queues."""

    async def publish_entry(self, entry: LedgerEntry) -> None:
        """The Ledger's listener: announce a committed entry."""
        await self.publish(messages_of(entry))

    async def publish(self, messages: Iterable[Message]) -> None:
        """Deliver messages to this process's subscribers, in order, without waiting for any."""
        self.deliver(messages)

    def deliver(self, messages: Iterable[Message]) -> None:
        for message in messages:
            for listener in self._listeners:
                try:
                    listener(message)
                except Exception:  # noqa: BLE001 - a listener's fault never stops delivery
                    log.exception("a bus listener failed")
            for sub in list(self._subscribers):
                if not sub.offer(message):
                    self._subscribers.discard(sub)
                    sub.drop()

    def subscribe(
        self,
        topics: Iterable[Topic],
        accept: Callable[[Message], bool] | None = None,
        on_overflow: Callable[[], None] | None = None,
    ) -> Subscriber:
        """Start queueing messages for a new subscriber now; `unsubscribe` it when done."""
        sub = Subscriber(frozenset(topics), self.queue_size, accept, on_overflow)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)


class RedisBus(Bus):
    """Redis pub/sub between server instances. A message published here goes to Redis only and
    reaches this process's subscribers back from Redis, like every other instance's: each
    subscriber gets it once, in the order Redis received it. One task sends in publish order, so
    writers never wait on Redis; one task receives."""

    def __init__(self, url: str, queue_size: int = QUEUE_SIZE, channel: str = CHANNEL) -> None:
        super().__init__(queue_size)
        self.url = url
        self.channel = channel
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Any = None
        self._pubsub: Any = None

    async def start(self) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(self.url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.channel)  # listening before anything is published
        self._tasks = [
            asyncio.create_task(self._send(), name="bus-send"),
            asyncio.create_task(self._receive(), name="bus-receive"),
        ]

    async def stop(self) -> None:
        if self._redis is None:
            return
        for _ in range(200):  # let what was committed go out (2 s at most)
            if self._outbox.empty():
                break
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pubsub.aclose()
        await self._redis.aclose()
        self._redis = None

    async def publish(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self._outbox.put_nowait(encode(message))

    async def _send(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            while True:
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for data in batch:
                            pipe.publish(self.channel, data)
                        await pipe.execute()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - Redis unreachable: keep order, retry
                    log.exception("publishing to Redis failed; retrying")
                    await asyncio.sleep(0.5)

    async def _receive(self) -> None:
        while True:
            try:
                async for raw in self._pubsub.listen():
                    if raw.get("type") != "message":
                        continue
                    try:
                        message = decode(raw["data"])
                    except (ValueError, KeyError):
                        log.exception("an undecodable message on %s", self.channel)
                        continue
                    self.deliver([message])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - connection lost: resubscribe until Redis answers
                log.exception("receiving from Redis failed; resubscribing")
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self.channel)


def make_bus(redis_url: str | None, queue_size: int = QUEUE_SIZE) -> Bus:
    return RedisBus(redis_url, queue_size) if redis_url else Bus(queue_size)
