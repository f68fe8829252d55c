"""Benchmark: what a route's learned router adds to planning a request, embedding included (goal: p50 <= 5 ms).

Run: .venv/bin/python -m tests.bench.bench_router [--n 2000] [--train 10000]
Trains a router on the shipped GSM8K history (graded by the numeric bar), then plans the same GSM8K
prompts, interleaved, through one policy whose route has the router and one whose route has not:
same run, same prompts. Prints both medians and p95s and the difference of the medians. With
``--train N`` it also times training on N graded prompts (the GSM8K ones repeated with a counter
appended, so every prompt is distinct; goal <= 2 minutes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from console.core.learned_router import router_file
from console.core.learned_router.graded import GradedHistory, from_cases
from console.core.learned_router.training import train
from console.core.pilot.bar import parse_bar
from console.core.pilot.cases import cases_from_dataset
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route

ROOT = Path(__file__).resolve().parents[2]
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"
WEAK, STRONG = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"


def gsm8k_history() -> GradedHistory:
    cases, _ = cases_from_dataset(GSM8K)
    return from_cases(cases, [WEAK, STRONG], source="gsm8k", bar=parse_bar("assertions: [{kind: numeric}]\n"))


def policy(router: Path | None) -> Policy:
    route: dict[str, object] = {"candidates": ["strong", "weak"]}
    if router is not None:
        route["router"] = {"file": str(router), "target": 0.95}
    return Policy.model_validate({
        "name": "bench", "providers": {"p": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": {"weak": {"provider": "p", "model": WEAK, "prices": {"input": 0.6, "output": 0.6}},
                   "strong": {"provider": "p", "model": STRONG, "prices": {"input": 10, "output": 30}}},
        "tasks": {"math": {}}, "classification": {"default": "math"}, "routes": {"math": route}})


def measure(n: int, history: GradedHistory | None = None, folder: Path | None = None) -> dict[str, float]:
    history = history or gsm8k_history()
    with tempfile.TemporaryDirectory() as scratch:
        trained, _ = train(history, seed=0)
        path = router_file.save(trained, Path(folder or scratch) / "bench.router")
        with_router, without = policy(path), policy(None)
        prompts = list(history.prompts)
        plan_route(Request.from_prompt(prompts[0]), with_router)  # load the router and the embedding model once
        timed: dict[str, list[float]] = {"with": [], "without": []}
        for i in range(n):
            prompt = prompts[i % len(prompts)]
            for name, pol in (("without", without), ("with", with_router)):
                t0 = time.perf_counter_ns()
                plan = plan_route(Request.from_prompt(prompt), pol)  # a fresh request: nothing cached
                timed[name].append((time.perf_counter_ns() - t0) / 1e6)
            assert not plan.warnings, plan.warnings
    figures = {f"{k} router {q}": float(np.percentile(v, p)) for k, v in timed.items() for q, p in (("p50 ms", 50),
                                                                                                    ("p95 ms", 95))}
    figures["router adds p50 ms"] = statistics.median(timed["with"]) - statistics.median(timed["without"])
    return figures


def time_training(size: int, history: GradedHistory) -> float:
    reps = -(-size // len(history))
    rows = np.arange(reps * len(history)) % len(history)
    rows = rows[:size]
    big = GradedHistory("repeated", history.models, tuple(f"c{i}" for i in range(size)),
                        tuple(f"{history.prompts[r]} (#{i})" for i, r in enumerate(rows)),
                        history.passed[rows], history.cost_usd[rows])
    t0 = time.perf_counter()
    train(big, seed=0, progress=lambda done, total, what: print(f"\r  [{done}/{total}] {what}".ljust(60), end=""))
    print()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="requests planned each way")
    parser.add_argument("--train", type=int, default=0, help="also time training on this many graded prompts")
    args = parser.parse_args()
    history = gsm8k_history()
    for name, value in measure(args.n, history).items():
        print(f"{name:<24} {value:8.3f}")
    if args.train:
        print(f"training on {args.train} graded prompts: {time_training(args.train, history):.1f} s (goal <= 120 s)")


if __name__ == "__main__":
    main()
