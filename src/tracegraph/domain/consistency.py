"""Causal consistency across a client's requests, whichever server instance serves them.

A store that replicates (Neo4j in a cluster) names a point of its history after each write
(Neo4j: bookmarks). The door of a request opens a `Consistency` for it (`begin`): what the
client sent back from its earlier writes (`after`, the reads of this request wait until the
store has applied them) and what this request's last write gave (`written`, sent back to the
client). It travels in a context variable, so no use case and no domain type carries it: the
store reads `current()`. A store that does not replicate (Ladybug, memory) ignores it and
gives nothing.

On the wire (`encode`, `decode`) a token is opaque: base64url of a JSON list of the store's
strings; several tokens may be joined with commas. Clients carry it in the `HEADER` of HTTP
requests and answers (http/consistency.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from contextvars import Context, ContextVar, Token, copy_context
from dataclasses import dataclass

HEADER = "Tracegraph-Bookmark"
MAX_TOKEN_CHARS = 8192  # a client's tokens together; a Neo4j bookmark is under 100 characters
MAX_VALUES = 64


INVALID_BOOKMARK = "INVALID_BOOKMARK"


class InvalidConsistencyToken(ValueError):
    """A consistency token a client sent is not one this server gave (malformed, or refused by
    the store): the request is refused (HTTP 400) before it runs."""

    def __init__(self, reason: str):
        self.reason = reason
        self.message = (
            f"the {HEADER} header is not valid ({reason}): send back only the value of a {HEADER} "
            f"header an answer gave, or no {HEADER} header"
        )
        super().__init__(self.message)
        self.extensions = {"code": INVALID_BOOKMARK, "header": HEADER}


@dataclass
class Consistency:
    """One request's causal consistency: the store's values its reads wait for, and those of its
    last write."""

    after: frozenset[str] = frozenset()
    written: frozenset[str] = frozenset()


_current: ContextVar[Consistency | None] = ContextVar("tracegraph.consistency", default=None)


def current() -> Consistency | None:
    """The consistency of the request being served (None outside a request: start-up, the bus)."""
    return _current.get()


def begin(consistency: Consistency) -> Token[Consistency | None]:
    """Serve what follows (and the tasks it starts) under `consistency`; `end` with the token."""
    return _current.set(consistency)


def end(token: Token[Consistency | None]) -> None:
    _current.reset(token)


def detached() -> Context:
    """The current context without a request's consistency: for a task that serves several
    requests (a shared subscription), which no one client's token may hold up or fail."""
    context = copy_context()
    context.run(_current.set, None)
    return context


def encode(values: Iterable[str]) -> str:
    """The token of a store's values, opaque to clients."""
    raw = json.dumps(sorted(set(values)), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(text: str) -> frozenset[str]:
    """The store's values of one or more tokens joined by commas; InvalidConsistencyToken when
    one is not a token `encode` made."""
    if len(text) > MAX_TOKEN_CHARS:
        raise InvalidConsistencyToken(f"longer than {MAX_TOKEN_CHARS} characters")
    values: set[str] = set()
    for n, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            found = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidConsistencyToken(f"token {n + 1} is not one this server gave") from None
        if not isinstance(found, list) or not all(isinstance(v, str) and v for v in found):
            raise InvalidConsistencyToken(f"token {n + 1} is not one this server gave")
        values.update(found)
    if len(values) > MAX_VALUES:
        raise InvalidConsistencyToken(f"more than {MAX_VALUES} values")
    return frozenset(values)
