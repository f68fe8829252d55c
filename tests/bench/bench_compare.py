"""Benchmark: wall time of a 4-model side by side against the slowest single model (goal <= 1.1x).

Run: .venv/bin/python -m tests.bench.bench_compare [--rounds 3]
Columns: the in-process SmolLM2 GGUF (64 tokens) and three models on the fault server answering
after 500, 800 and 1100 ms. Each column is first run alone (after one warm-up that loads the
GGUF); then all four together. Prints the medians and the ratio together / slowest alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from console.core.compare.columns import CompareParams, parse_column_spec
from console.core.compare.run import SideBySide
from console.core.compare.session import CompareSession
from tests.support.fault_server import FaultServer

PROMPT = "Write two sentences about the sea."


async def _wall(session: CompareSession, specs: list[str], max_tokens: int) -> float:
    columns = [session.resolve(parse_column_spec(s, None)) for s in specs]
    t0 = time.perf_counter()
    result = await SideBySide(columns, CompareParams(prompt=PROMPT, max_tokens=max_tokens, temperature=0.0)).run()
    wall = time.perf_counter() - t0
    bad = [c for c in result.columns if c.outcome.value != "ok"]
    if bad:
        raise SystemExit(f"column failed: {bad[0].label}: {bad[0].error}")
    return wall


async def measure(rounds: int, max_tokens: int) -> None:
    server = FaultServer().start()
    session = CompareSession(None)
    specs = ["bundled:smollm2-135m"] + [f"slow-ok:ms={ms}#{i}@{server.url}" for i, ms in enumerate((500, 800, 1100))]
    try:
        await _wall(session, specs[:1], max_tokens)  # load the GGUF once; loading is not what this measures
        alone: dict[str, list[float]] = {s: [] for s in specs}
        together: list[float] = []
        for _ in range(rounds):
            for spec in specs:
                alone[spec].append(await _wall(session, [spec], max_tokens))
            together.append(await _wall(session, specs, max_tokens))
    finally:
        await session.aclose()
        server.stop()
    medians = {spec: statistics.median(v) for spec, v in alone.items()}
    slowest = max(medians.values())
    both = statistics.median(together)
    for spec, value in medians.items():
        print(f"alone      {spec.split('@')[0]:<28} {value * 1000:8.1f} ms")
    print(f"sum of singles                          {sum(medians.values()) * 1000:8.1f} ms")
    print(f"4 together                              {both * 1000:8.1f} ms")
    print(f"ratio together / slowest single: {both / slowest:.3f}x (goal <= 1.1x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(measure(args.rounds, args.max_tokens))


if __name__ == "__main__":
    main()
