"""Read-your-writes across server instances: the `Tracegraph-Bookmark` header.

Every answer to a request that wrote to a store that replicates (Neo4j) carries
`Tracegraph-Bookmark: <token>`, opaque. A client that sends it back on a later request, to
any instance (several tokens joined by commas, or several headers), gets reads that wait until
those writes are applied where they are served. It is read on every door: GraphQL over HTTP
and on a WebSocket's opening request (for every operation of that socket), EPCIS, exports.
A token this server did not give is refused with 400 before anything runs; on a WebSocket
the opening handshake is refused with 400 the same way.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain import consistency
from ..domain.consistency import HEADER, INVALID_BOOKMARK, Consistency, InvalidConsistencyToken

_KEY = HEADER.lower().encode("latin-1")


def refusal(e: InvalidConsistencyToken) -> dict[str, str]:
    """The body of the 400 answer to a token this server did not give."""
    return {"error": e.message, "code": INVALID_BOOKMARK, "header": HEADER}


class CausalConsistency:
    """Opens the request's `Consistency` (domain/consistency.py) from the header, and sends the
    token of its last write back in the response's."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sent = [value.decode("latin-1") for key, value in scope.get("headers", []) if key == _KEY]
        try:
            after = consistency.decode(",".join(sent)) if sent else frozenset()
        except InvalidConsistencyToken as e:
            await _refuse(scope, receive, send, refusal(e))
            return
        request = Consistency(after=after)

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and request.written:
                headers = list(message.get("headers", []))
                headers.append((_KEY, consistency.encode(request.written).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        token = consistency.begin(request)
        try:
            await self.app(scope, receive, send_with_token if scope["type"] == "http" else send)
        finally:
            consistency.end(token)


async def _refuse(scope: Scope, receive: Receive, send: Send, body: dict[str, str]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": data})
        return
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": 400, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": data})
    else:  # the server answers the handshake 403
        await send({"type": "websocket.close", "code": 1008, "reason": body["error"][:120]})
