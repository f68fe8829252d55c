"""Benchmark: what one request's durability costs its caller, staged or awaiting the group commit.

Run: ``.venv/bin/python -m tests.bench.bench_durability [--n 3000]``

One caller records finished requests one after another (concurrency 1, as a lone client of the
endpoint) and waits until each is durable: for ``staging`` that is ``record()`` returning (the row
is in the process's staging file, written with stdlib ``sqlite3`` on the caller's thread); for
``commit`` it is the writer thread's group commit (a thread hop, SQLAlchemy, the rollup upserts).
Prints p50/p95/p99 in microseconds. This is the figure that decided issue 13's item 4 (the log's
journal was replaced by the staging file); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from console.core.ledger.writer import LedgerWriter

from tests.core.ledger.records_factory import make_record


def measure(url: str, n: int, *, staging: bool) -> list[float]:
    writer = LedgerWriter(url, staging=staging)
    waits: list[float] = []
    try:
        for i in range(n):
            record = make_record(f"d{staging}-{i}")
            t0 = time.perf_counter()
            writer.record(record).result(timeout=30)
            waits.append((time.perf_counter() - t0) * 1e6)
        writer.flush(60)
    finally:
        writer.close()
    return sorted(waits[n // 10:])  # past the warm-up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for staging in (True, False):
            waits = measure(f"sqlite:///{Path(tmp) / f'log-{staging}.sqlite3'}", args.n, staging=staging)
            q = lambda f: waits[min(len(waits) - 1, int(f * len(waits)))]  # noqa: E731
            name = "staging file (caller's thread)" if staging else "await the group commit"
            print(f"{name:32s} p50 {q(0.5):8.1f} µs  p95 {q(0.95):8.1f} µs  p99 {q(0.99):8.1f} µs")


if __name__ == "__main__":
    main()
