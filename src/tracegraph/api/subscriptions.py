"""Subscriptions: live events from the bus, each delivered once after its commit."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from typing import Annotated

import strawberry

from ..domain.events import EventType, LedgerEntry
from .context import Info
from .types import RecordedEvent


def _matches(entry: LedgerEntry, item_id: str | None, type: EventType | None, location_id: str | None) -> bool:
    e = entry.event
    if type is not None and e.type is not type:
        return False
    if item_id is not None and item_id not in e.item_ids:
        return False
    if location_id is not None:
        places = {e.location_id} | {m.from_location_id for m in e.moves} | {m.to_location_id for m in e.moves}
        if location_id not in places:
            return False
    return True


@strawberry.type(description="Live events, over WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(description="Every event recorded from now on, once it is committed; optionally "
                             "only those touching an item, of a type, or at a location.")
    async def event_recorded(
        self, info: Info,
        item_id: Annotated[str | None, strawberry.argument(description="Only events touching this item.")] = None,
        type: Annotated[EventType | None, strawberry.argument(description="Only events of this type.")] = None,
        location_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only events at this location, or moving stock from or to it.")] = None,
    ) -> AsyncGenerator[RecordedEvent, None]:
        async for entry in info.context.bus.subscribe():
            if _matches(entry, item_id, type, location_id):
                info.context.fresh_loaders()  # each event's nested fields read the ledger as it is now
                yield RecordedEvent.from_entry(entry)
