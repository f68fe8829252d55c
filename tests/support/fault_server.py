"""A misbehaving OpenAI-protocol server on 127.0.0.1, for tests of failure handling.

A real HTTP/1.1 server (raw asyncio streams, so it can cut and reset connections) on a free port.
The request's ``model`` picks the behaviour, so one policy can chain different faults:

    ok[:chunk_ms=N][:logprob=X]  echo of the last user message, with usage (and logprobs if asked)
    ok-json                      the echo as a JSON object (``:json=1`` does the same for any fault, and
                                 ``ok`` and ``tool`` answer so when asked for a json_schema)
    slow-ok:ms=800               wait, then ok
    429[:retry_after=1|:retry_after_date=2]   rate limited (Retry-After in seconds or as HTTP-date)
    500 502 503[:retry_after=N] 401 403 400   error statuses with OpenAI-shaped bodies
    400-context                  context_length_exceeded
    400-content-policy           content_policy_violation
    content-filter               answer stopped with finish_reason content_filter
    hang                         read the request, never answer
    hang-first-token:s=30        send the response head, then nothing for s seconds, then ok
    stall:after=3                send 3 text chunks, then nothing
    cut:after=3                  send 3 text chunks, then close the socket mid-body
    no-done                      stream ends cleanly with a finish_reason but without [DONE] (non-streaming: ok)
    no-finish                    stream ends cleanly with neither a finish_reason nor [DONE]
    verbatim                     the last user message verbatim (4 pieces), unicode sent raw
    tool                         with ``tools``: a call to the chosen (or first) tool, each required
                                 parameter set to the last user message (streamed: id and name,
                                 then the arguments in three pieces); after a tool result (or
                                 without tools): "the tool said: <result>"
    rejects-prefill              400 "does not support assistant message prefill" when the
                                 last message is the assistant's; otherwise ok

A trailing assistant message is a prefill: the answer continues it (only the rest of the text is
sent) when it begins the answer; ``:prefill=ignore`` answers from the start instead, as a model
that does not take prefill would.
    malformed-sse                a data line that is not JSON mid-stream (non-streaming: body not JSON)
    empty                        a completion with no text
    invalid-json                 non-streaming without response_format: body not JSON;
                                 otherwise a well-formed answer whose text is not JSON
    reset                        close the connection (RST) before any byte
    switch:name=X                whatever fault ``server.switch("X", "500")`` last set (default ok):
                                 an upstream a test takes down and brings back at a moment it picks
    huge:mb=1000                 an answer of that many MB (well-formed JSON start, then text;
                                 streaming: 64 KB text events), sent until the client hangs up
    huge-line:mb=1000            streaming: one SSE line of that many MB with no line end
    seq:429,429,ok               the Nth request for this exact model name gets the Nth fault
                                 (the last one repeats)

Anything after ``#`` is a tag that only makes names distinct (``ok#a``, ``seq:500,ok#b``): sequence
counters and request logs are kept per full model name.

Every request is recorded (monotonic time, method, path, query, model, headers with key values
redacted, body) for assertions on counts and spacing. Canned responses queued with ``replay`` are
served first, whatever the path: that is how Anthropic and Gemini transcripts are played back.

Run it alone with ``python -m tests.support.fault_server [--port N]``; in tests use the
``fault_server`` fixture.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import socket
import ssl
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.fault_responses import (
    error_body,
    json_completion,
    openai_answer,
    prefill_of,
    sse_chunks,
)

SECRET_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")


@dataclass(frozen=True)
class Fault:
    """One behaviour: a name such as 'cut' and its parameters such as {'after': '3'}."""

    name: str
    params: dict[str, str] = field(default_factory=dict)

    def number(self, key: str, default: float) -> float:
        return float(self.params.get(key, default))


def parse_fault(model: str, index: int = 0) -> Fault:
    """The fault for the ``index``-th request (0-based) naming ``model``."""
    spec = model.split("#", 1)[0].strip()
    if spec.startswith("seq:"):
        items = [item for item in spec[4:].split(",") if item]
        spec = items[min(index, len(items) - 1)] if items else "ok"
    name, *pairs = spec.split(":")
    params = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return Fault(name, params)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it. Key-bearing header values are replaced by '[redacted]'."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    model: str | None
    headers: dict[str, str]
    body: Any
    secret_digests: dict[str, str]

    def secret_is(self, header: str, value: str) -> bool:
        """Whether ``header`` carried exactly ``value`` (compared by digest; the value is not kept)."""
        return self.secret_digests.get(header.lower()) == hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class CannedResponse:
    """A response to replay verbatim. ``chunked`` bodies are sent one SSE event per chunk;
    ``cut`` closes the socket after the body instead of ending it properly."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False
    cut: bool = False


