"""The vocabulary of reads: trace directions, filters and the kinds of nodes read by id. Pure
Python, shared by the services, the stores and the doors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Literal

from .events import EventType, Source
from .models import Item

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def time_key(t: datetime | None) -> str | None:
    """A time as every store keeps it: fixed-width UTC ISO-8601 text, which sorts as time does."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime(_TIME_FORMAT)


# Master-data kinds a store keeps, by node label.
MasterKind = Literal["Organization", "Material", "Location", "Order", "Classification", "CompositionList", "ActionType"]
ReadKind = Literal[
    "Organization",
    "Material",
    "Location",
    "Order",
    "Item",
    "Shipment",
    "Classification",
    "CompositionList",
    "ActionType",
]


class Direction(str, Enum):
    FORWARD = "FORWARD"  # along `->`: where material went
    BACKWARD = "BACKWARD"  # against it: where it came from


@dataclass(frozen=True)
class EventFilter:
    types: Sequence[EventType] = ()
    item_id: str | None = None
    location_id: str | None = None
    order_id: str | None = None
    shipment_id: str | None = None
    source: Source | None = None
    since: datetime | None = None  # event time, inclusive
    until: datetime | None = None  # event time, exclusive


@dataclass(frozen=True)
class BalanceFilter:
    item_ids: Sequence[str] | None = None
    location_ids: Sequence[str] | None = None
    material_ids: Sequence[str] | None = None
    include_virtual: bool = True
    include_zero: bool = False
    expires_from: datetime | None = None  # the item's expiry, inclusive (items without one left out)
    expires_until: datetime | None = None  # the item's expiry, exclusive (items without one left out)

    @property
    def by_expiry(self) -> bool:
        return self.expires_from is not None or self.expires_until is not None

    def expiry_admits(self, expires_at: datetime | None) -> bool:
        """Whether an item expiring at `expires_at` passes the expiry range."""
        if not self.by_expiry:
            return True
        key = time_key(expires_at)
        if key is None:
            return False
        return (self.expires_from is None or key >= (time_key(self.expires_from) or "")) and (
            self.expires_until is None or key < (time_key(self.expires_until) or "")
        )


@dataclass(frozen=True)
class CharacteristicFilter:
    """Items whose characteristic `name` equals a value, or lies within a range (inclusive):
    `min`/`max` for numbers, `min_date`/`max_date` for dates (domain/characteristics.py)."""

    name: str
    equals: float | bool | str | None = None
    min: float | None = None
    max: float | None = None
    min_date: date | None = None
    max_date: date | None = None


@dataclass(frozen=True)
class ItemFilter:
    material_id: str | None = None
    kind: str | None = None
    status: str | None = None
    lot_code: str | None = None  # the lot or serial number (a label's GS1 key names it)
    expires_from: datetime | None = None  # expiry, inclusive (items without one left out)
    expires_until: datetime | None = None  # expiry, exclusive (items without one left out)
    # By a characteristic's value or range; a store searches the items of `material_id` only.
    characteristic: CharacteristicFilter | None = None


@dataclass(frozen=True)
class ExpiryFilter:
    """Items in expiry order (earliest first, then by id; those without an expiry after every
    dated one), as `GraphStore.items_by_expiry` reads them."""

    material_id: str | None = None
    kind: str | None = None
    status: str | None = None
    expires_from: datetime | None = None  # inclusive
    expires_until: datetime | None = None  # exclusive
    location_id: str | None = None  # only items on hand at this location
    on_hand: bool = False  # only items on hand at some real location
    undated: bool = True  # items without an expiry too, after every dated one (whatever the range)

    @property
    def dated_only(self) -> bool:
        return not self.undated


# Where a page in expiry order ends: (the last item's expiry as the store keeps it, or None once
# past the dated items; the last item's id).
ExpiryCursor = tuple[str | None, str]


def expiry_cursor(item: Item) -> ExpiryCursor:
    """Where a page in expiry order that ends with `item` ends."""
    return (time_key(item.expires_at), item.id)


def encode_expiry_cursor(cursor: ExpiryCursor) -> str:
    """As text: the expiry ('~' past the dated items) and the id (identifiers hold no spaces)."""
    return f"{cursor[0] or '~'} {cursor[1]}"


def decode_expiry_cursor(text: str) -> ExpiryCursor | None:
    """The cursor `encode_expiry_cursor` wrote, or None for text it did not write."""
    expiry, sep, item_id = text.partition(" ")
    if not sep or not item_id:
        return None
    if expiry == "~":
        return (None, item_id)
    try:
        datetime.fromisoformat(expiry)
    except ValueError:
        return None
    return (expiry, item_id)
