"""The endpoint under attack: a good client's p99 stays under 100 ms while each attack runs.

Attacks (bounded counts and time, all on 127.0.0.1):
- oversized bodies: a declared 200 MB body is refused 413 before a byte of it is read; a chunked
  one is cut off just past the limit, never read whole;
- slow-loris: 200 connections that trickle a request head, against a cap of 48 connections and a
  1 s head deadline;
- big valid prompts (just under the body limit): decoded, counted and classified off the loop;
- a huge upstream answer (the fault server's ``huge`` faults): the attempt fails as
  invalid_output once past the answer cap, in the answer and in the log, never read whole.
The good client keeps one kept-alive connection and sends small requests one after another; the
endpoint forwards them to a fault server, so each is a real routed round trip. The endpoint, the
good client and the two upstreams (good, hostile) each run in a process of their own, so what
is timed is the endpoint, not the attackers' threads holding a shared GIL.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from console.gateway.limits import MIB, EndpointLimits
from tests.security.good_client import open_sockets
from tests.support.parts import require_part

LIMITS = EndpointLimits(max_body_bytes=1 * MIB, body_timeout_s=2.0, head_timeout_s=1.0, max_head_bytes=16 * 1024,
                        max_connections=48, offload_bytes=64 * 1024)
ANSWER_CAP = 16 * MIB
P99_MS = 100.0
SAMPLES = 300  # good requests timed during each attack (the attack repeats until there are as many)
ROUNDS_FOR_S = 20.0  # ... or until this long has passed
GOOD_BODY = {"model": "chat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}


def limits_policy(good_url: str, hostile_url: str) -> dict[str, Any]:
    def model(fault: str, provider: str = "hostile") -> dict[str, Any]:
        return {"provider": provider, "model": fault, "context_window": 1_000_000, "prices": {"input": 1, "output": 2}}

    def route(candidate: str) -> dict[str, Any]:
        return {"candidates": [candidate], "retries": {"max": 0},
                "timeouts": {"connect_s": 2, "first_token_s": 30, "idle_s": 30, "total_s": 60}}

    return {
        "name": "limits",
        "providers": {"good": {"kind": "openai-compatible", "base_url": good_url},
                      "hostile": {"kind": "openai-compatible", "base_url": hostile_url}},
        "models": {"m-ok": model("ok#good", "good"), "m-huge": model("huge:mb=1000"), "m-line": model("huge-line:mb=1000"),
                   "m-big": model("ok#big")},
        "tasks": {"chat": {}, "huge": {}, "huge-line": {}, "big": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": route("m-ok"), "huge": route("m-huge"), "huge-line": route("m-line"),
                   "big": route("m-big")},
    }


@dataclass
class Endpoint:
    """The endpoint running in its own process (tests/security/endpoint_process.py)."""

    process: subprocess.Popen[str]
    url: str
    host: str
    port: int
    token: str
    log_url: str

    def open_sockets(self) -> int:
        """Sockets the endpoint's process holds now (clients, upstream, the listener)."""
        return open_sockets(self.process.pid)

    def outcomes(self) -> dict[str, str]:
        """Task → outcome of every logged request (after the process stopped and flushed its log)."""
        from sqlalchemy import select

        from console.core.ledger.store import open_ledger
        from console.core.ledger.tables import request_table

        db = open_ledger(self.log_url)
        try:
            with db.connect() as conn:
                table = request_table()
                return {row.task: row.outcome for row in conn.execute(select(table.c.task, table.c.outcome))}
        finally:
            db.dispose()

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Endpoint]:
    require_part(Path("/proc/self/fd").is_dir(), "counting the endpoint's sockets reads /proc (Linux)")
    root = Path(__file__).resolve().parents[2]
    # The upstreams run in processes of their own, the good one apart from the hostile one: a huge
    # answer being sent must not slow the good client's upstream, nor take the GIL from its thread.
    with contextlib.ExitStack() as stack:
        # The hostile upstream is niced: in life it is a remote server whose CPU is not this machine's.
        urls = [_fault_server_process(stack, root), _fault_server_process(stack, root, nice=19)]
        log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
        spec = {"policy": limits_policy(*urls), "limits": asdict(LIMITS), "log_url": log_url, "answer_cap": ANSWER_CAP}
        command = [sys.executable, "-m", "tests.security.endpoint_process", json.dumps(spec)]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root) as process:
            try:
                assert process.stdout is not None
                ready = json.loads(process.stdout.readline())
                endpoint = Endpoint(process, ready["url"], ready["host"], ready["port"], ready["token"], log_url)
                yield endpoint
                endpoint.stop()
            finally:
                if process.poll() is None:
                    process.kill()


