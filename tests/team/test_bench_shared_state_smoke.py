"""The shared-state benchmark runs against real servers and reports every book and both goals
(its figures are read from the benchmark's own output, never asserted here)."""

from __future__ import annotations

from tests.bench import bench_shared_state


def test_the_benchmark_measures_all_three_books(redis_url: str, postgres_url: str) -> None:
    figures = bench_shared_state.measure(redis_url, postgres_url, 30)
    for name in ("in-process", "redis", "postgres"):
        assert figures[f"{name} p50 ms"] > 0
    lines = bench_shared_state.report(figures)
    assert any(line.startswith("redis: adds") for line in lines)
    assert any(line.startswith("postgres: adds") for line in lines)
