"""What a trace reports about the items it reached, read from their events.

Pure functions over recorded events: the service walks lineage, loads the events of what it
reached, and asks these what left (deliveries) and when each item was first and last seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel

from .events import EventRecord, EventType


class Delivery(BaseModel):
    """A quantity of an item that a shipment took to a partner or location."""

    item_id: str
    quantity: float  # in the item's unit
    event_id: str
    event_time: datetime
    shipment_id: str | None = None
    partner_id: str | None = None
    destination_id: str  # the location it went to (a partner's, or the virtual customer)


def _standing(events: Iterable[EventRecord]) -> list[EventRecord]:
    """The events that still count: without corrections and the events they reversed."""
    events = list(events)
    reversed_ids = {e.reverses for e in events if e.reverses}
    return [e for e in events if e.type is not EventType.CORRECTION and e.id not in reversed_ids]


def deliveries(events_by_item: Mapping[str, Iterable[EventRecord]]) -> list[Delivery]:
    """Every shipment of the given items still standing, in event time order.

    An event that touched several of the items appears once per item it shipped; an event
    listed under several items is counted once.
    """
    seen: dict[str, EventRecord] = {}
    for events in events_by_item.values():
        for e in events:
            seen.setdefault(e.id, e)
    items = set(events_by_item)
    out = [
        Delivery(item_id=m.item_id, quantity=m.quantity, event_id=e.id, event_time=e.event_time,
                 shipment_id=e.shipment_id, partner_id=e.partner_id, destination_id=m.to_location_id)
        for e in _standing(seen.values()) if e.type is EventType.SHIP
        for m in e.moves if m.item_id in items and m.quantity > 0
    ]
    return sorted(out, key=lambda d: (d.event_time, d.event_id, d.item_id))


def event_span(events: Iterable[EventRecord]) -> tuple[datetime, datetime] | None:
    """The first and last event time among an item's standing events; None if it has none."""
    times = [e.event_time for e in _standing(events)]
    return (min(times), max(times)) if times else None
