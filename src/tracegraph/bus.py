"""The in-process event bus: each recorded event, after its commit, to every subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from .domain.events import LedgerEntry

QUEUE_SIZE = 1000


class Bus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[LedgerEntry | None]] = set()

    async def publish(self, entry: LedgerEntry) -> None:
        for q in list(self._queues):
            try:
                q.put_nowait(entry)
            except asyncio.QueueFull:
                # A stalled subscriber is dropped rather than allowed to hold up writers:
                # it gets what it had queued, then the end of its stream.
                self._queues.discard(q)
                q.get_nowait()
                q.put_nowait(None)

    async def subscribe(self) -> AsyncIterator[LedgerEntry]:
        q: asyncio.Queue[LedgerEntry | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(q)
        try:
            while True:
                entry = await q.get()
                if entry is None:
                    return
                yield entry
        finally:
            self._queues.discard(q)