@dataclass
class _Incoming:
    method: str
    target: str
    headers: dict[str, str]
    raw_body: bytes


class FaultServer:
    """The server; ``start()`` runs it on a thread with its own event loop, ``stop()`` joins it."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: "ssl.SSLContext | None" = None, url_host: str | None = None
    ) -> None:
        """``tls``: serve HTTPS with this server context; ``url_host``: the name its URLs use (e.g.
        ``localhost``, so that clients reach it by host name and check the certificate for it)."""
        self.host = host
        self.port = port
        self.tls = tls
        self.url_host = url_host or host
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._counts: dict[str, int] = {}
        self._canned: deque[CannedResponse] = deque()
        self._switches: dict[str, str] = {}
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- what tests use -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL in the OpenAI style (``.../v1``)."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.url_host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, model: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.model == model]

    def switch(self, name: str, fault: str) -> None:
        """Make models ``switch:name=NAME`` behave as ``fault`` from now on."""
        with self._lock:
            self._switches[name] = fault

    def replay(self, *responses: CannedResponse) -> None:
        with self._lock:
            self._canned.extend(responses)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._counts.clear()
            self._canned.clear()

    def start(self) -> "FaultServer":
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="fault-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    # --- serving --------------------------------------------------------------------------

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                incoming = await _read_request(reader)
                if incoming is None:
                    break
                if not await self._respond(incoming, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    def _record(self, incoming: _Incoming) -> tuple[str | None, Any, int]:
        try:
            body: Any = json.loads(incoming.raw_body) if incoming.raw_body else None
        except ValueError:
            body = incoming.raw_body.decode("utf-8", errors="replace")
        model = body.get("model") if isinstance(body, dict) else None
        parts = urlsplit(incoming.target)
        path = parts.path
        if model is None and "/models/" in path:
            model = path.split("/models/", 1)[1].split(":", 1)[0]  # Gemini names the model in the path
        headers = {k: ("[redacted]" if k in SECRET_HEADERS else v) for k, v in incoming.headers.items()}
        digests = {
            k: hashlib.sha256(v.encode()).hexdigest() for k, v in incoming.headers.items() if k in SECRET_HEADERS
        }
        record = RecordedRequest(
            time.monotonic(), incoming.method, path, dict(parse_qsl(parts.query)), model, headers, body, digests
        )
        with self._lock:
            self._requests.append(record)
            index = self._counts.get(model or "", 0)
            self._counts[model or ""] = index + 1
        return model, body, index

    async def _respond(self, incoming: _Incoming, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must not be reused."""
        model, body, index = self._record(incoming)
        with self._lock:
            canned = self._canned.popleft() if self._canned else None
        if canned is not None:
            return await _send_canned(writer, canned)
        path = urlsplit(incoming.target).path
        if incoming.method == "GET" and path.endswith("/models"):
            models = {"object": "list", "data": [{"id": "ok", "object": "model", "owned_by": "fault-server"}]}
            return await _send_json(writer, 200, json.dumps(models).encode())
        if incoming.method != "POST" or not path.endswith("/chat/completions") or not isinstance(body, dict):
            return await _send_json(writer, 404, error_body("not_found", f"no route {path}"))
        fault = parse_fault(str(model or "ok"), index)
        if fault.name == "switch":
            with self._lock:
                fault = parse_fault(self._switches.get(fault.params.get("name", ""), "ok"))
        return await _act(fault, body, reader, writer)


