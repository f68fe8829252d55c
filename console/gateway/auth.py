"""Bearer-token guard for every HTTP request, as a plain ASGI middleware (no per-request task or copy).

A refused request is answered 401 with an OpenAI-style error body and counted; it reaches no
handler, so nothing is routed and nothing lands in the ledger. The counter is the only trace.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Awaitable, Callable

from console.gateway.token import bearer_matches

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REFUSAL_BODY = json.dumps(
    {
        "error": {
            "message": "missing or wrong bearer token; run `routedesk serve --show-token` to see the endpoint's token",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
).encode()


class RefusalCounter:
    """How many requests were refused for a missing or wrong token (read by `serve` and the window)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self) -> None:
        with self._lock:
            self._count += 1

    @property
    def count(self) -> int:
        return self._count


class BearerAuth:
    """Pass requests whose ``Authorization: Bearer`` matches ``token()``; refuse the rest with 401."""

    def __init__(self, app: ASGIApp, token: Callable[[], bytes], refusals: RefusalCounter) -> None:
        self.app = app
        self.token = token
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                presented = value
                break
        if bearer_matches(presented, self.token()):
            await self.app(scope, receive, send)
            return
        self.refusals.add()
        await refuse(send)


async def refuse(send: Send, message: str | None = None) -> None:
    """Answer 401 with an OpenAI-style error body (``message`` replaces the single-token wording)."""
    body = _REFUSAL_BODY if message is None else json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="routedesk"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
