"""uvicorn's httptools protocol with a head deadline, a head size cap and a connection cap (slow-loris).

uvicorn times out idle keep-alive connections but not a request head that trickles in, nor a new
connection that sends nothing, and it has no head size limit on the httptools parser; its
``limit_concurrency`` answers 503 but keeps every socket open. 1,100 slow-loris connections
exhausted the process's file descriptors and 298 of 308 good requests got no answer. Here:
- every request head must be complete within ``head_timeout_s`` of its first byte (of the
  connection opening, for the first one) or the connection is answered 408 and closed;
- a head over ``max_head_bytes`` is answered 431 and the connection closed;
- when a new connection takes the count past the cap, the connection that has waited longest for
  a head is closed (the slow-loris ones), else the longest idle keep-alive one; a connection with
  a request in flight is never closed. With every connection busy, a new connection's request is
  answered 503 (uvicorn's own ``limit_concurrency`` counts sockets still closing, so it is not used).
Built on uvicorn's ``HttpToolsProtocol`` hooks (``connection_made``, ``on_message_begin``,
``on_url``, ``on_header``, ``on_headers_complete``, ``data_received``), stable since uvicorn 0.30.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from console.gateway.limits import EndpointLimits


def guarded_protocol(limits: EndpointLimits) -> type[HttpToolsProtocol]:
    """An ``HttpToolsProtocol`` subclass enforcing ``limits`` (pass it as uvicorn's ``http``)."""
    cap = limits.connection_cap()

    class GuardedProtocol(_Guarded):
        head_timeout_s = limits.head_timeout_s
        max_head_bytes = limits.max_head_bytes
        max_connections = cap

    return GuardedProtocol


class _Guarded(HttpToolsProtocol):
    head_timeout_s: float
    max_head_bytes: int
    max_connections: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_since = 0.0  # loop time the current wait (for a head, or idle) began
        self._head_bytes = 0
        self._refused: tuple[int, bytes] | None = None
        self._over_cap = False

    # --- the head deadline and size -----------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        if self._open_count() > self.max_connections and not self._evict_one():
            self._over_cap = True  # every other connection is busy: its request is answered 503

    def _await_head(self) -> None:
        if self._head_timer is None:
            self._waiting_since = self.loop.time()
            self._head_bytes = 0
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._on_head_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_head()  # a kept-alive connection starts its next head: the deadline runs again

    def on_url(self, url: bytes) -> None:
        if self._count_head(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._count_head(len(name) + len(value) + 4):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        if self._refused is None and self._over_cap and self._open_count() > self.max_connections:
            self._refused = (503, f"the endpoint has {self.max_connections} connections busy; try again".encode())
        self._over_cap = False
        if self._refused is None:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refused is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused is None:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused is None:
            super().data_received(data)
        if self._refused is not None and not self.transport.is_closing():
            self._answer_and_close(*self._refused)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = self.loop.time()  # idle from now: the longest idle goes first

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _count_head(self, size: int) -> bool:
        """Count head bytes; False (and refuse the request) once the head is too large."""
        if self._refused is not None:
            return False
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._refused = (431, f"the request head is over {self.max_head_bytes} bytes".encode())
            return False
        return True

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._answer_and_close(408, f"the request head did not arrive within {self.head_timeout_s:g} s".encode())

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _answer_and_close(self, status: int, message: bytes) -> None:
        self._stop_head_timer()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large",
                  503: b"Service Unavailable"}.get(status, b"Error")
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, reason, len(message), message))
        self.transport.close()

    # --- the connection cap -----------------------------------------------------------------

    @property
    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete and self._head_timer is None

    def _open_count(self) -> int:
        """Connections not already closing (a closed one leaves the set a loop turn later)."""
        return sum(1 for c in self.connections if not c.transport.is_closing())

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a head, else the longest idle one;
        False when every other connection is busy."""
        waiting: list[_Guarded] = []
        idle: list[_Guarded] = []
        for other in self.connections:
            if other is self or not isinstance(other, _Guarded) or other.transport.is_closing() or other._busy:
                continue
            (waiting if other._head_timer is not None else idle).append(other)
        pool = waiting or idle
        if pool:
            victim = min(pool, key=lambda c: c._waiting_since)
            victim._stop_head_timer()
            victim.transport.close()
            return True
        return False
