"""A lean HTTP/1.1 transport under httpx: asyncio protocols and httptools instead of httpcore.

httpx stays the HTTP API of the providers (requests, responses, timeouts, exceptions, decoding);
only the bottom layer is swapped. httpcore's HTTP/1.1 goes through h11 (a pure-Python parser) and
anyio, and on loopback a round trip through it costs about 0.54 ms here, most of it Python; this
transport, with httptools (llhttp, the C parser uvicorn uses) and a plain ``asyncio.Protocol``,
costs about 0.27 ms. Every request the router forwards pays that once more than a direct call,
so it is the largest part of what routing adds (tests/bench/bench_overhead.py, bench_gateway.py).

What it does: HTTP/1.1 over TCP or TLS (httpx's default SSL context, so the same CA bundle and
SNI); a keep-alive pool per origin with httpx's ``Limits`` (total connections, idle connections,
idle expiry); the request's connect / write / read / pool timeouts; streamed response bodies
with back-pressure; bodies delimited by length, by chunks, or by the server closing. What it does
not: HTTP/2, proxies, ``Expect: 100-continue``, upgrades. That is why ``_http.py`` uses it only for
loopback upstreams (a local model server), where it is measured to matter and nothing is proxied;
remote hosts go through httpx's own transport, with proxies and the OS trust store.

Failures are raised as the httpx exceptions httpcore raises in the same situations, so the
classification in ``_http.py`` is unchanged: ``ConnectError``/``ConnectTimeout`` while
connecting, ``PoolTimeout`` waiting for a connection, ``RemoteProtocolError`` for a server that
hangs up before the response or mid-body (or sends something that is not HTTP), ``ReadError`` for
a reset, ``ReadTimeout``/``WriteTimeout`` for silence.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import AsyncIterator, TypedDict

import httptools
import httpx

HIGH_WATER = 256 * 1024  # buffered body bytes at which reading from the socket pauses
_NO_BODY_STATUSES = frozenset({204, 304})


class _ConnectOptions(TypedDict, total=False):
    """Keyword arguments of ``loop.create_connection`` that only some loops take."""

    happy_eyeballs_delay: float


def _timeout(seconds: float | None) -> asyncio.Timeout:
    return asyncio.timeout(seconds)


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, then back to the pool if kept alive."""

    def __init__(self, origin: tuple[bytes, bytes, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._loop = asyncio.get_running_loop()
        self._expecting = False  # a request is in flight: bytes are welcome
        self._paused = False  # reading paused for back-pressure (survives into the next exchange)
        self._begin()
        self._write_ready: asyncio.Future[None] | None = None

    # --- one exchange ---------------------------------------------------------------------

    def _begin(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._head: asyncio.Future[int] = self._loop.create_future()
        self._headers: list[tuple[bytes, bytes]] = []
        self._reason = b""
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._complete = False
        self._until_close = False  # no length, not chunked: the body ends when the server closes
        self._error: Exception | None = None
        self._keep_alive = False  # read from the parser while it is valid: in the completion callback
        self._interim = False  # a 1xx head was just parsed: the real answer follows
        self._surplus = False  # bytes after the complete answer: never reuse this connection
        self._http_version = b"HTTP/1.1"

    def start(self, data: bytes) -> None:
        """Send one request (head and body) on this connection."""
        self._begin()
        self._expecting = True
        assert self.transport is not None
        if self._paused:  # the last answer was left unread while reading was paused
            self._paused = False
            self.transport.resume_reading()
        self.transport.write(data)

    async def drained(self, timeout_s: float | None) -> None:
        """Wait until the kernel took what ``start`` wrote (only when the buffer is over its limit)."""
        if self._write_ready is None:
            return
        try:
            async with _timeout(timeout_s):
                await self._write_ready
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request") from None

    async def head(self, timeout_s: float | None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        try:
            async with _timeout(timeout_s):
                status = await self._head
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the response") from None
        return status, self._reason, self._headers

    async def chunks(self, timeout_s: float | None) -> AsyncIterator[bytes]:
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < HIGH_WATER // 2 and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                yield chunk
                continue
            if self._complete:
                return
            if self._error is not None:
                raise self._error
            self._waiter = self._loop.create_future()
            try:
                async with _timeout(timeout_s):
                    await self._waiter
            except TimeoutError:
                raise httpx.ReadTimeout("timed out waiting for more of the response") from None
            finally:
                self._waiter = None

    @property
    def http_version(self) -> bytes:
        return self._http_version

    @property
    def reusable(self) -> bool:
        return (self._complete and self._keep_alive and not self._surplus and not self.closed
                and self._error is None)

    def close(self, *, abort: bool = True) -> None:
        """Drop the connection. ``abort`` (the default) discards unsent bytes at once; a graceful
        close would keep the socket and a request body alive for as long as a stalled peer
        refuses to read them."""
        self._expecting = False  # whoever closes knows why: the hang-up is no news to report
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                if abort:
                    self.transport.abort()
                else:
                    self.transport.close()

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self._expecting:  # nothing was asked: a server talking out of turn is not reused
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols, which Routedesk does not speak"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"the server's response is not valid HTTP/1.1 ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)
        if not self._expecting or self._complete:
            return
        if isinstance(exc, OSError):
            self._fail(httpx.ReadError(str(exc) or type(exc).__name__))
        elif not self._head.done():
            self._fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
        elif self._until_close:
            self._finish()
        else:
            self._fail(httpx.RemoteProtocolError("peer closed connection without sending complete message body"))

    def pause_writing(self) -> None:
        self._write_ready = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)
        self._write_ready = None

    # --- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:  # a second answer to one request: not HTTP we can trust with another
            self._surplus = True

    def on_status(self, status: bytes) -> None:
        if not self._complete:
            self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._complete:
            self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._complete:
            return
        status = self._parser.get_status_code()
        if status == 101:
            self._fail(httpx.RemoteProtocolError("the server switched protocols, which Routedesk does not speak"))
            return
        if status < 200:  # 100 Continue, 103 Early Hints: skipped, as httpcore does; the answer follows
            self._interim = True
            self._headers, self._reason = [], b""
            return
        self._http_version = b"HTTP/" + self._parser.get_http_version().encode("ascii")
        names = {name.lower(): value for name, value in self._headers}
        self._until_close = (
            b"content-length" not in names
            and b"chunked" not in names.get(b"transfer-encoding", b"").lower()
            and status not in _NO_BODY_STATUSES
        )
        if not self._head.done():
            self._head.set_result(status)

    def on_body(self, body: bytes) -> None:
        if self._complete:
            return
        self._chunks.append(bytes(body))
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        if self._complete:
            return
        self._keep_alive = self._parser.should_keep_alive()
        self._finish()

    def _finish(self) -> None:
        self._complete = True
        self._expecting = False
        self._wake()

    def _fail(self, error: Exception) -> None:
        if self._error is None and not self._complete:
            self._error = error
            if not self._head.done():
                self._head.set_exception(error)
            self._wake()
        self.close()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _ResponseBody(httpx.AsyncByteStream):
    """The body as httpx reads it; closing it returns the connection to the pool or drops it."""

    def __init__(self, transport: "LeanTransport", connection: _Connection, read_timeout_s: float | None) -> None:
        self._transport = transport
        self._connection = connection
        self._read_timeout_s = read_timeout_s
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._connection.chunks(self._read_timeout_s):
            yield chunk

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._transport._release(self._connection)


class LeanTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncClient(transport=...)`` for one event loop (the channel makes one per loop)."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl_context = ssl_context
        self._idle: dict[tuple[bytes, bytes, int], list[_Connection]] = {}
        self._slots = asyncio.Semaphore(limits.max_connections) if limits.max_connections else None
        self._closed = False

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.TransportError("the transport is closed")
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if request.method == "HEAD":  # its answer has a length but no body: the parser would wait for one
            raise httpx.UnsupportedProtocol("the providers' transport does not send HEAD requests")
        timeouts = request.extensions.get("timeout", {})
        origin = (url.raw_scheme, url.raw_host, url.port or (443 if url.scheme == "https" else 80))
        await self._acquire_slot(timeouts.get("pool"))
        connection: _Connection | None = None
        try:
            body = await request.aread()
            message = _request_head(request, body) + body
            connection = self._idle_connection(origin) or await self._connect(origin, timeouts.get("connect"))
            connection.start(message)
            await connection.drained(timeouts.get("write"))
            status, reason, headers = await connection.head(timeouts.get("read"))
        except BaseException:
            if connection is not None:
                connection.close()
            self._release_slot()
            raise
        return httpx.Response(
            status,
            headers=headers,
            stream=_ResponseBody(self, connection, timeouts.get("read")),
            extensions={"http_version": connection.http_version, "reason_phrase": reason},
        )

    async def _acquire_slot(self, timeout_s: float | None) -> None:
        if self._slots is None:
            return
        if not self._slots.locked():
            await self._slots.acquire()  # returns at once
            return
        try:
            async with _timeout(timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("timed out waiting for a free connection") from None

    def _release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()

    def _idle_connection(self, origin: tuple[bytes, bytes, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        expiry = self._limits.keepalive_expiry
        while idle:
            connection = idle.pop()
            if connection.closed or (expiry is not None and now - connection.idle_since > expiry):
                connection.close()
                continue
            return connection
        return None

    async def _connect(self, origin: tuple[bytes, bytes, int], timeout_s: float | None) -> _Connection:
        scheme, host, port = origin
        hostname = host.decode("ascii")
        loop = asyncio.get_running_loop()
        tls = self._ssl() if scheme == b"https" else None
        extra: _ConnectOptions = {}
        if isinstance(loop, asyncio.BaseEventLoop):  # uvloop has no happy eyeballs argument
            extra["happy_eyeballs_delay"] = 0.25  # race IPv6 and IPv4 as anyio does: a dead route costs 0.25 s
        try:
            async with _timeout(timeout_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(origin), hostname, port, ssl=tls,
                    server_hostname=hostname if tls is not None else None, **extra,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {hostname}:{port}") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return connection

    def _release(self, connection: _Connection) -> None:
        """The body is done with: keep the connection for the next request, or drop it."""
        self._release_slot()
        idle = self._idle.setdefault(connection.origin, [])
        keepalive = self._limits.max_keepalive_connections
        if not connection.reusable:
            connection.close()  # an unfinished or broken exchange: aborted
            return
        kept = sum(1 for held in self._idle.values() for c in held if not c.closed)
        if self._closed or (keepalive is not None and kept >= keepalive):
            connection.close(abort=False)
            return
        connection.idle_since = asyncio.get_running_loop().time()
        idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close(abort=False)
        self._idle.clear()


_FORBIDDEN_IN_HEADERS = (b"\r", b"\n", b"\0")


def _request_head(request: httpx.Request, body: bytes) -> bytes:
    """The request line and headers; the body is sent whole, so it is framed by its length.

    A name or value with a line break or NUL is refused, as h11 does: a key pasted with a stray
    newline must not split into a second header (the message does not repeat the value).
    """
    target = request.url.raw_path  # path and query
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered == b"content-length" or lowered == b"transfer-encoding":
            continue
        if any(c in value or c in name for c in _FORBIDDEN_IN_HEADERS):
            raise httpx.LocalProtocolError(
                f"the request header {name.decode('latin-1')!r} contains a line break or NUL; "
                "if it carries a key, check the key for stray characters")
        lines += [name, b": ", value, b"\r\n"]
    if body or request.method in ("POST", "PUT", "PATCH"):
        lines += [b"Content-Length: ", str(len(body)).encode("ascii"), b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)
