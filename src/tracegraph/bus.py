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
from typing import Any, ClassVar, Literal, Protocol

from .domain import consistency
from .domain.events import EventRecord, LedgerEntry, LogHead
from .domain.query import EventFilter

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
    out += [StatusChanged(e.id, s.item_id, s.from_status, s.to_status) for s in e.status_changes]
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

    def health(self) -> dict[str, Any]:
        """What /health says of the bus."""
        return {"name": "local", "connected": True}

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


class EventLog(Protocol):
    """The store's event log in commit order, where a bus reads what Redis did not bring
    (services.ledger.Ledger)."""

    async def log_head(self) -> LogHead: ...

    async def events(self, filt: EventFilter, after: int | None, first: int) -> list[tuple[int, EventRecord]]: ...


@dataclass(frozen=True)
class _Outgoing:
    """A message waiting to go to Redis; `seq` is set for a ledger entry of this store's log,
    which a receiver can read from the store instead."""

    data: str
    seq: int | None = None
    token: tuple[str, ...] = ()


LOG_PAGE = 1000  # events read from the store per round trip when catching up
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0)  # backoff between attempts at Redis or the store


class RedisBus(Bus):
    """Redis pub/sub between server instances. A message published here goes to Redis only and
    reaches this process's subscribers back from Redis, like every other instance's: each
    subscriber gets it once. One task sends in publish order, so writers never wait on Redis;
    one task receives.

    The store is the truth; Redis only carries news of it. A committed ledger entry travels
    with its place in the store's event log (`LogHead.log` and the entry's `seq`, numbered
    without gaps in commit order), so a receiving instance on the same store delivers entries
    strictly in commit order and each once: one already delivered is dropped, and one that
    comes after a gap (messages lost while Redis was down or restarting, or another instance's
    earlier commit still on its way) is preceded by the missing ones, read from the store.
    Each time its subscription is (re)confirmed by Redis, the receiver reads from the store
    whatever was committed after the last entry it delivered. A sender that cannot reach Redis
    keeps the other messages to retry in order but replaces its entries by one mark of the
    last one's place (receivers read them from the store), so an outage costs no memory per
    write. The entry carries the Neo4j bookmarks of its write, so the read waits for it on
    whichever cluster member serves it.

    Instances with a store each (the embedded one) have logs of their own: another
    instance's entries are then delivered as Redis brings them, with nothing to catch up from.
    Notices and authentication changes are not in the log: published while Redis is away,
    they are delivered when it is back, to the instances already subscribed again; an instance
    that subscribes again drops its cached keys (a local AuthChanged), in case it missed one."""

    def __init__(
        self, url: str, queue_size: int = QUEUE_SIZE, channel: str = CHANNEL, log: EventLog | None = None
    ) -> None:
        super().__init__(queue_size)
        self.url = url
        self.channel = channel
        self.log = log
        self.connected = False  # subscribed to Redis now
        self._log_id: str | None = None
        self._last = 0  # the last entry of the store's log delivered here
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Any = None
        self._pubsub: Any = None

    def health(self) -> dict[str, Any]:
        return {"name": "redis", "connected": self.connected}

    async def start(self) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(self.url, socket_connect_timeout=5, socket_keepalive=True)
        self._pubsub = self._redis.pubsub()  # with Redis's confirmations: each one starts a catch-up
        await self._pubsub.subscribe(self.channel)  # listening before anything is published
        if self.log is not None:  # delivered from here on: what was committed before had no subscriber
            self._log_id, self._last = await self.log.log_head()
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
        self.connected = False

    async def publish_entry(self, entry: LedgerEntry) -> None:
        if self._log_id is None or entry.seq is None:
            await self.publish(messages_of(entry))
            return
        request = consistency.current()
        token = tuple(sorted(request.written)) if request is not None else ()
        data = json.dumps(
            {"t": "entry", "log": self._log_id, "seq": entry.seq, "tok": token, "entry": entry.model_dump(mode="json")}
        )
        self._outbox.put_nowait(_Outgoing(data, entry.seq, token))

    async def publish(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self._outbox.put_nowait(_Outgoing(encode(message)))

    # -- sending ----------------------------------------------------------------------------

    async def _send(self) -> None:
        batch: list[_Outgoing] = []
        failures = 0
        while True:
            if not batch:
                batch.append(await self._outbox.get())
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for out in batch:
                        pipe.publish(self.channel, out.data)
                    await pipe.execute()
                batch, failures = [], 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis unreachable: keep order, retry
                if failures == 0:
                    log.warning("publishing to Redis failed (%s); retrying", exc)
                batch = self._marked(batch)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    def _marked(self, batch: list[_Outgoing]) -> list[_Outgoing]:
        """`batch` with its ledger entries (and marks) replaced by one mark of the latest one's
        place, where the last of them was: receivers read the entries from the store."""
        places = [n for n, out in enumerate(batch) if out.seq is not None]
        if not places:
            return batch
        top = max((batch[n] for n in places), key=lambda out: out.seq or 0)
        data = json.dumps({"t": "mark", "log": self._log_id, "seq": top.seq, "tok": top.token})
        kept: list[_Outgoing] = []
        for n, out in enumerate(batch):
            if out.seq is None:
                kept.append(out)
            if n == places[-1]:
                kept.append(_Outgoing(data, top.seq, top.token))
        return kept

    # -- receiving --------------------------------------------------------------------------

    async def _receive(self) -> None:
        failures = 0
        while True:
            try:
                async for raw in self._pubsub.listen():  # reconnects and subscribes again
                    kind = raw.get("type")
                    if kind == "subscribe":
                        if failures:  # back after an outage: changes to keys may have been missed
                            log.info("subscribed to Redis again: catching up on the event log")
                            self.deliver([AuthChanged("bus", "reconnected")])  # so cached keys are read again
                        self.connected, failures = True, 0
                        await self._catch_up(None, ())
                    elif kind == "message":
                        await self._received(raw["data"])
                raise ConnectionError("the subscription ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - connection lost: listen again until Redis answers
                if self.connected or failures == 0:
                    log.warning("receiving from Redis failed (%s); reconnecting", exc)
                self.connected = False
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
                if not self._pubsub.subscribed:  # redis-py subscribes again on reconnecting, unless it forgot
                    with contextlib.suppress(Exception):
                        await self._pubsub.subscribe(self.channel)

    async def _received(self, data: str | bytes) -> None:
        try:
            m = json.loads(data)
            if m.get("t") not in ("entry", "mark"):
                self.deliver([decode(data)])
                return
            seq, token = int(m["seq"]), tuple(m.get("tok") or ())
            entry = LedgerEntry.model_validate(m["entry"]) if m["t"] == "entry" else None
        except (ValueError, KeyError, TypeError):
            log.exception("an undecodable message on %s", self.channel)
            return
        if self.log is None or m["log"] != self._log_id:  # another store's log: as it comes
            if entry is not None:
                self.deliver(messages_of(entry))
            return
        await self._catch_up(seq - 1 if entry is not None else seq, token)
        if entry is not None and seq == self._last + 1:
            self.deliver(messages_of(entry))
            self._last = seq

    async def _catch_up(self, until: int | None, token: tuple[str, ...]) -> None:
        """Deliver, from the store, the entries after the last one delivered, up to `until`
        (None: all there are); the store's reads wait for the write of `token`."""
        if self.log is None:
            return
        while until is None or self._last < until:
            first = LOG_PAGE if until is None else min(LOG_PAGE, until - self._last)
            page = await self._read_log(self._last, first, token)
            for seq, record in page:
                if seq == self._last + 1:
                    self.deliver(messages_of(LedgerEntry(event=record, seq=seq)))
                    self._last = seq
            if len(page) < first:
                if until is not None and self._last < until:  # not in the store (it was wiped?)
                    log.warning("events %d..%d are not in the store's log: skipped", self._last + 1, until)
                    self._last = until
                return

    async def _read_log(self, after: int, first: int, token: tuple[str, ...]) -> list[tuple[int, EventRecord]]:
        """A page of the store's log; while the store does not answer, tried again (Redis keeps
        what arrives meanwhile)."""
        assert self.log is not None
        failures = 0
        scope = consistency.begin(consistency.Consistency(after=frozenset(token)))
        try:
            while True:
                try:
                    return await self.log.events(EventFilter(), after, first)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the store away: try again
                    if failures == 0:
                        log.warning("reading the event log to catch up failed (%s); retrying", exc)
                    await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                    failures += 1
        finally:
            consistency.end(scope)


def make_bus(redis_url: str | None, queue_size: int = QUEUE_SIZE, log: EventLog | None = None) -> Bus:
    """The bus: Redis when `redis_url` is set (catching up on `log`), else in process."""
    return RedisBus(redis_url, queue_size, log=log) if redis_url else Bus(queue_size)