# --- HTTP plumbing ----------------------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> _Incoming | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    raw_body = await reader.readexactly(length) if length else b""
    return _Incoming(method, target, headers, raw_body)


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: bytes, extra: dict[str, str] | None = None
) -> bool:
    headers = {"content-type": "application/json", "content-length": str(len(body)), **(extra or {})}
    writer.write(_head(status, headers) + body)
    await writer.drain()
    return True


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _start_stream(writer: asyncio.StreamWriter, content_type: str = "text/event-stream") -> None:
    headers = {"content-type": content_type, "cache-control": "no-cache", "transfer-encoding": "chunked"}
    writer.write(_head(200, headers))
    await writer.drain()


async def _send_chunks(writer: asyncio.StreamWriter, events: list[bytes], delay_s: float = 0.0) -> None:
    for event in events:
        writer.write(_chunk(event))
        await writer.drain()
        if delay_s:
            await asyncio.sleep(delay_s)


async def _end_stream(writer: asyncio.StreamWriter) -> bool:
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True


async def _wait_for_client_close(reader: asyncio.StreamReader, timeout_s: float | None = None) -> bool:
    """Hold the connection until the client closes it (True) or ``timeout_s`` passes (False)."""
    async def drain() -> None:
        while await reader.read(65536):
            pass

    try:
        await asyncio.wait_for(drain(), timeout_s)
        return True
    except (asyncio.TimeoutError, TimeoutError):
        return False
    except ConnectionError:
        return True


def _reset(writer: asyncio.StreamWriter) -> bool:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Linger 0 makes close() send RST instead of FIN: a reset, not a tidy end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    return False


async def _send_canned(writer: asyncio.StreamWriter, canned: CannedResponse) -> bool:
    body = canned.body.encode()
    if not canned.chunked:
        await _send_json(writer, canned.status, body, {**canned.headers})
        return True
    headers = {"cache-control": "no-cache", **canned.headers, "transfer-encoding": "chunked"}
    writer.write(_head(canned.status, headers))
    # One chunk per event, each keeping its own line endings (Gemini sends CRLF, others LF).
    events = re.findall(r".*?(?:\r\n\r\n|\n\n)|.+$", canned.body, re.S)
    await _send_chunks(writer, [e.encode() for e in events if e])
    if canned.cut:
        writer.transport.abort()
        return False
    return await _end_stream(writer)


