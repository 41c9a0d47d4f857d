"""A hand-built `LedgerState` for planning events without a store."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tracegraph.domain.events import EventCommand, EventType, LedgerEntry, Line, NewItem, Source
from tracegraph.domain.ledger import (  # noqa: F401  (re-exported for the tests)
    LedgerState,
    advance,
    plan,
)
from tracegraph.domain.models import (  # noqa: F401  (re-exported for the tests)
    CUSTOMER,
    INVENTORY_LOSS,
    PRODUCTION,
    SCRAP,
    SUPPLIER,
    TRANSIT,
    UNKNOWN_ORIGIN,
    VIRTUAL_LOCATIONS,
    Item,
    ItemKind,
    Location,
    LocationKind,
    Material,
    Status,
    Tracking,
    VirtualKind,
)

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
NOW = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def L(
    item_id: str,
    quantity: float | None = None,
    unit: str | None = None,  # noqa: N802
    location_id: str | None = None,
) -> Line:
    return Line(item_id=item_id, quantity=quantity, unit=unit, location_id=location_id)


def cmd(type: str, **fields: Any) -> EventCommand:  # noqa: A002
    return EventCommand(type=EventType(type), **fields)


def sums_per_item(entry: LedgerEntry) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for (item_id, _), delta in entry.balance_deltas().items():
        totals[item_id] += delta
    return dict(totals)


def assert_balanced(entry: LedgerEntry) -> None:
    for item_id, total in sums_per_item(entry).items():
        assert abs(total) < 1e-9, f"moves of {item_id} sum to {total}"


class World:
    """Master data, items and balances, as a store would load them; `apply` plans and advances."""

    def __init__(self) -> None:
        self.state = LedgerState()
        for kind, loc_id in VIRTUAL_LOCATIONS.items():
            self.state.locations[loc_id] = Location(id=loc_id, name=kind.value, kind=LocationKind.VIRTUAL, virtual=kind)

    # -- master data ------------------------------------------------------------------------

    def material(
        self,
        id: str,
        *,
        tracking: Tracking = Tracking.LOT,
        base_unit: str = "KG",  # noqa: A002
        **fields: Any,
    ) -> Material:
        m = Material(id=id, name=id, tracking=tracking, base_unit=base_unit, **fields)
        self.state.materials[id] = m
        return m

    def location(self, id: str, *, virtual: VirtualKind | None = None, **fields: Any) -> Location:  # noqa: A002
        kind = LocationKind.VIRTUAL if virtual else LocationKind.LOCATION
        loc = Location(id=id, name=id, kind=kind, virtual=virtual, **fields)
        self.state.locations[id] = loc
        return loc

    # -- items ------------------------------------------------------------------------------

    def item(
        self,
        id: str,
        material_id: str | None,
        *,
        kind: ItemKind = ItemKind.LOT,  # noqa: A002
        status: Status = Status.RELEASED,
        first: datetime | None = T0,
        **fields: Any,
    ) -> Item:
        unit = self.state.materials[material_id].base_unit if material_id else fields.pop("unit", "EA")
        item = Item(
            id=id, kind=kind, material_id=material_id, unit=unit, status=status, first_event_time=first, **fields
        )
        self.state.items[id] = item
        if kind is ItemKind.SERIAL and material_id:
            self.state.serials[(material_id, item.lot_code or id)] = id
        return item

    def stock(self, item_id: str, location_id: str, quantity: float, origin: str = SUPPLIER) -> None:
        """Put quantity of an item at a location, the other side at `origin` (a receipt)."""
        b = self.state.balances
        b[(item_id, location_id)] = b.get((item_id, location_id), 0.0) + quantity
        b[(item_id, origin)] = b.get((item_id, origin), 0.0) - quantity

    def lot(self, id: str, material_id: str, quantity: float, location_id: str, **fields: Any) -> Item:  # noqa: A002
        item = self.item(id, material_id, **fields)
        self.stock(id, location_id, quantity)
        return item

    def balance(self, item_id: str, location_id: str) -> float:
        return self.state.balances.get((item_id, location_id), 0.0)

    # -- planning ---------------------------------------------------------------------------

    def plan(self, command: EventCommand, source: Source = Source.COMMAND) -> LedgerEntry:
        return plan(command, self.state, source=source, now=NOW)

    def apply(self, command: EventCommand, source: Source = Source.COMMAND) -> LedgerEntry:
        entry = self.plan(command, source)
        advance(self.state, entry)
        return entry


def bakery() -> World:
    """Flour in bags, butter, bread by the piece, a serial-tracked mixer part; three locations."""
    w = World()
    w.material("FLOUR", base_unit="KG", conversions={"BAG": 25}, shelf_life_days=180)
    w.material("BUTTER", base_unit="KG")
    w.material("DOUGH", base_unit="KG")
    w.material("BREAD", base_unit="EA", conversions={"TRAY": 12})
    w.material("FRAME", tracking=Tracking.SERIAL, base_unit="EA")
    w.material("BIKE", tracking=Tracking.SERIAL, base_unit="EA")
    for loc in ("WH", "MIX", "PACK"):
        w.location(loc)
    w.lot("FL-1", "FLOUR", 1000.0, "WH", lot_code="F1")
    w.lot("BU-1", "BUTTER", 200.0, "WH", lot_code="B1")
    return w


__all__ = ["NewItem", "World", "bakery"]
