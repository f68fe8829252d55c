"""Benchmark: what shadow mode adds to the production request, against the same run without it.

Run: .venv/bin/python -m tests.bench.bench_shadow [--n 2000] [--round 100]

The upstream is the project's fault server in its own process. One Workspace (one SQLite log), one
engine per policy, the same route and production model (``ok``) in each; requests go one at a time,
configurations interleaved in rounds so machine noise hits them alike:
  off          - the route has no shadow;
  sampled-out  - a shadow with ``sample: 0.05``: what every request pays for the sampling decision
                 (the 5% that are shadowed send their copy after the answer, in the background);
  all-slow     - every request shadowed, to a model that answers after 200 ms;
  all-hang     - every request shadowed, to a model that never answers (cut at 2 s; at most 4 in flight);
  all-failing  - every request shadowed, to a model that answers 500.
Production latency is measured from ``route`` called to ``route`` returned, so a shadow still
running in the background is not in it, but the loop time its calls take is. Prints p50/p95 per
configuration and each one's p50/p95 over ``off``, and the microseconds the Engine's shadow hook
takes for a request outside the sample (the decision alone, timed over 20,000 calls). Goal (issue 18: shadowing adds <= 0.05 ms
p50 to the production request): ``sampled-out`` p50 - ``off`` p50 <= 0.05 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.bench.bench_overhead import percentile, start_upstream

GOAL_MS = 0.05
CONFIGS = {
    "off": None,
    "sampled-out": ("ok#shadow", 0.05),
    "all-slow": ("slow-ok:ms=200", 1.0),
    "all-hang": ("hang", 1.0),
    "all-failing": ("500", 1.0),
}


def write_policy(folder: Path, url: str, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bar.yaml").write_text("assertions: [{kind: regex, value: '[a-z]'}]\n", encoding="utf-8")
    shadow = CONFIGS[name]
    shadow_line = "" if shadow is None else (
        f"    shadow: {{model: cheap, sample: {shadow[1]}, max_usd_per_day: 1000, bar: bar.yaml, timeout_s: 2}}\n")
    text = f"""name: bench-{name}
providers:
  up: {{kind: openai-compatible, base_url: "{url}"}}
models:
  prod: {{provider: up, model: ok, prices: {{input: 1, output: 2}}}}
  cheap: {{provider: up, model: "{shadow[0] if shadow else 'ok'}", prices: {{input: 0.1, output: 0.2}}}}
tasks: {{chat: {{}}}}
classification: {{default: chat}}
routes:
  chat:
    candidates: [prod]
    max_output_tokens: 16
{shadow_line}"""
    path = folder / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def measure(url: str, folder: Path, n: int, round_size: int) -> dict[str, list[float]]:
    import time

    from console.core.policy.loader import load_policy_or_raise
    from console.core.request import Request
    from console.core.workspace import Workspace

    workspace = Workspace(f"sqlite:///{folder / 'log.sqlite3'}")
    engines = {}
    for name in CONFIGS:
        path = write_policy(folder / name, url, name)
        engines[name] = workspace.engine(load_policy_or_raise(path), path)
    latencies: dict[str, list[float]] = {name: [] for name in CONFIGS}
    request = Request.from_prompt("Say hello to the benchmark.")
    try:
        for engine in engines.values():  # warm: connections, bindings, the bar
            for _ in range(5):
                await engine.route(request)
        done = 0
        while done < n:
            batch = min(round_size, n - done)
            for name, engine in engines.items():
                for _ in range(batch):
                    t0 = time.perf_counter()
                    result = await engine.route(request)
                    latencies[name].append((time.perf_counter() - t0) * 1000)
                    assert result.ok, result.error
            done += batch
        latencies["decision-us"] = decision_cost(engines["sampled-out"], request)
        shadows = {name: e.shadows for name, e in engines.items() if e.shadows is not None}
        print("shadows started / skipped (in flight): " + ", ".join(
            f"{name} {s.started}/{s.skipped_busy}" for name, s in shadows.items()))
    finally:
        await workspace.aclose()
    return latencies


def decision_cost(engine, request, n: int = 20000) -> list[float]:  # type: ignore[no-untyped-def]
    """Microseconds the Engine's shadow hook takes for a request outside the sample (per call, 10 runs)."""
    import time

    from console.core.outcomes import Outcome
    from console.core.routing.events import RouteResult
    from console.core.shadow.sampling import in_sample

    policy = engine.policy
    route = policy.routes["chat"]
    plan = engine.explain(request)
    out_of_sample = [rid for rid in (f"{n:032x}" for n in range(4 * n)) if not in_sample(rid, route.shadow.sample)][:n]
    results = [RouteResult(request_id=rid, plan=plan, outcome=Outcome.OK) for rid in out_of_sample]
    runs = []
    for _ in range(10):
        t0 = time.perf_counter()
        for result in results:
            found = policy.routes.get(result.plan.task)
            if found is not None and found.shadow is not None:
                engine._consider_shadow(request, result, found, policy, "", engine.prices, None)
        runs.append((time.perf_counter() - t0) / len(results) * 1e6)
    return runs


def stop_upstream(proc) -> None:  # type: ignore[no-untyped-def]
    proc.terminate()
    proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def report(latencies: dict[str, list[float]]) -> list[str]:
    base50, base95 = percentile(latencies["off"], 0.5), percentile(latencies["off"], 0.95)
    lines = [f"{'config':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'+p50 ms':>8} {'+p95 ms':>8}"]
    for name, values in latencies.items():
        if name == "decision-us":
            continue
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        lines.append(f"{name:<12} {len(values):>6} {p50:>8.3f} {p95:>8.3f} {p50 - base50:>+8.3f} {p95 - base95:>+8.3f}")
    if "decision-us" in latencies:
        lines.append(f"the shadow hook itself, for a request outside the sample: {percentile(latencies['decision-us'], 0.5):.2f} µs "
                     "per request (median of 10 runs)")
    added = percentile(latencies["sampled-out"], 0.5) - base50
    lines.append(f"goal: sampling adds <= {GOAL_MS} ms p50 -> {added:+.3f} ms: {'MET' if added <= GOAL_MS else 'NOT MET'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="production requests per configuration")
    parser.add_argument("--round", type=int, default=100, help="requests per configuration before switching")
    args = parser.parse_args(argv)
    proc, url = start_upstream()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            latencies = asyncio.run(measure(url, Path(tmp), args.n, args.round))
    finally:
        stop_upstream(proc)
    print("\n".join(report(latencies)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