async def _act(fault: Fault, body: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Carry out one fault. Returns whether the connection may be reused."""
    name = fault.name
    streaming = bool(body.get("stream"))
    json_mode = isinstance(body.get("response_format"), dict)
    if name == "reset":
        return _reset(writer)
    if name == "hang":
        await _wait_for_client_close(reader)
        return False
    if name == "rejects-prefill":
        if prefill_of(body) is not None:
            message = "This model does not support assistant message prefill. The conversation must end with a user message."
            return await _send_json(writer, 400, error_body("invalid_request_error", message))
        name = "ok"
    if name == "slow-ok":
        await asyncio.sleep(fault.number("ms", 500) / 1000)
        name = "ok"
    if name.isdigit() or name in ("400-context", "400-content-policy"):
        status, payload = _error_for(name)
        extra: dict[str, str] = {}
        if "retry_after" in fault.params:
            extra["retry-after"] = fault.params["retry_after"]
        if "retry_after_date" in fault.params:
            extra["retry-after"] = formatdate(time.time() + fault.number("retry_after_date", 1), usegmt=True)
        return await _send_json(writer, status, payload, extra)

    if name in ("huge", "huge-line"):
        return await _send_huge(writer, int(fault.number("mb", 1000)) * 1024 * 1024, streaming, name == "huge-line")

    answer = openai_answer(body, fault)
    if not streaming:
        return await _act_whole(fault, name, body, answer, json_mode, reader, writer)

    events = sse_chunks(answer, body, fault)
    text_events, tail = events.text, events.tail
    delay = fault.number("chunk_ms", 0) / 1000
    await _start_stream(writer)
    if name == "hang-first-token":
        if await _wait_for_client_close(reader, fault.number("s", 30)):
            return False
    if name in ("stall", "cut"):
        after = int(fault.number("after", 3))
        await _send_chunks(writer, [events.role] + text_events[:after], delay)
        if name == "cut":
            writer.transport.abort()
            return False
        await _wait_for_client_close(reader)
        return False
    if name == "malformed-sse":
        middle = max(1, len(text_events) // 2)
        broken = [b'data: {"id": "chatcmpl-fault", "choices": [{"delta": {"content": "oops"\n\n']
        await _send_chunks(writer, [events.role] + text_events[:middle] + broken + text_events[middle:] + tail)
        return await _end_stream(writer)
    if name == "no-done":
        tail = [t for t in tail if b"[DONE]" not in t]
    if name == "no-finish":
        tail = [t for t in tail if b"[DONE]" not in t and b'"finish_reason": "' not in t]
    await _send_chunks(writer, [events.role] + text_events + tail, delay)
    return await _end_stream(writer)


async def _act_whole(
    fault: Fault, name: str, body: dict[str, Any], answer: Any, json_mode: bool,
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
) -> bool:
    if name == "malformed-sse" or (name == "invalid-json" and not json_mode):
        return await _send_json(writer, 200, b'{"id": "chatcmpl-fault", "choices": [ this is not json')
    payload = json_completion(answer, body)
    if name == "hang-first-token":
        writer.write(_head(200, {"content-type": "application/json", "content-length": str(len(payload))}))
        await writer.drain()
        if await _wait_for_client_close(reader, fault.number("s", 30)):
            return False
        writer.write(payload)
        await writer.drain()
        return True
    if name in ("stall", "cut"):
        writer.write(_head(200, {"content-type": "application/json", "content-length": str(len(payload))}))
        writer.write(payload[: len(payload) // 2])
        await writer.drain()
        if name == "cut":
            writer.transport.abort()
        else:
            await _wait_for_client_close(reader)
        return False
    return await _send_json(writer, 200, payload)


async def _send_huge(writer: asyncio.StreamWriter, size: int, streaming: bool, one_line: bool) -> bool:
    """``size`` bytes of answer in 1 MB writes, until done or the client hangs up (never built whole)."""
    filler = b"a" * (1024 * 1024)
    if streaming:
        await _start_stream(writer)
        event = b'data: {"id":"chatcmpl-huge","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"' \
            + b"a" * 65536 + b'"},"finish_reason":null}]}\n\n'
        piece = b'data: {"choices":[{"delta":{"content":"' if one_line else b""
        unit = filler if one_line else event * 16
    else:
        head = b'{"id":"chatcmpl-huge","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"'
        tail = b'"},"finish_reason":"stop"}]}'
        writer.write(_head(200, {"content-type": "application/json", "content-length": str(len(head) + size + len(tail))}))
        piece, unit = head, filler
    sent = 0
    try:
        if piece:
            writer.write(_chunk(piece) if streaming else piece)
        while sent < size:
            data = unit[: size - sent]
            writer.write(_chunk(data) if streaming else data)
            await writer.drain()
            sent += len(data)
        if streaming:
            return await _end_stream(writer)
        writer.write(tail)
        await writer.drain()
        return True
    except ConnectionError:
        return False


def _error_for(name: str) -> tuple[int, bytes]:
    if name == "400-context":
        message = (
            "This model's maximum context length is 8192 tokens. However, your messages resulted in "
            "9000 tokens. Please reduce the length of the messages."
        )
        return 400, error_body("invalid_request_error", message, code="context_length_exceeded", param="messages")
    if name == "400-content-policy":
        message = "Your request was rejected as a result of our safety system."
        return 400, error_body("invalid_request_error", message, code="content_policy_violation")
    status = int(name)
    bodies = {
        429: ("requests", "Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"),
        401: ("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
        403: ("invalid_request_error", "You are not allowed to sample from this model", "model_not_allowed"),
        400: ("invalid_request_error", "Invalid value for 'temperature'.", "invalid_value"),
        503: ("server_error", "The engine is currently overloaded, please try again later", None),
    }
    kind, message, code = bodies.get(status, ("server_error", f"The server had an error ({status}).", None))
    return status, error_body(kind, message, code=code)


# --- pytest and command line --------------------------------------------------------------------


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A running fault server on a free loopback port, stopped (thread joined) after the test."""
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_fault_server() -> Iterator[FaultServer]:
    """One fault server shared by every test of a module (import it as ``server``), stopped after the module."""
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Routedesk fault-injection server on loopback.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    server = FaultServer(port=args.port)

    async def serve() -> None:
        await server._open()
        print(f"fault server listening on {server.url}  (model picks the fault; see the module docstring)", flush=True)
        assert server._server is not None
        async with server._server:
            await server._server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