def _fault_server_process(stack: contextlib.ExitStack, root: Path, nice: int = 0) -> str:
    """Start ``python -m tests.support.fault_server``; its URL. Stopped when ``stack`` closes."""
    process = stack.enter_context(subprocess.Popen([sys.executable, "-m", "tests.support.fault_server"],
                                                   stdout=subprocess.PIPE, text=True, cwd=root,
                                                   preexec_fn=(lambda: os.nice(nice)) if nice else None))
    stack.callback(process.terminate)
    assert process.stdout is not None
    return process.stdout.readline().split()[4]  # "fault server listening on URL ..."


class GoodClient(threading.Thread):
    """Reads the timings of the good client (tests/security/good_client.py, its own process)."""

    def __init__(self, live: Endpoint) -> None:
        super().__init__(name="good-client-reader")
        self.live = live
        self.latencies_ms: list[float] = []
        self.failures: list[str] = []
        self.most_connections = 0
        self._process: subprocess.Popen[str] | None = None

    def run(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            sample = json.loads(line)
            self.latencies_ms.append(sample["ms"])
            if sample["error"]:
                self.failures.append(sample["error"])
            self.most_connections = max(self.most_connections, sample["sockets"])

    def __enter__(self) -> "GoodClient":
        command = [sys.executable, "-m", "tests.security.good_client", self.live.url, self.live.token,
                   str(self.live.process.pid)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         cwd=Path(__file__).resolve().parents[2])
        assert self._process.stdout is not None
        assert self._process.stdout.readline().strip() == "ready"
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        with self._process:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(30)
        self.join(30)

    def wants_more(self, until: float) -> bool:
        """Whether to run another round of the attack: fewer than SAMPLES good requests were
        timed during it so far (a p99 needs a few hundred) and the time bound is not reached."""
        return len(self.latencies_ms) < SAMPLES and time.monotonic() < until

    def check(self, at_least: int = SAMPLES // 2) -> None:
        assert not self.failures, self.failures[:5]
        assert len(self.latencies_ms) >= at_least, f"only {len(self.latencies_ms)} good requests during the attack"
        ordered = sorted(self.latencies_ms)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        assert p99 < P99_MS, f"good client p99 {p99:.1f} ms (n={len(ordered)}, max {ordered[-1]:.1f} ms)"


def _connect(live: Endpoint) -> socket.socket:
    sock = socket.create_connection((live.host, live.port), timeout=10)
    return sock


def _head(live: Endpoint, extra: str) -> bytes:
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {live.token}\r\n"
            f"Content-Type: application/json\r\n{extra}\r\n").encode()


def _status(sock: socket.socket) -> int | None:
    """The status of the answer on ``sock``; None when the server reset the connection instead."""
    try:
        data = sock.recv(4096)
    except ConnectionError:
        return None
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def _peak_rss_mb(live: Endpoint) -> float:
    """The endpoint process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{live.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_oversized_bodies_are_refused_without_being_read(live: Endpoint) -> None:
    peak_before = _peak_rss_mb(live)
    with GoodClient(live) as good:
        until = time.monotonic() + ROUNDS_FOR_S
        while good.wants_more(until):
            # Declared too large: refused on the head alone, before any body byte is sent.
            with _connect(live) as sock:
                sock.sendall(_head(live, f"Content-Length: {200 * MIB}\r\n"))
                assert _status(sock) == 413
            # Chunked with no length: read up to the limit, then refused and the connection dropped.
            with _connect(live) as sock:
                sock.sendall(_head(live, "Transfer-Encoding: chunked\r\n"))
                chunk = b"%x\r\n%s\r\n" % (MIB, b"x" * MIB)
                sent = 0
                try:
                    while sent < 200 * MIB:
                        sock.sendall(chunk)
                        sent += MIB
                except (BrokenPipeError, ConnectionResetError):
                    pass
                assert sent < 32 * MIB, f"the endpoint took {sent // MIB} MB of a body whose limit is 1 MB"
                assert _status(sock) in (413, None)  # 413, unless the reset overtook it
        # A body just over the limit that the client sends whole still gets a clear 413.
        reply = httpx.post(f"{live.url}/chat/completions", content=b"x" * (MIB + 1),
                           headers={"authorization": f"Bearer {live.token}"})
        assert reply.status_code == 413 and "1048576 bytes" in reply.json()["error"]["message"]
    good.check()
    assert _peak_rss_mb(live) - peak_before < 100  # nothing near the 200 MB offered was held


def test_a_body_that_does_not_arrive_in_time_gets_408(live: Endpoint) -> None:
    with _connect(live) as sock:
        sock.sendall(_head(live, "Content-Length: 100\r\n") + b'{"model": ')
        t0 = time.monotonic()
        assert _status(sock) == 408
        assert LIMITS.body_timeout_s - 0.2 < time.monotonic() - t0 < LIMITS.body_timeout_s + 3


def test_slow_loris_connections_are_capped_and_timed_out(live: Endpoint) -> None:
    attackers: list[tuple[socket.socket, float]] = []
    cap = LIMITS.connection_cap()
    with GoodClient(live) as good:
        baseline = live.open_sockets()  # the listener, the good client's and the upstream connection
        try:
            for _ in range(200):
                sock = _connect(live)
                sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                attackers.append((sock, time.monotonic()))
            deadline = time.monotonic() + LIMITS.head_timeout_s + 2
            while time.monotonic() < deadline:  # trickle a header line now and then, as slow-loris does
                for sock, _ in attackers:
                    try:
                        sock.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
                time.sleep(0.25)
            # Every attacker was dropped: evicted past the cap, or answered 408 at the head deadline.
            for sock, _ in attackers:
                sock.settimeout(2)
                try:
                    rest = sock.recv(65536)
                    while rest and b"408" not in rest:
                        rest = sock.recv(65536)
                except ConnectionError:
                    pass
                except TimeoutError:
                    raise AssertionError("a slow-loris connection was still open past the head deadline") from None
        finally:
            for sock, _ in attackers:
                sock.close()
    good.check()
    # the cap, those held before, and a few evicted ones whose close is a loop turn away
    assert good.most_connections <= baseline + cap + 4, f"{good.most_connections} sockets open; the cap is {cap}"


def test_a_big_head_is_refused_431(live: Endpoint) -> None:
    with _connect(live) as sock:
        sock.sendall(_head(live, "".join(f"X-Pad-{i}: {'y' * 1000}\r\n" for i in range(40))))
        assert _status(sock) == 431


def test_a_huge_upstream_answer_fails_as_invalid_output(live: Endpoint) -> None:
    peak_before = _peak_rss_mb(live)
    headers = {"authorization": f"Bearer {live.token}"}
    with GoodClient(live) as good, httpx.Client(base_url=live.url, headers=headers, timeout=60) as attacker:
        until = time.monotonic() + ROUNDS_FOR_S
        while good.wants_more(until):
            t0 = time.monotonic()
            reply = attacker.post("/chat/completions", json={**GOOD_BODY, "model": "huge"})
            assert reply.status_code == 502
            error = reply.json()["error"]
            assert error["code"] == "invalid_output" and "16 MB" in error["message"]
            # Streamed: text flows until the cap, then the stream ends with an in-band error, no [DONE].
            with attacker.stream("POST", "/chat/completions", json={**GOOD_BODY, "model": "huge", "stream": True}) as s:
                tail = b""
                for chunk in s.iter_raw():
                    tail = (tail + chunk)[-4096:]
            assert b"invalid_output" in tail and b"[DONE]" not in tail
            # One line with no end: nothing to stream before the failure, so a plain error.
            reply = attacker.post("/chat/completions", json={**GOOD_BODY, "model": "huge-line", "stream": True})
            assert reply.status_code == 502 and reply.json()["error"]["code"] == "invalid_output"
            assert time.monotonic() - t0 < 60  # one round: three huge answers, none read whole
    good.check()
    assert _peak_rss_mb(live) - peak_before < 8 * ANSWER_CAP / MIB  # bounded by the cap, not by the 1,000 MB sent
    live.stop()
    outcomes = live.outcomes()
    assert outcomes["huge"] == "invalid_output" and outcomes["huge-line"] == "invalid_output"


def test_big_prompts_are_parsed_and_classified_off_the_loop(live: Endpoint) -> None:
    prompt = "word " * (LIMITS.max_body_bytes // 5 - 100)  # just under the body limit
    body = json.dumps({"model": "big", "messages": [{"role": "user", "content": prompt}], "max_tokens": 8})
    headers = {"authorization": f"Bearer {live.token}", "content-type": "application/json"}
    with GoodClient(live) as good, httpx.Client(base_url=live.url, headers=headers, timeout=60) as attacker:
        until = time.monotonic() + ROUNDS_FOR_S
        while good.wants_more(until):
            reply = attacker.post("/chat/completions", content=body)
            assert reply.status_code == 200, reply.text
            assert reply.json()["usage"]["prompt_tokens"] > 200_000
    good.check()
