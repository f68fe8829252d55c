"""The endpoint benchmark runs end to end with tiny numbers, so it does not rot (no timing asserts)."""

from __future__ import annotations

import asyncio

import pytest

from tests.bench.bench_gateway import report, run


@pytest.mark.slow
def test_bench_gateway_runs_and_reports_every_client() -> None:
    figures = asyncio.run(run(n=8, concurrencies=[1, 4], rounds=2, litellm=False))
    assert {"direct c=1", "engine c=1", "endpoint c=1", "endpoint c=4"} <= set(figures)
    assert all(f["p50_ms"] > 0 and f["req_per_s"] > 0 for f in figures.values())
    lines = report(figures, [1, 4])
    assert lines[-1].startswith("endpoint adds ")
