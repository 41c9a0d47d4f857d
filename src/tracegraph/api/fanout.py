"""Shared subscriptions: identical subscriptions are executed once and fanned out.

A thousand dashboards subscribed with the same document and variables would otherwise execute
that document a thousand times per event. Here the first of them starts one execution. Each
result it yields is encoded once, as the `payload` of a graphql-transport-ws `next` message,
and written by that one task straight onto every member's WebSocket (the member's operation id
spliced in): no per-subscriber task wake-up, GraphQL result handling or JSON encoding. Strawberry
still runs the protocol (connection, subscribe, complete, errors, ping/pong); the member's stream
it iterates only waits for the end, which it then completes as usual.

A socket that does not take data at once (its client reads too slowly) gets its frames queued;
a member with more than `queue_size` frames waiting is closed with OVERFLOW_CLOSE_CODE without
slowing the others. Subscriptions that resume (`after`) replay per subscriber and are not shared;
neither are queries and mutations sent over the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections import deque
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, parse
from graphql.language import ArgumentNode, OperationDefinitionNode, Visitor, visit
from starlette.websockets import WebSocket, WebSocketState
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.types import ExecutionResult

from ..domain import consistency
from .context import Context
from .subscriptions import OVERFLOW_CLOSE_CODE, OVERFLOW_REASON, visibility_key

# The graphql-transport-ws operation being started in this task (TransportWSHandler.run_operation).
_OPERATION: ContextVar[tuple[BaseGraphQLTransportWSHandler[Any, Any], Operation[Any, Any]] | None] = ContextVar(
    "tracegraph_ws_operation", default=None
)


WS_PROTOCOL = "tracegraph.ws_protocol"  # the scope key of uvicorn's protocol object for a WebSocket

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State
except ImportError:  # pragma: no cover - another server, or an older uvicorn
    WebSocketsSansIOProtocol = None  # type: ignore[assignment, misc]
# What `_Member.flush` uses of it (uvicorn 0.35 to 0.54 at least); without any, the ASGI path.
_PROTOCOL_ATTRIBUTES = (
    "conn",
    "transport",
    "writable",
    "disconnected",
    "close_sent",
    "handshake_complete",
    "initial_response",
)


class ExposeWebSocketProtocol:
    """ASGI middleware, outermost: puts uvicorn's WebSocket protocol object (websockets-sansio,
    uvicorn's default with `websockets` installed) in the scope, when that is what serves the
    socket, so that a burst of shared results is framed and written in one system call per
    socket (`_Member.flush`). Anything else keeps the plain ASGI path."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and WebSocketsSansIOProtocol is not None:
            protocol = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol) and all(
                hasattr(protocol, a) for a in _PROTOCOL_ATTRIBUTES
            ):
                scope[WS_PROTOCOL] = protocol
        await self.app(scope, receive, send)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's graphql-transport-ws handler, telling `SharedSubscriptions.stream` which
    operation (id, socket) it starts, so a shared result can be written to it directly."""

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        _OPERATION.set((self, operation))  # the operation's own task: seen by this task only
        await super().run_operation(operation)


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


def next_payload(result: ExecutionResult) -> dict[str, Any]:
    """The `payload` of a graphql-transport-ws `next` message, as strawberry builds it."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


_END = object()  # the shared execution ended
_OVERFLOW = object()  # this member fell too far behind
_GONE = object()  # this member's socket failed: wait to be cancelled


