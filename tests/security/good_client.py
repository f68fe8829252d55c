"""The good client of the attack tests, in a process of its own so that the attackers' threads in
the test's process never hold a GIL it needs: what it times is the endpoint.

    python -m tests.security.good_client URL TOKEN ENDPOINT_PID
Sends small chat requests one after another on one kept-alive connection. Prints ``ready`` after
a first (untimed) request, then one JSON line per request: ``ms``, ``error`` (or null) and
``sockets`` (the endpoint's open sockets, read from /proc), until its stdin closes.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import httpx

BODY = {"model": "chat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}


def open_sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass  # closed while we looked
    return count


def main(url: str, token: str, pid: int) -> int:
    stop = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=10) as client:
        client.post("/chat/completions", json=BODY)  # opens the connections, here and upstream
        print("ready", flush=True)
        while not stop.is_set():
            t0 = time.perf_counter()
            error = None
            try:
                reply = client.post("/chat/completions", json=BODY)
                if reply.status_code != 200:
                    error = f"HTTP {reply.status_code}: {reply.text[:200]}"
            except httpx.HTTPError as exc:
                error = repr(exc)
            ms = (time.perf_counter() - t0) * 1000
            print(json.dumps({"ms": ms, "error": error, "sockets": open_sockets(pid)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
