"""Benchmark: what the local endpoint adds over calling the same loopback upstream directly, next to LiteLLM.

Run: .venv/bin/python -m tests.bench.bench_gateway [--n 400] [--rounds 4] [--concurrency 1 32] [--no-litellm]

Processes: the upstream (the fault server answering ``ok``), the endpoint (``routedesk serve``'s
app under uvicorn, logging to a real SQLite ledger and awaiting each commit), and this client.
Clients, interleaved in rounds so machine noise hits them alike (helpers from bench_overhead):
  direct    - httpx POST straight to the upstream (the baseline);
  engine    - Engine.route in this process (routing without the HTTP hop);
  endpoint  - httpx POST to the endpoint's /v1/chat/completions with the bearer token;
  litellm   - litellm.Router.acompletion to the upstream, in this process (if installed).
Prints p50/p95 per client, what each adds over direct, and the goal: the endpoint adds < 1 ms p50
sequentially.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from typing import Awaitable, Callable

from console.core.heap import settle
from tests.bench.bench_overhead import MESSAGES, ROOT, make_clients, percentile, start_upstream, timed_batch

TOKEN = "bench-token"
GOAL_MS = 1.0


def serve(upstream: str, db_url: str) -> None:
    """Child process: the endpoint over a one-model policy on the upstream, on a free loopback port."""
    from console.core.policy.schema import Policy
    from console.core.workspace import Workspace
    from console.gateway.app import create_app
    from console.gateway.server import bind_socket, make_server
    from console.gateway.state import GatewayState

    policy = Policy.model_validate(
        {
            "name": "bench",
            "providers": {"up": {"kind": "openai-compatible", "base_url": upstream}},
            "models": {"ok": {"provider": "up", "model": "ok", "prices": {"input": 1, "output": 2}}},
            "tasks": {"chat": {}},
            "classification": {"default": "chat", "rules": [{"task": "chat", "when": {"keywords": ["hello"]}}]},
            "routes": {"chat": {"candidates": ["ok"], "max_output_tokens": 16}},
        }
    )
    state = GatewayState.open(policy, None, token=TOKEN, workspace=Workspace(db_url))
    sock = bind_socket("127.0.0.1", 0)
    settle()  # as `routedesk serve` does
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    try:
        make_server(create_app(state), sock).run(sockets=[sock])
    except KeyboardInterrupt:
        pass


def start_endpoint(upstream: str, db_url: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.bench_gateway", "--serve", upstream, "--db", db_url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split("listening on ", 1)[1].split()[0]


async def run(n: int, concurrencies: list[int], rounds: int, litellm: bool = True, *, freeze: bool = False
              ) -> dict[str, dict[str, float]]:
    import httpx

    upstream_proc, upstream = start_upstream()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        endpoint_proc, endpoint = start_endpoint(upstream, f"sqlite:///{tmp}/endpoint.sqlite3")
        clients, close = make_clients(upstream, f"sqlite:///{tmp}/engine.sqlite3")
        if not litellm:
            clients.pop("litellm", None)
        http = httpx.AsyncClient(trust_env=False, timeout=30, limits=httpx.Limits(max_connections=64))
        headers = {"Authorization": f"Bearer {TOKEN}"}

        async def via_endpoint() -> None:
            response = await http.post(f"{endpoint}/chat/completions", headers=headers,
                                       json={"model": "auto", "messages": MESSAGES, "max_tokens": 16})
            response.raise_for_status()
            response.json()

        clients = {"direct": clients["direct"], "engine": clients["engine"], "endpoint": via_endpoint,
                   **({"litellm": clients["litellm"]} if "litellm" in clients else {})}
        try:
            for call in clients.values():  # warm connections, imports, caches
                await timed_batch(call, 20, 4)
            if freeze:  # as `routedesk serve` and the window do once started: no full-GC pauses over that heap
                settle()
            for concurrency in concurrencies:
                samples: dict[str, list[float]] = {name: [] for name in clients}
                seconds = {name: 0.0 for name in clients}
                for _ in range(rounds):
                    for name, call in clients.items():
                        lat, took = await timed_batch(call, max(1, n // rounds), concurrency)
                        samples[name] += lat
                        seconds[name] += took
                for name in clients:
                    figures[f"{name} c={concurrency}"] = {
                        "p50_ms": statistics.median(samples[name]),
                        "p95_ms": percentile(samples[name], 0.95),
                        "req_per_s": len(samples[name]) / seconds[name],
                    }
        finally:
            await http.aclose()
            await close()
            for proc in (endpoint_proc, upstream_proc):
                proc.terminate()
                proc.wait(timeout=15)
                if proc.stdout is not None:
                    proc.stdout.close()
    return figures


def report(figures: dict[str, dict[str, float]], concurrencies: list[int]) -> list[str]:
    lines = [f"{'client':20s} {'p50 ms':>9s} {'p95 ms':>9s} {'req/s':>9s} {'+p50 ms':>9s} {'+p95 ms':>9s}"]
    for concurrency in concurrencies:
        base = figures[f"direct c={concurrency}"]
        for name in ("direct", "engine", "endpoint", "litellm"):
            f = figures.get(f"{name} c={concurrency}")
            if f is None:
                continue
            lines.append(f"{name + ' c=' + str(concurrency):20s} {f['p50_ms']:9.3f} {f['p95_ms']:9.3f} "
                         f"{f['req_per_s']:9.1f} {f['p50_ms'] - base['p50_ms']:9.3f} {f['p95_ms'] - base['p95_ms']:9.3f}")
    one = concurrencies[0]
    added = figures[f"endpoint c={one}"]["p50_ms"] - figures[f"direct c={one}"]["p50_ms"]
    hop = figures[f"endpoint c={one}"]["p50_ms"] - figures[f"engine c={one}"]["p50_ms"]
    line = (f"endpoint adds {added:.3f} ms p50 at c={one} (of which the HTTP hop {hop:.3f} ms); goal < {GOAL_MS} ms: "
            f"{'met' if added < GOAL_MS else 'NOT met'}")
    if f"litellm c={one}" in figures:
        line += f"; LiteLLM Router in-process adds {figures[f'litellm c={one}']['p50_ms'] - figures[f'direct c={one}']['p50_ms']:.3f} ms"
    lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--no-litellm", action="store_true")
    parser.add_argument("--serve", metavar="UPSTREAM", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db)
        return
    figures = asyncio.run(run(args.n, args.concurrency, args.rounds, litellm=not args.no_litellm, freeze=True))
    print("\n".join(report(figures, args.concurrency)))


if __name__ == "__main__":
    main()
