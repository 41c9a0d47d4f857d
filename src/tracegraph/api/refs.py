"""References between the GraphQL types: loaded through the operation's DataLoaders (which
answer only what the caller may see), and identifiers that may be null."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import strawberry
from strawberry.dataloader import DataLoader

T = TypeVar("T")
M = TypeVar("M")
K = TypeVar("K")


async def load_one(loader: DataLoader[K, M | None], key: K | None, wrap: Callable[[M], T]) -> T | None:
    if key is None:
        return None
    found = await loader.load(key)
    return None if found is None else wrap(found)


async def load_many(loader: DataLoader[K, M | None], keys: Sequence[K], wrap: Callable[[M], T]) -> list[T]:
    return [wrap(x) for x in await loader.load_many(keys) if x is not None]


def optional_id(value: str | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(value)
