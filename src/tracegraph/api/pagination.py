"""Relay connections: the page arguments of every list (`first`, `after`), Connection, Edge and
PageInfo, opaque cursors, and paging over the ledger's reads or over a list held in memory."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Generic, TypeAlias, TypeVar

import strawberry

from ..services.ledger import MAX_PAGE
from .errors import ApiError

T = TypeVar("T")
M = TypeVar("M")

# Page arguments of every list (Relay connections, below).
MAX_FIRST = MAX_PAGE
DEFAULT_FIRST = 50
First: TypeAlias = Annotated[int, strawberry.argument(description=f"How many to return: 1 to {MAX_FIRST}.")]
After: TypeAlias = Annotated[str | None, strawberry.argument(description="The `endCursor` of the page before.")]


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more follow the last edge.")
    has_previous_page: bool = strawberry.field(description="True when this page started after a cursor.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge: pass it as `after`.")


@strawberry.type(description="A node of a page and the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="An opaque cursor: pass it as `after`.")
    node: T = strawberry.field(description="The node.")


@strawberry.type(description="A page of a list, in the list's order.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's nodes with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")

    @strawberry.field(description="The page's nodes, without cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def encode_cursor(kind: str, key: object) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        prefix, key = "", ""
    if prefix != kind or not key:
        raise ApiError(f"`after` is not a cursor of this list: {cursor[:40]!r}", field="after")
    return key


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise ApiError(f"`first` must be between 1 and {MAX_FIRST}, got {first}", field="first")
    return first


R = TypeVar("R")


async def paginate(
    kind: str,
    first: int,
    after: str | None,
    fetch: Callable[[str | None, int], Awaitable[Sequence[R]]],
    key: Callable[[R], object],
    wrap: Callable[[R], T],
) -> Connection[T]:
    """A page of `first` rows after the cursor; `fetch(after_key, n)` reads up to n rows."""
    n = check_first(first)
    rows = list(await fetch(decode_cursor(kind, after), n + 1))
    has_next = len(rows) > n
    rows = rows[:n]
    if not has_next and rows and len(rows) == n and n + 1 > MAX_PAGE:  # the ledger caps reads at MAX_PAGE
        has_next = bool(await fetch(str(key(rows[-1])), 1))
    edges = [Edge(cursor=encode_cursor(kind, key(r)), node=wrap(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def page_of_list(
    kind: str,
    rows: Sequence[M],
    first: int,
    after: str | None,
    wrap: Callable[[M], T],
) -> Connection[T]:
    """A page of a list held in memory; the cursor is the position."""
    n = check_first(first)
    key = decode_cursor(kind, after)
    if key is not None and not key.isdigit():
        raise ApiError("`after` is not a cursor of this list", field="after")
    start = int(key) + 1 if key is not None else 0
    edges = [Edge(cursor=encode_cursor(kind, start + k), node=wrap(r)) for k, r in enumerate(rows[start : start + n])]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + n < len(rows),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
