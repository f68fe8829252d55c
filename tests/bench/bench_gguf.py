"""Benchmark: in-process GGUF tokens/s through the Engine against bare llama-cpp-python.

Run: .venv/bin/python -m tests.bench.bench_gguf [--tokens 128] [--rounds 3]

Same file (the bundled SmolLM2-135M), same settings (context, threads, no GPU layers), same prompt,
greedy decoding (temperature 0) so both produce the same tokens. Rounds alternate bare / engine in
this one process. Tokens/s counts generated tokens over the wall time of the call after the model is
loaded (prompt evaluation included for both). Goal: engine >= 0.97x bare.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.providers.local_models import resolve_model_path
from console.core.records import MemoryRecorder
from console.core.request import Request

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
N_CTX = 2048
THREADS = 2


def bare_run(llama, max_tokens: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    count = 0
    for chunk in llama.create_chat_completion(
        messages=[{"role": "user", "content": PROMPT}], max_tokens=max_tokens, temperature=0.0, stream=True
    ):
        if chunk["choices"][0]["delta"].get("content"):
            count += 1
    return count, time.perf_counter() - t0


def engine_policy() -> Policy:
    return Policy.model_validate(
        {
            "name": "gguf-bench",
            "providers": {"local": {"kind": "local-gguf"}},
            "models": {
                "smol": {"provider": "local", "model": "bundled:smollm2-135m", "context_window": N_CTX,
                         "threads": THREADS, "region": "on-prem", "gpu_layers": 0}
            },
            "tasks": {"chat": {}},
            "classification": {"default": "chat"},
            "routes": {"chat": {"candidates": ["smol"], "timeouts": {"first_token_s": 60, "total_s": 600}}},
        }
    )


async def engine_run(engine: Engine, max_tokens: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    result = await engine.route(Request.from_prompt(PROMPT, max_tokens=max_tokens, temperature=0.0))
    took = time.perf_counter() - t0
    assert result.ok, result.error
    return result.attempts[-1].output_tokens, took


async def measure(max_tokens: int, rounds: int) -> dict[str, list[float]]:
    from llama_cpp import Llama

    path = resolve_model_path("bundled:smollm2-135m")
    bare = Llama(model_path=str(path), n_ctx=N_CTX, n_threads=THREADS, n_gpu_layers=0, verbose=False)
    engine = Engine(engine_policy(), recorder=MemoryRecorder())
    bare_run(bare, 8)  # warm both
    await engine_run(engine, 8)
    rates: dict[str, list[float]] = {"bare": [], "engine": []}
    tokens: dict[str, list[int]] = {"bare": [], "engine": []}
    for _ in range(rounds):
        n, s = bare_run(bare, max_tokens)
        rates["bare"].append(n / s)
        tokens["bare"].append(n)
        n, s = await engine_run(engine, max_tokens)
        rates["engine"].append(n / s)
        tokens["engine"].append(n)
    await engine.aclose()
    bare.close()
    print(f"tokens generated per run: bare {tokens['bare']}, engine {tokens['engine']}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates = asyncio.run(measure(args.tokens, args.rounds))
    bare, routed = statistics.median(rates["bare"]), statistics.median(rates["engine"])
    print(f"bare llama-cpp-python  {bare:8.1f} tok/s  (runs: {', '.join(f'{r:.1f}' for r in rates['bare'])})")
    print(f"through the Engine     {routed:8.1f} tok/s  (runs: {', '.join(f'{r:.1f}' for r in rates['engine'])})")
    ratio = routed / bare
    print(f"ratio engine/bare      {ratio:8.3f}  (goal >= 0.97: {'met' if ratio >= 0.97 else 'NOT met'})")


if __name__ == "__main__":
    main()
