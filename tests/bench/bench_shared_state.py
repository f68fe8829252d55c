"""Benchmark: what shared budget state adds per request, Redis and PostgreSQL on loopback, against in-process.

Per request the Engine reads the budgets once for its plan, reserves before its call and settles
after it; that cycle is timed here with each book, in the same run:

* in-process (``LocalBudgetBook``): the single-desk baseline;
* Redis (``RedisSpendStore``): the read (carrying the previous request's settlement) and the
  reservation, one Lua script or MGET each;
* PostgreSQL (``PostgresSpendStore``): the same as a SELECT or upsert, then one upsert.

Settling only hands the real cost to the book: it reaches the store with the next read.

Goals (issue 21): added p50 <= 0.3 ms with Redis and <= 1 ms with PostgreSQL.

Run: .venv/bin/python -m tests.bench.bench_shared_state [--n 3000]
It starts a throwaway redis-server and PostgreSQL (Debian's) on loopback, as the tests do.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from console.core.budget.reservations import BudgetBook, LocalBudgetBook, SharedBudgetBook
from console.core.budget.tracker import BudgetTracker, SpendFeed
from console.core.policy.schema import Policy

GOALS_MS = {"redis": 0.3, "postgres": 1.0}

POLICY = Policy.model_validate({
    "name": "bench",
    "providers": {"up": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
    "models": {"m": {"provider": "up", "model": "m", "prices": {"input": 1, "output": 2}}},
    "tasks": {"chat": {}},
    "classification": {"default": "chat"},
    "routes": {"chat": {"candidates": ["m"]}},
    "budgets": [
        {"name": "daily", "period": "day", "limit_usd": 1e9},
        {"name": "team-month", "period": "month", "limit_usd": 1e9, "scope": {"team": "growth"}},
    ],
})


def cycle_ms(book: BudgetBook, n: int) -> list[float]:
    """n request cycles: read for the plan, reserve, settle. Milliseconds each, sorted."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        book.snapshot(POLICY)
        held = book.reserve(POLICY, 0.002, task="chat", team="growth", provider="up", model="m")
        book.settle(held, 0.0015)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    samples.sort()
    return samples


def _median_ms(call: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return statistics.median(samples)


def measure(redis_url: str, postgres_url: str, n: int) -> dict[str, float]:
    from console.core.budget.postgres_store import PostgresSpendStore
    from console.core.budget.redis_store import RedisSpendStore

    tracker = BudgetTracker(POLICY)
    feed = SpendFeed()
    feed.subscribe(tracker)
    books: dict[str, BudgetBook] = {
        "in-process": LocalBudgetBook(lambda: tracker, feed),
        "redis": SharedBudgetBook(RedisSpendStore(redis_url)),
        "postgres": SharedBudgetBook(PostgresSpendStore(postgres_url)),
    }
    figures: dict[str, float] = {}
    try:
        for name, book in books.items():
            cycle_ms(book, max(20, n // 10))  # warm: connections, prepared statements, script cache
        for name, book in books.items():
            samples = cycle_ms(book, n)
            figures[f"{name} p50 ms"] = statistics.median(samples)
            figures[f"{name} p95 ms"] = samples[int(0.95 * (len(samples) - 1))]
        for name in ("redis", "postgres"):
            figures[f"{name} added p50 ms"] = figures[f"{name} p50 ms"] - figures["in-process p50 ms"]
        # The floor under those figures: one bare round trip to each server on this machine now
        # (a request costs two: its read and its reservation).
        figures["redis PING p50 ms (one round trip)"] = _median_ms(books["redis"].store._redis.ping, n)  # type: ignore[union-attr]
        figures["postgres SELECT 1 p50 ms (one round trip)"] = _median_ms(
            lambda: books["postgres"].store._call("ping", "SELECT 1"), n)  # type: ignore[union-attr]
    finally:
        for book in books.values():
            if isinstance(book, SharedBudgetBook):
                book.close()
    return figures


def report(figures: dict[str, float]) -> list[str]:
    lines = [f"{name:<28} {value:8.4f}" for name, value in figures.items()]
    for name, goal in GOALS_MS.items():
        added = figures[f"{name} added p50 ms"]
        lines.append(f"{name}: adds {added:.3f} ms p50 per request (goal <= {goal} ms): "
                     + ("met" if added <= goal else "NOT met"))
    return lines


def servers() -> Iterator[tuple[str, str]]:
    from tests.support.postgres import PostgresServer, find_pg_bin
    from tests.support.redis_server import RedisServer

    bin_dir, binary = find_pg_bin(), shutil.which("redis-server")
    if bin_dir is None or binary is None:
        raise SystemExit("needs Debian's postgresql and redis-server installed")
    roots = [Path(tempfile.mkdtemp(prefix="routedesk-bench-")) for _ in range(2)]  # initdb owns its own
    redis, postgres = RedisServer(binary, roots[0]), PostgresServer(bin_dir, roots[1])
    try:
        redis.start()
        postgres.start()
        yield redis.url(), postgres.create_database("bench")
    finally:
        redis.stop()
        postgres.stop()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="request cycles per book")
    args = parser.parse_args()
    for redis_url, postgres_url in servers():
        print("\n".join(report(measure(redis_url, postgres_url, args.n))))


if __name__ == "__main__":
    main()
