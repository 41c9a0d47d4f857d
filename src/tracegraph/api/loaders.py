"""DataLoaders: every read a list of nodes needs, batched into one ledger call per kind.

One `Loaders` lives on the context of each operation; its caches last that operation only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from strawberry.dataloader import DataLoader

from ..domain.actions import ActionType
from ..domain.events import EventRecord
from ..domain.models import Balance, Classification, Item, Location, Material, Order, Organization, Shipment
from ..domain.query import BalanceFilter, Direction
from ..services.session import Session

V = TypeVar("V")


def _by_id(fetch: Callable[[Sequence[str]], Awaitable[dict[str, V]]]) -> DataLoader[str, V | None]:
    async def load(keys: list[str]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Loaders by id (None when absent) and per item (balances, events, one hop of lineage)."""

    def __init__(self, session: Session):
        self.session = session
        self.items: DataLoader[str, Item | None] = _by_id(session.items)
        self.materials: DataLoader[str, Material | None] = _by_id(partial(session.master, "Material"))
        self.locations: DataLoader[str, Location | None] = _by_id(partial(session.master, "Location"))
        self.organizations: DataLoader[str, Organization | None] = _by_id(partial(session.master, "Organization"))
        self.orders: DataLoader[str, Order | None] = _by_id(partial(session.master, "Order"))
        self.shipments: DataLoader[str, Shipment | None] = _by_id(partial(session.master, "Shipment"))
        self.classifications: DataLoader[str, Classification | None] = _by_id(partial(session.master, "Classification"))
        self.action_types: DataLoader[str, ActionType | None] = _by_id(partial(session.master, "ActionType"))
        self.events: DataLoader[str, EventRecord | None] = _by_id(session.events_by_id)
        self.balances: DataLoader[str, list[Balance]] = DataLoader(load_fn=self._balances)
        self.events_of_items: DataLoader[str, list[EventRecord]] = DataLoader(load_fn=self._events_of_items)
        self.outputs: DataLoader[str, list[str]] = DataLoader(load_fn=self._hop(Direction.FORWARD))
        self.inputs: DataLoader[str, list[str]] = DataLoader(load_fn=self._hop(Direction.BACKWARD))

    async def _balances(self, item_ids: list[str]) -> list[list[Balance]]:
        """Every non-zero balance of each item, virtual locations included."""
        grouped: dict[str, list[Balance]] = defaultdict(list)
        for b in await self.session.balances(BalanceFilter(item_ids=item_ids, include_virtual=True)):
            grouped[b.item_id].append(b)
        return [grouped[i] for i in item_ids]

    async def _events_of_items(self, item_ids: list[str]) -> list[list[EventRecord]]:
        found = await self.session.events_of_items(item_ids)
        return [found.get(i, []) for i in item_ids]

    def _hop(self, direction: Direction) -> Callable[[list[str]], Awaitable[list[list[str]]]]:
        async def load(ids: list[str]) -> list[list[str]]:
            grouped: dict[str, list[str]] = defaultdict(list)
            for source, target in await self.session.neighbours(ids, direction):
                start, end = (source, target) if direction is Direction.FORWARD else (target, source)
                if end not in grouped[start]:
                    grouped[start].append(end)
            return [grouped[i] for i in ids]

        return load

    def prime_items(self, items: Sequence[Item]) -> None:
        for item in items:
            self.items.prime(item.id, item)
