"""The vocabulary of reads: trace directions, filters and the kinds of nodes read by id. Pure
Python, shared by the services, the stores and the doors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Literal

from .events import EventType, Source

# Master-data kinds a store keeps, by node label.
MasterKind = Literal["Organization", "Material", "Location", "Order"]
ReadKind = Literal["Organization", "Material", "Location", "Order", "Item", "Shipment"]


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


@dataclass(frozen=True)
class ItemFilter:
    material_id: str | None = None
    kind: str | None = None
    status: str | None = None
    lot_code: str | None = None  # the lot or serial number (a label's GS1 key names it)
