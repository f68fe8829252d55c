"""The providers' HTTP transport (httpx over httptools) against real sockets on loopback.

Each test runs a small asyncio server that answers with exactly the bytes the case needs: kept-alive
and closed connections, bodies framed by length, by chunks or by closing, gzip, a body far over
the read buffer, resets, silence, garbage, and TLS with a throwaway CA (trustme). The fault matrix
(test_openai_faults.py, tests/gateway/test_endpoint_faults.py) drives the same transport through
the engine and the endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import trustme

from console.core.outcomes import Outcome
from console.core.providers._http import transport_error
from console.core.providers._transport import HIGH_WATER, LeanTransport
from tests.support.waiting import until

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Served"], Awaitable[None]]


@dataclass
class Served:
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)


async def read_head(reader: asyncio.StreamReader, served: Served) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    served.heads.append(head)
    return body


def ok(body: bytes, *extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n" + b"".join(extra) + b"\r\n" + body


@contextlib.asynccontextmanager
async def server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[str, Served]]:
    served = Served()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.connections += 1
        try:
            await handler(reader, writer, served)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", served
    finally:
        srv.close()
        await srv.wait_closed()


def client(**kwargs: object) -> httpx.AsyncClient:
    limits = kwargs.pop("limits", httpx.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=30))
    return httpx.AsyncClient(transport=LeanTransport(limits, **kwargs), timeout=5)  # type: ignore[arg-type]


async def echo_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
    while True:
        body = await read_head(reader, served)
        writer.write(ok(b"echo:" + body))
        await writer.drain()


def test_a_kept_alive_connection_carries_many_requests_with_path_query_and_headers() -> None:
    async def go() -> None:
        async with server(echo_forever) as (url, served):
            async with client() as http:
                for i in range(20):
                    response = await http.post(f"{url}/v1/chat?x={i}", json={"n": i}, headers={"X-Key": "k"})
                    assert response.status_code == 200 and response.text == f'echo:{{"n":{i}}}'
            assert served.connections == 1
            assert served.heads[3].startswith(b"POST /v1/chat?x=3 HTTP/1.1\r\n")
            assert b"X-Key: k" in served.heads[3] or b"x-key: k" in served.heads[3]
            assert b"ontent-Length: 7\r\n" in served.heads[3] or b"ontent-length: 7\r\n" in served.heads[3]

    asyncio.run(go())


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def one_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        writer.write(ok(b"once"))  # says nothing about closing, then closes
        await writer.drain()

    async def go() -> None:
        async with server(one_then_close) as (url, served):
            async with client() as http:
                transport = http._transport
                assert isinstance(transport, LeanTransport)
                for _ in range(3):
                    assert (await http.get(url)).text == "once"
                    await until(lambda: all(c.closed for held in transport._idle.values() for c in held),
                                "the server's close to reach the idle connection")
            assert served.connections == 3

    asyncio.run(go())


def test_bodies_framed_by_chunks_by_closing_and_gzip_are_read_whole() -> None:
    payload = b"0123456789" * 1000

    async def framing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while True:
            await read_head(reader, served)
            kind = served.heads[-1].split(b" ")[1]
            if kind == b"/chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for start in range(0, len(payload), 3000):
                    part = payload[start:start + 3000]
                    writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            elif kind == b"/close":
                writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
                await writer.drain()
                return  # the close ends the body
            else:
                writer.write(ok(gzip.compress(payload), b"Content-Encoding: gzip\r\n"))
            await writer.drain()

    async def go() -> None:
        async with server(framing) as (url, served):
            async with client() as http:
                for kind in ("chunked", "close", "gzip", "chunked"):
                    response = await http.get(f"{url}/{kind}")
                    assert response.content == payload, kind
            assert served.connections == 2  # a new one after the server closed the first

    asyncio.run(go())


def test_a_body_far_over_the_buffer_streams_through_in_order() -> None:
    block = bytes(range(256)) * 4096  # 1 MiB
    blocks = 8

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(block) * blocks).encode() + b"\r\n\r\n")
        for _ in range(blocks):
            writer.write(block)
            await writer.drain()

    async def go() -> None:
        async with server(big) as (url, _):
            async with client() as http:
                async with http.stream("GET", url) as response:
                    await asyncio.sleep(0.3)  # not reading: the socket is paused once HIGH_WATER is buffered
                    buffered = response.stream._stream._connection._buffered  # type: ignore[attr-defined]
                    assert 0 < buffered <= HIGH_WATER + 512 * 1024
                    received = bytearray()
                    async for chunk in response.aiter_raw():
                        received += chunk
                assert received == block * blocks

    asyncio.run(go())


@pytest.mark.parametrize(
    ("misdeed", "error", "outcome", "before_response"),
    [
        ("hang up", httpx.RemoteProtocolError, Outcome.UNAVAILABLE, True),
        ("reset", httpx.ReadError, Outcome.UNAVAILABLE, True),
        ("cut body", httpx.RemoteProtocolError, Outcome.STREAM_CUT, False),
        ("garbage", httpx.RemoteProtocolError, Outcome.UNAVAILABLE, True),
    ],
)
def test_a_misbehaving_server_raises_what_httpcore_would(misdeed: str, error: type, outcome: Outcome,
                                                          before_response: bool) -> None:
    async def misbehave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        if misdeed == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER,
                            __import__("struct").pack("ii", 1, 0))
        elif misdeed == "cut body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        elif misdeed == "garbage":
            writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    async def go() -> None:
        async with server(misbehave) as (url, _):
            async with client() as http:
                started = False
                with pytest.raises(error) as caught:
                    async with http.stream("GET", url) as response:
                        started = True
                        await response.aread()
                classified = transport_error(caught.value, provider="p", response_started=started)
                assert classified.outcome is outcome
                assert classified.before_response is before_response

    asyncio.run(go())


def test_silence_is_a_read_timeout_and_a_refused_port_a_connect_error() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        await asyncio.sleep(10)

    async def go() -> None:
        async with server(silent) as (url, _):
            async with client() as http:
                t0 = time.perf_counter()
                with pytest.raises(httpx.ReadTimeout):
                    await http.get(url, timeout=httpx.Timeout(5, read=0.3))
                assert 0.25 < time.perf_counter() - t0 < 3
        async with client() as http:  # the server is gone: its port refuses
            with pytest.raises(httpx.ConnectError):
                await http.get(url)

    asyncio.run(go())


def test_a_full_pool_waits_then_times_out() -> None:
    async def go() -> None:
        async with server(echo_forever) as (url, _):
            async with client(limits=httpx.Limits(max_connections=1)) as http:
                async with http.stream("GET", url) as held:  # holds the only connection
                    with pytest.raises(httpx.PoolTimeout):
                        await http.get(url, timeout=httpx.Timeout(5, pool=0.2))
                    await held.aread()
                assert (await http.get(url)).status_code == 200  # released: usable again

    asyncio.run(go())


def test_tls_with_a_trusted_ca_works_and_an_unknown_one_is_refused() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    async def go() -> None:
        async with server(echo_forever, tls=server_context) as (url, served):
            async with client(ssl_context=trusting) as http:
                assert (await http.post(url, content=b"secret")).text == "echo:secret"
                assert (await http.post(url, content=b"again")).text == "echo:again"
            assert served.connections == 1
            async with client() as http:  # the default CA bundle does not know this CA
                with pytest.raises(httpx.ConnectError, match="(?i)certificate"):
                    await http.get(url)

    asyncio.run(go())


def test_a_no_content_answer_leaves_the_connection_usable() -> None:
    async def no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while True:
            await read_head(reader, served)
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()

    async def go() -> None:
        async with server(no_content) as (url, served):
            async with client() as http:
                for _ in range(3):
                    response = await http.delete(url)
                    assert response.status_code == 204 and response.content == b""
            assert served.connections == 1

    asyncio.run(go())


def test_an_answer_left_unread_while_reading_was_paused_does_not_stall_the_next_request() -> None:
    big = b"x" * (HIGH_WATER + 64 * 1024)

    async def big_then_small(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        writer.write(ok(big))
        await writer.drain()
        await read_head(reader, served)
        writer.write(ok(b"small"))
        await writer.drain()
        await asyncio.sleep(5)

    async def go() -> None:
        async with server(big_then_small) as (url, served):
            async with client() as http:
                async with http.stream("GET", url) as response:
                    await asyncio.sleep(0.3)  # the whole answer arrives; reading pauses; never read
                    assert response.status_code == 200
                response = await http.get(url, timeout=httpx.Timeout(5, read=2))
                assert response.text == "small"
            assert served.connections == 1

    asyncio.run(go())


def test_a_write_timeout_drops_the_connection_at_once() -> None:
    size = 64 << 20
    received: list[int] = []
    gave_up = asyncio.Event()

    async def reads_late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        # Reads only once the client has given up on writing (an event, not a sleep: on a loaded machine
        # a fixed sleep can end before the client's write deadline fires, and then the write completes).
        await asyncio.wait_for(gave_up.wait(), 30)
        total = 0
        try:
            while chunk := await reader.read(1 << 20):
                total += len(chunk)
        except ConnectionError:
            pass
        received.append(total)

    async def go() -> None:
        async with server(reads_late) as (url, _):
            transport = LeanTransport(httpx.Limits(max_connections=1))
            async with httpx.AsyncClient(transport=transport) as http:
                with pytest.raises(httpx.WriteTimeout):
                    await http.post(url, content=b"z" * size, timeout=httpx.Timeout(5, write=0.3))
                gave_up.set()
                assert transport._slots is not None and not transport._slots.locked()  # the slot is free
            await until(lambda: received, "the server to read what reached it")
        # aborted: the rest of the 64 MiB was discarded, not handed to a peer that reads later
        assert received and received[0] < size // 2

    asyncio.run(go())


def test_bytes_after_a_complete_answer_are_not_part_of_it_and_the_connection_is_dropped() -> None:
    async def two_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while True:
            await read_head(reader, served)
            writer.write(ok(b"hi") + ok(b"bye"))  # one request, two answers in one write
            await writer.drain()

    async def go() -> None:
        async with server(two_answers) as (url, served):
            async with client() as http:
                first = await http.get(url)
                assert first.content == b"hi" and first.headers.get_list("content-length") == ["2"]
                assert (await http.get(url)).content == b"hi"
            assert served.connections == 2  # the first connection was not trusted again

    asyncio.run(go())


@pytest.mark.parametrize("interim", [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"])
def test_interim_answers_are_skipped(interim: bytes) -> None:
    async def hints_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        writer.write(interim + ok(b"final"))
        await writer.drain()

    async def go() -> None:
        async with server(hints_first) as (url, _):
            async with client() as http:
                response = await http.get(url)
                assert response.status_code == 200 and response.text == "final"
                assert "link" not in response.headers

    asyncio.run(go())


def test_a_header_value_with_a_line_break_is_refused_without_echoing_it() -> None:
    async def go() -> None:
        async with server(echo_forever) as (url, served):
            async with client() as http:
                with pytest.raises(httpx.LocalProtocolError) as caught:
                    await http.get(url, headers={"Authorization": "Bearer sk-secret\r\nX-Injected: yes"})
                assert "sk-secret" not in str(caught.value) and "authorization" in str(caught.value).lower()
            assert served.heads == []  # nothing was sent

    asyncio.run(go())


def test_an_http_1_0_answer_says_so_and_is_not_kept() -> None:
    async def old_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_head(reader, served)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold")
        await writer.drain()

    async def go() -> None:
        async with server(old_server) as (url, served):
            async with client() as http:
                for _ in range(2):
                    response = await http.get(url)
                    assert response.text == "old" and response.http_version == "HTTP/1.0"
            assert served.connections == 2

    asyncio.run(go())
