"""Each benchmark runs end to end on a tiny workload so it cannot rot. No timing is asserted here:
the figures are printed by the benchmarks themselves (run them as modules for real numbers)."""

from __future__ import annotations

import asyncio

from tests.bench import bench_gguf, bench_ledger, bench_overhead, bench_plan
from tests.support.parts import require_demo_gguf


def test_plan_bench_measures_every_prompt() -> None:
    figures = bench_plan.measure(200)
    assert figures["classify+plan median us"] > 0
    assert sum(1 for name in figures if name.startswith("prompt ")) == len(bench_plan.PROMPTS)


def test_overhead_bench_runs_all_clients() -> None:
    figures = asyncio.run(bench_overhead.run(8, [1, 4], 2))
    assert {"direct c=1", "direct-lean c=1", "engine c=1", "litellm c=1", "engine c=4"} <= set(figures)
    lines = bench_overhead.report(figures, [1, 4])
    assert lines[-1].startswith("Routedesk adds")


def test_gguf_bench_runs_both_paths() -> None:
    require_demo_gguf()
    rates = asyncio.run(bench_gguf.measure(8, 1))
    assert rates["bare"][0] > 0 and rates["engine"][0] > 0


def test_ledger_bench_small() -> None:
    bench_ledger.test_bench_ledger_small()


def test_replay_bench_replays_and_times_the_naive_loop(tmp_path) -> None:
    from tests.bench import bench_replay

    figures = bench_replay.measure(2000, 200, folder=tmp_path)
    assert figures["requests replayed"] > 1800 and figures["routing changes"] > 0
    assert figures["replay s"] > 0 and figures["naive plan per request us (sample)"] > 0


def test_startup_bench_opens_and_closes_the_window() -> None:
    from tests.bench import bench_startup

    figures = bench_startup.measure(1)
    assert all(len(values) == 1 and values[0] > 0 for values in figures.values())


def test_router_bench_plans_both_ways_and_times_training() -> None:
    from tests.bench import bench_router
    from tests.support import graded_history

    history = graded_history.history(90)
    figures = bench_router.measure(20, history)
    assert figures["with router p50 ms"] > 0 and figures["without router p50 ms"] > 0
    assert bench_router.time_training(120, history) > 0


def test_rollout_bench_routes_both_engines_and_splits(tmp_path) -> None:
    from tests.bench import bench_rollout

    figures = asyncio.run(bench_rollout.measure(20, 2, folder=tmp_path))
    assert len(figures["plain"]) == len(figures["split"]) == 40 and all(figures["arms"])
    lines = bench_rollout.report(figures, bench_rollout.split_decision_us(1000))
    assert lines[-1].startswith("the split adds")


def test_shadow_bench_measures_every_configuration(tmp_path) -> None:
    from tests.bench import bench_shadow

    proc, url = bench_overhead.start_upstream()
    try:
        latencies = asyncio.run(bench_shadow.measure(url, tmp_path, 6, 3))
    finally:
        bench_shadow.stop_upstream(proc)
    assert {name: len(values) for name, values in latencies.items() if name in bench_shadow.CONFIGS} == {
        name: 6 for name in bench_shadow.CONFIGS}
    assert len(latencies["decision-us"]) == 10
    assert bench_shadow.report(latencies)[-1].startswith("goal: sampling adds <= 0.05 ms p50")
