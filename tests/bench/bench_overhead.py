"""Benchmark: what routing adds over a direct call to the same loopback upstream, next to LiteLLM.

Run: .venv/bin/python -m tests.bench.bench_overhead [--n 400] [--concurrency 1 32] [--await-commit]

The upstream is the project's fault server in its own process answering ``ok`` (so the upstream
itself costs well under a millisecond). Three clients call it in this one process, interleaved in
rounds so machine noise hits them alike:
  direct   - one httpx.AsyncClient POST per request (httpx's own transport, httpcore: what an app
             calling the upstream itself uses, and what LiteLLM sits on);
  direct-lean - the same POST through Routedesk's HTTP transport (httpx over httptools,
             console/core/providers/_transport.py): the engine's own baseline, so that what the
             engine "adds" is routing alone and not hidden by its faster HTTP layer;
  engine   - Engine.route on a one-model policy, logging to a real SQLite ledger: it returns once
             the request is durable (in the staging file), and the writer thread commits in the
             background (what the CLI, window and endpoint pay; the CPU the commits take is in the
             figures). ``--await-commit`` makes it wait for the group commit instead (no staging);
  litellm  - litellm.Router.acompletion to the same upstream (if the bench extra is installed).
Prints latency p50/p95 per client, the p50/p95 each adds over direct, throughput, and the goal:
Routedesk adds <= 1/10 of what LiteLLM adds, each measured over a direct call on its own HTTP layer
(engine - direct-lean against litellm - direct).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Awaitable, Callable

from console.core.heap import settle

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "user", "content": "Say hello to the benchmark."}]
#: Each client's "added" is over a direct call on the same HTTP layer it uses.
BASELINE = {"direct": "direct", "direct-lean": "direct", "engine": "direct-lean", "litellm": "direct"}


def start_upstream() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fault_server"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.split("listening on ", 1)[1].split()[0]
    return proc, url


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def timed_batch(call: Callable[[], Awaitable[object]], n: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            t0 = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return latencies, time.perf_counter() - t0


def make_clients(url: str, db_url: str, *, staging: bool = True):
    import httpx

    from console.core.engine import Engine
    from console.core.ledger.writer import LedgerWriter
    from console.core.providers._transport import LeanTransport
    from console.core.policy.schema import Policy
    from console.core.request import Request

    client = httpx.AsyncClient(trust_env=False, timeout=30, limits=httpx.Limits(max_connections=64))

    async def direct() -> None:
        response = await client.post(f"{url}/chat/completions", json={"model": "ok", "messages": MESSAGES, "max_tokens": 16})
        response.raise_for_status()
        response.json()

    lean = httpx.AsyncClient(trust_env=False, timeout=30,
                             transport=LeanTransport(httpx.Limits(max_connections=64, max_keepalive_connections=64)))

    async def direct_lean() -> None:
        response = await lean.post(f"{url}/chat/completions", json={"model": "ok", "messages": MESSAGES, "max_tokens": 16})
        response.raise_for_status()
        response.json()

    policy = Policy.model_validate(
        {
            "name": "bench",
            "providers": {"up": {"kind": "openai-compatible", "base_url": url}},
            "models": {"ok": {"provider": "up", "model": "ok", "prices": {"input": 1, "output": 2}}},
            "tasks": {"chat": {}},
            "classification": {"default": "chat", "rules": [{"task": "chat", "when": {"keywords": ["hello"]}}]},
            "routes": {"chat": {"candidates": ["ok"], "max_output_tokens": 16}},
        }
    )
    writer = LedgerWriter(db_url, staging=staging)
    engine = Engine(policy, recorder=writer)

    engine_calls: list[None] = []

    async def routed() -> None:
        result = await engine.route(Request.from_prompt(MESSAGES[0]["content"]))
        assert result.ok, result.error
        engine_calls.append(None)

    clients: dict[str, Callable[[], Awaitable[None]]] = {"direct": direct, "direct-lean": direct_lean, "engine": routed}
    try:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
        from litellm import Router

        router = Router(
            model_list=[{"model_name": "ok", "litellm_params": {"model": "openai/ok", "api_base": url, "api_key": "none"}}]
        )

        async def via_litellm() -> None:
            await router.acompletion(model="ok", messages=MESSAGES, max_tokens=16)

        clients["litellm"] = via_litellm
    except ImportError:
        print("litellm is not installed (pip install -e '.[bench]'): its column is left out")

    async def close() -> None:
        await client.aclose()
        await lean.aclose()
        await engine.aclose()
        writer.flush(60)
        routed_count = len(engine_calls)
        print(f"ledger: {writer.committed_requests} of {routed_count} routed requests committed "
              f"in {writer.commits} commits")
        writer.close()

    return clients, close


async def run(n: int, concurrencies: list[int], rounds: int, *, freeze: bool = False,
              staging: bool = True) -> dict[str, dict[str, float]]:
    """``freeze``: settle the heap after warm-up, as a served process does (not inside pytest)."""
    proc, url = start_upstream()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clients, close = make_clients(url, f"sqlite:///{tmp}/bench.sqlite3", staging=staging)
        try:
            for name, call in clients.items():  # warm connections, imports, caches
                await timed_batch(call, 20, 4)
            if freeze:  # as `routedesk serve` and the window do once started: no full-GC pauses over that heap
                settle()
            for concurrency in concurrencies:
                samples: dict[str, list[float]] = {name: [] for name in clients}
                seconds: dict[str, float] = {name: 0.0 for name in clients}
                for _ in range(rounds):
                    for name, call in clients.items():
                        lat, took = await timed_batch(call, n // rounds, concurrency)
                        samples[name] += lat
                        seconds[name] += took
                for name in clients:
                    figures[f"{name} c={concurrency}"] = {
                        "p50_ms": statistics.median(samples[name]),
                        "p95_ms": percentile(samples[name], 0.95),
                        "req_per_s": len(samples[name]) / seconds[name],
                    }
        finally:
            await close()
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
    return figures


def report(figures: dict[str, dict[str, float]], concurrencies: list[int]) -> list[str]:
    lines = [f"{'client':20s} {'p50 ms':>9s} {'p95 ms':>9s} {'req/s':>9s} {'+p50 ms':>9s} {'+p95 ms':>9s}  over"]
    for concurrency in concurrencies:
        for name in ("direct", "direct-lean", "engine", "litellm"):
            key = f"{name} c={concurrency}"
            if key not in figures:
                continue
            base_name = BASELINE[name]
            base = figures[f"{base_name} c={concurrency}"]
            f = figures[key]
            lines.append(
                f"{key:20s} {f['p50_ms']:9.3f} {f['p95_ms']:9.3f} {f['req_per_s']:9.1f} "
                f"{f['p50_ms'] - base['p50_ms']:9.3f} {f['p95_ms'] - base['p95_ms']:9.3f}  {base_name}"
            )
    one = concurrencies[0]
    if f"litellm c={one}" in figures:
        added_engine = figures[f"engine c={one}"]["p50_ms"] - figures[f"direct-lean c={one}"]["p50_ms"]
        added_litellm = figures[f"litellm c={one}"]["p50_ms"] - figures[f"direct c={one}"]["p50_ms"]
        ratio = added_engine / added_litellm if added_litellm > 0 else float("nan")
        lines.append(f"Routedesk adds {added_engine:.3f} ms p50, LiteLLM {added_litellm:.3f} ms: ratio {ratio:.3f} "
                     f"(goal <= 0.100: {'met' if ratio <= 0.1 else 'NOT met'})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--await-commit", action="store_true",
                        help="the engine waits for the log's group commit (no staging file): the other design")
    args = parser.parse_args()
    print("engine durability: " + ("awaits the group commit" if args.await_commit else "staging file"))
    figures = asyncio.run(run(args.n, args.concurrency, args.rounds, freeze=True, staging=not args.await_commit))
    print("\n".join(report(figures, args.concurrency)))


if __name__ == "__main__":
    main()