class _Member:
    """One subscriber of a shared execution: its socket and operation, and what waits for it."""

    def __init__(
        self,
        ws: WebSocket | None,
        operation: tuple[BaseGraphQLTransportWSHandler[Any, Any], Operation[Any, Any]] | None,
    ) -> None:
        self.ws = ws
        # For the member's stream: the end, an overflow, or (without a socket to write to, or
        # for what strawberry must handle itself, such as a pre-execution error) a result.
        self.control: asyncio.Queue[Any] = asyncio.Queue()
        self.handler: BaseGraphQLTransportWSHandler[Any, Any] | None
        self.operation: Operation[Any, Any] | None
        self.handler, self.operation = operation if operation is not None and ws is not None else (None, None)
        self.head = (
            b""
            if self.operation is None
            else f'{{"id":{json.dumps(self.operation.id)},"type":"next","payload":'.encode()
        )
        self.protocol = ws.scope.get(WS_PROTOCOL) if ws is not None else None  # uvicorn's, when known
        self.pending: list[bytes] = []  # messages (UTF-8 JSON) of this turn, written together by `flush`
        self.backlog: deque[bytes] = deque()  # messages waiting for the socket to take them
        self.writer: asyncio.Task[None] | None = None  # writing the backlog
        self.gone = False  # a send failed: the socket is closing

    @property
    def direct(self) -> bool:
        return self.operation is not None

    @property
    def waiting(self) -> int:
        if not self.direct:
            return self.control.qsize()
        return len(self.pending) + len(self.backlog) + (self.writer is not None)

    def live(self) -> bool:
        """The operation still runs (the client did not complete it) on an open socket."""
        assert self.handler is not None and self.operation is not None and self.ws is not None
        return (
            not self.gone
            and self.handler.operations.get(self.operation.id) is self.operation
            and self.ws.application_state is WebSocketState.CONNECTED
        )

    def write(self, payload: bytes) -> bool:
        """Queue a `next` message carrying `payload` (UTF-8 JSON) for `flush`, or behind those the
        socket has not taken yet; whether this member now needs a flush."""
        if not self.live():
            return False
        frame = self.head + payload + b"}"
        if self.writer is not None:
            self.backlog.append(frame)
            return False
        self.pending.append(frame)
        return len(self.pending) == 1

    def flush(self) -> None:
        """Send the frames of this turn: with uvicorn's protocol at hand and room in the socket's
        buffer, framed and written in one go (one system call for all of them); otherwise through
        ASGI, one by one as the socket takes them, by a task of their own."""
        frames, self.pending = self.pending, []
        if not frames or not self.live():
            return
        if self.writer is not None:
            self.backlog.extend(frames)
            return
        p = self.protocol
        if p is not None:
            if p.disconnected or p.close_sent or p.transport.is_closing():
                self.lost()
                return
            if p.writable.is_set() and p.handshake_complete and p.initial_response is None:
                conn = p.conn
                if conn.state is not State.OPEN:
                    self.lost()
                elif conn.extensions:  # per-message deflate: websockets frames (and compresses) them
                    for frame in frames:
                        conn.send_text(frame)
                    p.transport.write(b"".join(conn.data_to_send()))
                else:  # what websockets' send_text would write: unmasked, unfragmented text frames
                    # (after anything websockets still holds, normally nothing: uvicorn writes at once)
                    p.transport.write(b"".join([*conn.data_to_send(), *map(_text_frame, frames)]))
                return
            # The client reads too slowly: wait for it, as below.
        self.backlog.extend(frames)  # any other server: through ASGI, by a task of its own
        self.writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Write the backlog, each frame as the socket takes it."""
        try:
            while self.backlog and self.live():
                assert self.ws is not None
                await self.ws.send({"type": "websocket.send", "text": self.backlog.popleft().decode()})
        except Exception:  # noqa: BLE001 - the socket is gone
            self.lost()
        finally:
            self.writer = None

    def lost(self) -> None:
        if self.gone:
            return
        self.gone = True
        self.pending.clear()
        self.backlog.clear()
        self.control.put_nowait(_GONE)

    async def flushed(self) -> None:
        """Until what was written to this member went to its socket (or failed)."""
        self.flush()
        while self.writer is not None:
            await asyncio.wait([self.writer])  # not cancelling the writer if this is cancelled


def _text_frame(data: bytes) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455, section 5.2), as a server sends it."""
    n = len(data)
    if n < 126:
        return b"\x81" + n.to_bytes(1, "big") + data
    if n < 65536:
        return b"\x81\x7e" + n.to_bytes(2, "big") + data
    return b"\x81\x7f" + n.to_bytes(8, "big") + data


