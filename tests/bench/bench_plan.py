"""Benchmark: classify + plan per request on the support-desk policy (goal: median <= 50 us here).

Run: .venv/bin/python -m tests.bench.bench_plan [--n 20000]
Prints the median and p95 per request, and the baseline of an empty function call in the same
process so the figure can be read against this machine's speed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from console.core.engine import Engine
from console.core.request import Request

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = [
    ("Hi, where is my parcel? Order 12345 was due yesterday.", {"team": "support", "region": "us"}),
    ("I want a refund, this is unacceptable and I will call my lawyer.", {"region": "eu"}),
    ("Can you help me reset my password?", {}),
    ("Summarise this thread: " + "the customer wrote back again about the invoice. " * 400, {"region": "us"}),
]


def measure(n: int) -> dict[str, float]:
    engine = Engine.from_file(ROOT / "policies" / "support-desk.yaml")
    requests = [Request.from_prompt(p, metadata=m) for p, m in PROMPTS]
    samples = []
    for i in range(n):
        prompt, meta = PROMPTS[i % len(PROMPTS)]
        t0 = time.perf_counter_ns()
        engine.explain(Request.from_prompt(prompt, metadata=meta))  # a fresh request: nothing cached
        samples.append((time.perf_counter_ns() - t0) / 1000)
    baseline = []
    noop = lambda r: r  # noqa: E731
    for i in range(n):
        t0 = time.perf_counter_ns()
        noop(requests[0])
        baseline.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    per_prompt = {}
    for index, request in enumerate(requests):
        times = []
        prompt, meta = PROMPTS[index]
        for _ in range(max(50, n // 20)):
            t0 = time.perf_counter_ns()
            engine.explain(Request.from_prompt(prompt, metadata=meta))
            times.append((time.perf_counter_ns() - t0) / 1000)
        per_prompt[f"prompt {index + 1} ({len(request.text)} chars) median us"] = statistics.median(times)
    return {
        "classify+plan median us": statistics.median(samples),
        "classify+plan p95 us": samples[int(0.95 * (len(samples) - 1))],
        "empty call median us (baseline)": statistics.median(baseline),
        **per_prompt,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    figures = measure(parser.parse_args().n)
    for name, value in figures.items():
        print(f"{name:45s} {value:10.2f}")
    print(f"{'goal: median <= 50 us':45s} {'met' if figures['classify+plan median us'] <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
