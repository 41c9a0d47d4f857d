"""Master data, command builders and read-backs the contract tests share. Port calls only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand, EventRecord, EventType, Finding, LedgerEntry, Line, NewItem, Source
from tracegraph.domain.models import (  # noqa: F401  (re-exported for the tests)
    CUSTOMER,
    INVENTORY_LOSS,
    PRODUCTION,
    SCRAP,
    SUPPLIER,
    TRANSIT,
    UNKNOWN_ORIGIN,
    Balance,
    Location,
    Material,
    MaterialKind,
    Order,
    OrderType,
    Organization,
    Tracking,
)
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.memory import MemoryStore
from tracegraph.store.neo4j import Neo4jStore
from tracegraph.store.port import BalanceFilter, EventFilter, GraphStore

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def L(
    item_id: str,
    quantity: float | None = None,
    unit: str | None = None,  # noqa: N802
    location_id: str | None = None,
) -> Line:
    return Line(item_id=item_id, quantity=quantity, unit=unit, location_id=location_id)


def cmd(type: str, **fields: Any) -> EventCommand:  # noqa: A002
    return EventCommand(type=EventType(type), **fields)


def lot(item_id: str, material_id: str, **fields: Any) -> NewItem:
    return NewItem(id=item_id, material_id=material_id, **fields)


FLOUR_SHELF_LIFE = 3650


async def bakery(store: GraphStore) -> None:
    """Flour in bags, sugar, dough, bread by the piece, serial-tracked frames; four locations."""
    await store.create("Organization", Organization(id="ACME", name="Acme Foods"))
    await store.create("Organization", Organization(id="SHOP", name="Corner Shop"))
    for m in (
        # Ten years of shelf life: lots received in 2024 may be used by commands timed now
        # (shelf life is judged at the event's time; tests/contract/test_shelf_life_store.py).
        Material(id="FLOUR", name="Flour", base_unit="KG", conversions={"BAG": 25}, shelf_life_days=FLOUR_SHELF_LIFE),
        Material(id="SUGAR", name="Sugar", base_unit="KG"),
        Material(id="DOUGH", name="Dough", base_unit="KG", kind=MaterialKind.INTERMEDIATE),
        Material(id="BREAD", name="Bread", base_unit="EA", kind=MaterialKind.PRODUCT, conversions={"TRAY": 12}),
        Material(id="FRAME", name="Frame", tracking=Tracking.SERIAL, base_unit="EA"),
    ):
        await store.create("Material", m)
    await store.create("Location", Location(id="PLANT", name="Plant", kind="SITE"))
    for loc in ("WH", "LINE", "DOCK"):
        await store.create("Location", Location(id=loc, name=loc.title(), parent_id="PLANT"))
    await store.create("Order", Order(id="PO-1", type=OrderType.PURCHASE, partner_id="SHOP"))
    await store.create("Order", Order(id="SO-1", type=OrderType.SALES, partner_id="SHOP"))


async def record(store: GraphStore, *cmds: EventCommand, source: Source = Source.COMMAND) -> list[LedgerEntry]:
    return await store.record(list(cmds), source)


async def receive(
    store: GraphStore,
    item_id: str,
    material_id: str,
    quantity: float,
    *,
    unit: str | None = None,
    location: str = "WH",
    event_id: str | None = None,
    hours: float = 0,
    **fields: Any,
) -> LedgerEntry:
    c = cmd(
        "RECEIVE",
        id=event_id or f"rcv-{item_id}",
        event_time=at(hours),
        location_id=location,
        new_items=[lot(item_id, material_id, **fields)],
        outputs=[L(item_id, quantity, unit)],
    )
    return (await record(store, c))[0]


async def balances(store: GraphStore, **filt: Any) -> dict[tuple[str, str], float]:
    return {(b.item_id, b.location_id): round(b.quantity, 9) for b in await store.balances(BalanceFilter(**filt))}


async def on_hand(store: GraphStore, item_id: str) -> dict[str, float]:
    """Every non-zero balance of an item, virtual locations included."""
    return {loc: q for (_, loc), q in (await balances(store, item_ids=[item_id])).items()}


async def all_events(store: GraphStore, **filt: Any) -> list[tuple[int, EventRecord]]:
    out: list[tuple[int, EventRecord]] = []
    after = None
    while True:
        page = await store.events(EventFilter(**filt), after, 100)
        out += page
        if len(page) < 100:
            return out
        after = page[-1][0]


async def event_ids(store: GraphStore, **filt: Any) -> list[str]:
    return [e.id for _, e in await all_events(store, **filt)]


async def all_findings(store: GraphStore) -> list[Finding]:
    return await store.findings(None, 1000)


async def forward(store: GraphStore, item_id: str) -> set[str]:
    from tracegraph.store.port import Direction

    return {t for _, t in await store.neighbours([item_id], Direction.FORWARD)}


async def backward(store: GraphStore, item_id: str) -> set[str]:
    from tracegraph.store.port import Direction

    return {s for s, _ in await store.neighbours([item_id], Direction.BACKWARD)}


@dataclass
class Snapshot:
    balances: list[Balance]
    items: list[Any]
    events: list[tuple[int, EventRecord]]
    findings: list[Finding]
    shipments: list[Any]
    locations: list[Any]


async def snapshot(store: GraphStore) -> Snapshot:
    return Snapshot(
        balances=await store.balances(BalanceFilter(include_zero=True)),
        items=await store.page("Item", None, 1000),
        events=await all_events(store),
        findings=await all_findings(store),
        shipments=await store.page("Shipment", None, 1000),
        locations=await store.page("Location", None, 1000),
    )


async def assert_refused(store: GraphStore, *cmds: EventCommand, code: str, field: str | None = None) -> DomainError:
    """The batch is refused with `code` (on `field` if given) and the store is left as it was."""
    before = await snapshot(store)
    try:
        await store.record(list(cmds), Source.COMMAND)
    except DomainError as e:
        error = e
    else:
        raise AssertionError(f"expected DomainError {code}, the batch was recorded")
    codes = [(p.code, p.field) for p in error.problems]
    assert any(c == code and (field is None or f == field) for c, f in codes), codes
    assert await snapshot(store) == before, "a refused batch changed the store"
    return error


async def assert_consistent(store: GraphStore) -> None:
    report = await store.integrity()
    assert report.ok, (report.imbalances, report.dangling)


@dataclass
class Backend:
    """What a test may need beyond the port: which store it is, raw Cypher, a reopen."""

    kind: str
    path: Path | None = None  # ladybug
    uri: str | None = None  # neo4j
    auth: tuple[str, str] = ("", "")
    database: str | None = None
    open_stores: list[GraphStore] = field(default_factory=list)

    def make(self) -> GraphStore:
        if self.kind == "memory":
            return MemoryStore()  # a new, empty one each time: nothing outlives a store
        if self.kind == "ladybug":
            assert self.path is not None
            return LadybugStore(self.path)
        assert self.uri is not None
        return Neo4jStore(self.uri, *self.auth, self.database)

    async def open(self) -> GraphStore:
        store = self.make()
        await store.open()
        self.open_stores.append(store)
        return store

    async def close(self, store: GraphStore) -> None:
        self.open_stores.remove(store)
        await store.close()

    async def reopen(self, store: GraphStore) -> GraphStore:
        """Close the store and open a new one on the same data."""
        await self.close(store)
        return await self.open()

    async def raw(self, store: GraphStore, query: str) -> None:
        """Run a write statement behind the port's back (to break the data on purpose)."""
        if isinstance(store, MemoryStore):
            raise NotImplementedError("the memory store runs no Cypher")
        if isinstance(store, LadybugStore):
            assert store._conn is not None
            await store._run(store._conn.execute, query)
        else:
            assert isinstance(store, Neo4jStore)
            async with store._session() as session:
                await (await session.run(query)).consume()
