"""Shared subscriptions: identical subscriptions are executed once and fanned out.

A thousand dashboards subscribed with the same document and variables would otherwise execute
that document a thousand times per event. Here the first of them starts one execution; each
result it yields is handed to every member's own bounded queue, and strawberry sends it on
each member's WebSocket. A member that falls `queue_size` results behind is closed with
OVERFLOW_CLOSE_CODE without slowing the others. Subscriptions that resume (`after`) replay per
subscriber and are not shared; neither are queries and mutations sent over the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncGenerator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, parse
from graphql.language import ArgumentNode, OperationDefinitionNode, Visitor, visit
from starlette.websockets import WebSocket, WebSocketState
from strawberry.types import ExecutionResult

from .context import Context
from .loaders import Loaders
from .subscriptions import OVERFLOW_CLOSE_CODE, OVERFLOW_REASON, visibility_key


@lru_cache(maxsize=512)
def shareable(query: str, operation_name: str | None) -> bool:
    """A subscription without an `after` argument anywhere (a resume replays per subscriber)."""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None or op.operation is not OperationType.SUBSCRIPTION or len(ops) != 1:
        return False

    class FindAfter(Visitor):
        found = False

        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if node.name.value == "after":
                FindAfter.found = True

    visit(document, FindAfter())
    return not FindAfter.found


class _Shared:
    """One execution and the queues of the subscribers sharing it."""

    def __init__(self) -> None:
        self.members: dict[asyncio.Queue[Any], WebSocket | None] = {}
        self.task: asyncio.Task[None] | None = None


_END = object()  # the shared execution ended
_OVERFLOW = object()  # this member fell too far behind


class SharedSubscriptions:
    """A stand-in for the schema on the WebSocket view: `stream` shares identical subscriptions;
    everything else goes to the schema itself."""

    def __init__(self, schema: Any, queue_size: int) -> None:
        self._schema = schema
        self._queue_size = queue_size
        self._shared: dict[tuple[Any, ...], _Shared] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    @property
    def shared_count(self) -> int:
        return len(self._shared)

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None, **kwargs: Any) -> Any:
        if (query is None or kwargs.get("operation_extensions") or not isinstance(context_value, Context)
                or not shareable(query, operation_name)):
            return await self._schema.stream(query, variable_values, context_value, root_value, operation_name,
                                              **kwargs)
        key = (query, json.dumps(variable_values, sort_keys=True, default=str), operation_name,
               visibility_key(context_value))
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _Shared()
            # The execution's own context: not tied to any member's socket.
            ctx = dataclasses.replace(context_value, request=None, response=None,
                                      loaders=Loaders(context_value.ledger))
            shared.task = asyncio.create_task(self._produce(key, shared, query, variable_values, ctx,
                                                            root_value, operation_name, kwargs))
        queue: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        ws = context_value.request if isinstance(context_value.request, WebSocket) else None
        shared.members[queue] = ws
        return self._member(key, shared, queue, ws)

    async def _produce(self, key: tuple[Any, ...], shared: _Shared, query: str, variables: Any, ctx: Context,
                       root_value: Any, operation_name: str | None, kwargs: dict[str, Any]) -> None:
        try:
            source = await self._schema.stream(query, variables, ctx, root_value, operation_name, **kwargs)
            if isinstance(source, ExecutionResult):  # not a stream (an error before execution)
                self._fan_out(shared, source)
                return
            async with contextlib.aclosing(source):
                async for result in source:
                    self._fan_out(shared, result)
        finally:
            if self._shared.get(key) is shared:
                del self._shared[key]
            for queue in list(shared.members):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(_END)

    def _fan_out(self, shared: _Shared, result: Any) -> None:
        for queue, ws in list(shared.members.items()):
            try:
                queue.put_nowait(result)
            except asyncio.QueueFull:
                del shared.members[queue]
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(_OVERFLOW)
                if ws is not None and ws.application_state is WebSocketState.CONNECTED:
                    task = asyncio.get_running_loop().create_task(_close(ws))
                    _closing.add(task)
                    task.add_done_callback(_closing.discard)

    async def _member(self, key: tuple[Any, ...], shared: _Shared, queue: asyncio.Queue[Any],
                      ws: WebSocket | None) -> AsyncGenerator[Any, None]:
        try:
            while (result := await queue.get()) is not _END:
                if result is _OVERFLOW:
                    if ws is not None:  # closing: wait to be cancelled when the socket is gone
                        await asyncio.sleep(60)
                    raise GraphQLError(OVERFLOW_REASON, extensions={"code": "SUBSCRIBER_OVERFLOW"})
                yield result
                # A send to a socket with room does not suspend: without this a subscriber with a
                # backlog would send all of it in one go, holding up writers and other subscribers.
                await asyncio.sleep(0)
        finally:
            shared.members.pop(queue, None)
            if not shared.members and shared.task is not None and not shared.task.done():
                if self._shared.get(key) is shared:
                    del self._shared[key]
                shared.task.cancel()


_closing: set[asyncio.Task[None]] = set()


async def _close(ws: WebSocket) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=OVERFLOW_CLOSE_CODE, reason=OVERFLOW_REASON)
