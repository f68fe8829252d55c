"""Threads a test left running, daemon threads included (napari fails a test that leaves any).

Daemon threads count too: a ledger writer or a server thread left running by a test is a leak
even though it would not keep the interpreter alive, and it can write into the next test's files.
"""

from __future__ import annotations

import threading
import time

GRACE_S = 2.0  # a thread that is already finishing gets this long to end


def _describe(thread: threading.Thread) -> str:
    return f"{thread.name}{' (daemon)' if thread.daemon else ''}"


def leftover_threads(before: set[threading.Thread], grace_s: float = GRACE_S) -> list[str]:
    """Names of threads started since ``before`` that are still alive after ``grace_s``."""
    deadline = time.monotonic() + grace_s
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while leftover and time.monotonic() < deadline:
        leftover[0].join(timeout=max(0.0, deadline - time.monotonic()))
        leftover = [t for t in leftover if t.is_alive()]
    return [_describe(t) for t in leftover]
