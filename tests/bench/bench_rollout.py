"""Benchmark: what a staged rollout's split costs a request, against the same run without it.

Run: .venv/bin/python -m tests.bench.bench_rollout [--n 400] [--rounds 5]

Two engines route to the project's fault server (its own process, answering ``ok``) and log to one
real SQLite ledger: ``plain`` by a one-route policy, ``split`` by the same policy with the route in
rollout at 50 % (sticky by customer; the other model is the same upstream, so only the split
differs). The two take turns request by request (which goes first alternates), so machine noise
hits them alike. Printed: each one's p50/p95 per request, what the split adds at p50 and as the
median of the paired differences, and the split decision alone (request id, hash, share lookup) in
microseconds. The split's cost includes its ``rollout_arm`` row, written in the same commit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.bench_overhead import percentile, start_upstream


def _policy(url: str, rollout: bool) -> object:
    from console.core.policy.schema import Policy

    route: dict[str, object] = {"candidates": ["a"], "max_output_tokens": 16}
    if rollout:
        route["rollout"] = {"candidate": "b", "replaces": "a", "steps": [50, 100], "sticky_by": "meta.customer"}
    return Policy.model_validate({
        "name": "bench-rollout",
        "providers": {"up": {"kind": "openai-compatible", "base_url": url}},
        "models": {"a": {"provider": "up", "model": "ok#a", "prices": {"input": 1, "output": 2}},
                   "b": {"provider": "up", "model": "ok#b", "prices": {"input": 1, "output": 2}}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": route},
    })


def split_decision_us(n: int = 100_000) -> float:
    """Median cost of the split decision alone: the request id, the key's hash, the share lookup."""
    from console.core.records import new_request_id
    from console.core.request import Request
    from console.core.rollout.shares import RolloutShares
    from console.core.rollout.split import route_splits

    split = route_splits(_policy("http://127.0.0.1:9/v1", True))["chat"]  # type: ignore[arg-type]
    shares = RolloutShares({("bench-rollout", "chat"): 50.0})
    requests = [Request.from_prompt("hi", metadata={"customer": f"c{i}"}) for i in range(1000)]
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(n):
            split.arm(requests[i % 1000], new_request_id(), shares.share("bench-rollout", "chat"))
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


async def measure(n: int, rounds: int, folder: Path | None = None) -> dict[str, list[float]]:
    from console.core.engine import Engine
    from console.core.ledger.writer import LedgerWriter
    from console.core.request import Request
    from console.core.rollout.shares import RolloutShares

    proc, url = start_upstream()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{(folder or Path(tmp)) / 'bench-rollout.sqlite3'}"
        writer = LedgerWriter(db_url)
        shares = RolloutShares({("bench-rollout", "chat"): 50.0})
        engines = {"plain": Engine(_policy(url, False), recorder=writer),  # type: ignore[arg-type]
                   "split": Engine(_policy(url, True), recorder=writer, rollout_shares=shares)}  # type: ignore[arg-type]
        latencies: dict[str, list[float]] = {"plain": [], "split": []}
        arms: dict[str, int] = {}
        try:
            for name, engine in engines.items():  # warm: connections, first plan
                for _ in range(20):
                    await engine.route(Request.from_prompt("warm up"))
            for r in range(rounds):
                for i in range(n):
                    order = ("plain", "split") if (r + i) % 2 == 0 else ("split", "plain")
                    for name in order:
                        request = Request.from_prompt("Say hello to the benchmark.", metadata={"customer": f"c{i}"})
                        t0 = time.perf_counter()
                        result = await engines[name].route(request)
                        latencies[name].append((time.perf_counter() - t0) * 1000)
                        assert result.ok, result.error
                        if result.arm:
                            arms[result.arm] = arms.get(result.arm, 0) + 1
        finally:
            for engine in engines.values():
                await engine.aclose()
            writer.close()
            proc.terminate()
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()
    latencies["arms"] = [float(arms.get("baseline", 0)), float(arms.get("candidate", 0))]
    return latencies


def report(figures: dict[str, list[float]], decision_us: float) -> list[str]:
    lines = []
    for name in ("plain", "split"):
        values = figures[name]
        lines.append(f"{name:6s} p50 {percentile(values, 0.5):.3f} ms  p95 {percentile(values, 0.95):.3f} ms  "
                     f"({len(values)} requests)")
    added = percentile(figures["split"], 0.5) - percentile(figures["plain"], 0.5)
    paired = statistics.median(s - p for s, p in zip(figures["split"], figures["plain"]))
    baseline, candidate = figures["arms"]
    lines.append(f"split arms: {baseline:.0f} on A, {candidate:.0f} on B "
                 f"({100 * candidate / max(1.0, baseline + candidate):.1f}% on B, target 50%)")
    lines.append(f"the split adds {added * 1000:+.0f} µs p50 per request ({paired * 1000:+.0f} µs median of the "
                 f"paired differences; same run); the decision alone {decision_us:.2f} µs")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="requests per engine per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.n, args.rounds))
    print("\n".join(report(figures, split_decision_us())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