class _Shared:
    """One execution and its members."""

    def __init__(self) -> None:
        self.members: dict[_Member, None] = {}  # in subscription order
        self.task: asyncio.Task[None] | None = None
        self.dirty: list[_Member] = []  # members with frames of this turn
        self.flushing: asyncio.Handle | None = None

    def flush(self) -> None:
        """Write the frames of this turn (scheduled once per turn: a burst of results goes out
        together, one write per socket)."""
        self.flushing = None
        dirty, self.dirty = self.dirty, []
        for member in dirty:
            member.flush()


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

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if (
            query is None
            or kwargs.get("operation_extensions")
            or not isinstance(context_value, Context)
            or not shareable(query, operation_name)
        ):
            return await self._schema.stream(
                query, variable_values, context_value, root_value, operation_name, **kwargs
            )
        key = (
            query,
            json.dumps(variable_values, sort_keys=True, default=str),
            operation_name,
            visibility_key(context_value),
        )
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _Shared()
            # The execution's own context: not tied to any member's socket.
            ctx = dataclasses.replace(context_value, request=None, response=None, _loaders=None, _session=None)
            shared.task = asyncio.create_task(
                self._produce(key, shared, query, variable_values, ctx, root_value, operation_name, kwargs),
                context=consistency.detached(),  # nor to any member's Tracegraph-Bookmark
            )
        ws = context_value.request if isinstance(context_value.request, WebSocket) else None
        member = _Member(ws, _OPERATION.get())
        shared.members[member] = None
        return self._member(key, shared, member)

    async def _produce(
        self,
        key: tuple[Any, ...],
        shared: _Shared,
        query: str,
        variables: Any,
        ctx: Context,
        root_value: Any,
        operation_name: str | None,
        kwargs: dict[str, Any],
    ) -> None:
        try:
            source = await self._schema.stream(query, variables, ctx, root_value, operation_name, **kwargs)
            if isinstance(source, ExecutionResult):  # not a stream (an error before execution)
                self._hand_over(shared, source)
                return
            async with contextlib.aclosing(source):
                async for result in source:
                    if type(result) is ExecutionResult:  # noqa: E721 - not a PreExecutionError
                        self._fan_out(shared, result)
                    else:  # for strawberry to answer: a pre-execution error, incremental delivery
                        self._hand_over(shared, result)
        finally:
            if self._shared.get(key) is shared:
                del self._shared[key]
            if shared.flushing is not None:
                shared.flushing.cancel()
            shared.flush()
            for member in list(shared.members):
                member.control.put_nowait(_END)

    def _fan_out(self, shared: _Shared, result: ExecutionResult) -> None:
        payload = json.dumps(next_payload(result), separators=(",", ":")).encode()  # once for every member
        for member in list(shared.members):
            if member.waiting >= self._queue_size:
                self._overflow(shared, member)
            elif member.direct:
                if member.write(payload):
                    shared.dirty.append(member)
            else:
                member.control.put_nowait(result)
        if shared.dirty and shared.flushing is None:
            shared.flushing = asyncio.get_running_loop().call_soon(shared.flush)

    def _hand_over(self, shared: _Shared, result: Any) -> None:
        shared.flush()  # what went before, first
        for member in list(shared.members):
            member.control.put_nowait(result)

    def _overflow(self, shared: _Shared, member: _Member) -> None:
        del shared.members[member]
        member.pending.clear()
        member.backlog.clear()
        while not member.control.empty():
            member.control.get_nowait()
        member.control.put_nowait(_OVERFLOW)
        ws = member.ws
        if ws is not None and ws.application_state is WebSocketState.CONNECTED:
            task = asyncio.get_running_loop().create_task(_close(ws))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    async def _member(self, key: tuple[Any, ...], shared: _Shared, member: _Member) -> AsyncGenerator[Any, None]:
        """The member's stream as strawberry sees it: it ends when the execution does, after what
        was written to the member went out, and yields only what strawberry must send itself."""
        try:
            while True:
                item = await member.control.get()
                if item is _END:
                    await member.flushed()  # strawberry's `complete` after the last `next`
                    return
                if item is _OVERFLOW or item is _GONE:
                    if member.ws is not None:  # closing or closed: wait to be cancelled when the socket is gone
                        await asyncio.sleep(60)
                    if item is _GONE:
                        return
                    raise GraphQLError(OVERFLOW_REASON, extensions={"code": "SUBSCRIBER_OVERFLOW"})
                await member.flushed()
                yield item
                # A send to a socket with room does not suspend: without this a subscriber with a
                # backlog would send all of it in one go, holding up writers and other subscribers.
                await asyncio.sleep(0)
        finally:
            shared.members.pop(member, None)
            if member.writer is not None:
                member.writer.cancel()
            if not shared.members and shared.task is not None and not shared.task.done():
                if self._shared.get(key) is shared:
                    del self._shared[key]
                shared.task.cancel()


_closing: set[asyncio.Task[None]] = set()


async def _close(ws: WebSocket) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=OVERFLOW_CLOSE_CODE, reason=OVERFLOW_REASON)
