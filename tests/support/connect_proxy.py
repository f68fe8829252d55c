"""An HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (HTTPS) and absolute-URI forwarding (HTTP).

Small and real: it reads the request head, opens a TCP connection to the named host and port, and
pipes bytes both ways until either side closes, as corporate proxies do. Every request it gets is
recorded (method and target) so tests can assert that traffic went through it.

    with running_proxy() as proxy:   # proxy.url == "http://127.0.0.1:PORT"
        ...; proxy.seen == [("CONNECT", "localhost:8443")]
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Iterator
from urllib.parse import urlsplit


class ConnectProxy:
    """The proxy; ``start()`` runs it on its own thread and loop, ``stop()`` joins it."""

    def __init__(self) -> None:
        self.port = 0
        self.seen: list[tuple[str, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ConnectProxy":
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._open())
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="connect-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            self.seen.append((method, target))
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                up_reader, upstream = await asyncio.open_connection(host.strip("[]"), int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:  # absolute-form: forward with the origin-form request line
                parts = urlsplit(target)
                up_reader, upstream = await asyncio.open_connection(parts.hostname, parts.port or 80)
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                rest = head.split(b"\r\n", 1)[1]
                upstream.write(f"{method} {path} {version}\r\n".encode("latin-1") + rest)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            with contextlib.suppress(OSError):
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            for end in (writer, upstream):
                if end is not None and not end.transport.is_closing():
                    end.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except OSError:
        pass
    finally:
        if not sink.transport.is_closing():
            with contextlib.suppress(OSError):
                sink.write_eof() if sink.can_write_eof() else sink.close()


@contextlib.contextmanager
def running_proxy() -> Iterator[ConnectProxy]:
    proxy = ConnectProxy().start()
    try:
        yield proxy
    finally:
        proxy.stop()
