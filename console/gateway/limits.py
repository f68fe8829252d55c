"""The endpoint's limits against hostile or broken clients, and the request-body guard that applies them.

A 200 MB body once took 3.5 GB and blocked every client for 15 s, and 1,100 slow-loris
connections exhausted file descriptors. So:
- a request body is read incrementally and refused with 413 once past ``max_body_bytes`` (or at
  once when its Content-Length says so), and with 408 when it does not arrive within
  ``body_timeout_s``; nothing past the limit is ever held;
- a request head (request line and headers) must arrive within ``head_timeout_s`` and be under
  ``max_head_bytes``, and at most ``max_connections`` connections stay open
  (console/gateway/connections.py, in uvicorn's protocol);
- JSON bodies over ``offload_bytes`` are parsed, and prompts over ``OFFLOAD_CHARS`` classified,
  off the event loop (console/gateway/body.py, console/core/engine.py), so one big request does
  not stall the others.
Upstream answers are capped in the providers' HTTP layer (console/core/providers/_http.py).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

try:
    import resource
except ImportError:  # Windows: no RLIMIT_NOFILE; its socket limit is not the 1,024 of a POSIX default
    resource = None  # type: ignore[assignment]

from console.gateway.auth import ASGIApp, Receive, Scope, Send

MIB = 1024 * 1024


@dataclass(frozen=True)
class EndpointLimits:
    """Attributes:
        max_body_bytes: the largest request body accepted (413 past it). 8 MiB holds a prompt of
            ~2M tokens of text, or a few inline (base64) images; larger images belong behind a URL.
        body_timeout_s: the whole body must arrive within this (408 otherwise).
        head_timeout_s: the request line and headers must arrive within this; a connection that
            does not send them is closed (slow-loris).
        max_head_bytes: the largest request head (431 past it).
        max_connections: open connections at most; past it the connection that has waited
            longest without sending a request is closed, then the longest idle one; when all are
            busy a new request is answered 503.
        offload_bytes: bodies larger than this are parsed on a worker thread.
    """

    max_body_bytes: int = 8 * MIB
    body_timeout_s: float = 30.0
    head_timeout_s: float = 10.0
    max_head_bytes: int = 64 * 1024
    max_connections: int = 512
    offload_bytes: int = 256 * 1024

    def connection_cap(self) -> int:
        """``max_connections``, kept under the process's file-descriptor limit (with room for the
        log, the upstream connections and the models), so accepting never fails with EMFILE."""
        if resource is None:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(8, min(self.max_connections, soft // 2))


def raise_fd_limit() -> None:
    """Raise the soft file-descriptor limit to the hard one (as Go's runtime does since 1.19):
    the default soft limit of 1,024 is what slow-loris connections exhausted."""
    if resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass  # not allowed here: the connection cap follows the soft limit instead


def _refusal(status: int, message: str, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                 "code": code}}).encode()
    start = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not read: the connection cannot be reused
    ]}
    return start, {"type": "http.response.body", "body": body}


class BodyLimit:
    """Reads each request body up to the limit, within the timeout, before the app sees it."""

    def __init__(self, app: ASGIApp, limits: EndpointLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, 413, f"the request body is {declared} bytes; the most this endpoint "
                               f"accepts is {limit} bytes", "request_too_large")
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.limits.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client left: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        await self._refuse(send, 413, f"the request body is over {limit} bytes, the most this "
                                           "endpoint accepts", "request_too_large")
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._refuse(send, 408, f"the request body did not arrive within {self.limits.body_timeout_s:g} s",
                               "request_timeout")
            return
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    @staticmethod
    async def _refuse(send: Send, status: int, message: str, code: str) -> None:
        start, body = _refusal(status, message, code)
        await send(start)
        await send(body)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn's parser refuses a malformed length before we get here
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, whole; then the connection's own messages (a disconnect, for streaming)."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
