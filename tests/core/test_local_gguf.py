"""The in-process GGUF provider against the real SmolLM2 file and llama-cpp-python."""

from __future__ import annotations

import asyncio
import threading
import time
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from console.core.outcomes import Outcome
from console.core.policy import schema
from console.core.providers.base import Completion, ProviderCall, ProviderError, TextChunk
from console.core.providers.local_gguf import LocalGGUFProvider
from console.core.request import Message
from tests.support.parts import require_demo_gguf

pytestmark = pytest.mark.gguf
MODEL = "bundled:smollm2-135m"


def call(prompt: str, *, max_tokens: int = 12, **kwargs: object) -> ProviderCall:
    return ProviderCall(model_id=MODEL, messages=(Message("user", prompt),), max_tokens=max_tokens,
                        temperature=0.0, **kwargs)  # type: ignore[arg-type]


async def collect(provider: LocalGGUFProvider, request: ProviderCall) -> list[object]:
    return [event async for event in provider.stream(request)]


@pytest.fixture(scope="module")
def provider() -> Iterator[LocalGGUFProvider]:
    require_demo_gguf()
    local = LocalGGUFProvider("local", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
    local.configure(schema.Model(provider="local", model=MODEL, context_window=512, threads=2))
    asyncio.run(local.load(local.settings_for(MODEL)))  # the worker thread exists before any test's check
    yield local
    asyncio.run(local.aclose())


def test_streams_an_answer_with_exact_usage(provider: LocalGGUFProvider) -> None:
    events = asyncio.run(collect(provider, call("What is 2 plus 2?", want_logprobs=True)))
    chunks, end = events[:-1], events[-1]
    assert chunks and all(isinstance(c, TextChunk) for c in chunks)
    assert isinstance(end, Completion) and end.model_id == MODEL
    assert not end.usage.estimated
    assert end.usage.input_tokens > 10  # the file's chat template adds a system prompt
    assert 0 < end.usage.output_tokens <= 12
    assert any(c.logprobs for c in chunks) and all(p <= 0 for c in chunks for p in c.logprobs)
    assert provider.last_tokens_per_second > 0
    detail = provider.info().detail
    assert "gpu_offload" in detail and any("layers on GPU" in v for v in detail.values())


def test_settings_come_from_the_policy_model(provider: LocalGGUFProvider) -> None:
    settings = provider.settings_for(MODEL)
    assert (settings.n_ctx, settings.n_gpu_layers, settings.n_threads) == (512, 0, 2)
    other = LocalGGUFProvider("x", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
    other.configure(schema.Model(provider="x", model=MODEL, gpu_layers="all", context_window=10**6))
    assert other.settings_for(MODEL).n_gpu_layers == -1
    assert other.settings_for(MODEL).n_ctx == 8192  # capped at what the file was trained for


def test_cancel_stops_generation_between_tokens(provider: LocalGGUFProvider) -> None:
    async def scenario() -> None:
        stream = provider.stream(call("Count from 1 to 200, one number per line.", max_tokens=300))
        seen = 0
        async for event in stream:
            seen += isinstance(event, TextChunk)
            if seen == 3:
                break
        await stream.aclose()
        model = await provider.load(provider.settings_for(MODEL))
        await asyncio.get_running_loop().run_in_executor(model.executor, lambda: None)  # the worker is idle again
        assert model.last_run.cancelled
        assert model.last_run.output_tokens < 100

    asyncio.run(scenario())


def test_concurrent_requests_to_one_model_are_serialised(provider: LocalGGUFProvider) -> None:
    # Observe the generations where they run (the worker), not where their text is read: the
    # event loop collects tokens in batches, so consumer-side order says little about the worker.
    [model] = provider.host.loaded()
    spans: list[tuple[str, float, float, str]] = []
    generate = model.generate_in_worker

    def recorded(request: ProviderCall, emit, cancelled):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return generate(request, emit, cancelled)
        finally:
            spans.append((request.messages[-1].content, started, time.perf_counter(), threading.current_thread().name))

    model.generate_in_worker = recorded  # type: ignore[method-assign]
    try:
        async def tagged(tag: str) -> Completion:
            async for event in provider.stream(call(f"Say hello to {tag}.", max_tokens=8)):
                if isinstance(event, Completion):
                    return event
            raise AssertionError("stream ended without a Completion")

        async def both() -> list[Completion]:
            return list(await asyncio.gather(tagged("ann"), tagged("bob")))

        first, second = asyncio.run(both())
    finally:
        del model.generate_in_worker
    assert first.usage.output_tokens > 0 and second.usage.output_tokens > 0
    (_, start_a, end_a, thread_a), (_, start_b, end_b, thread_b) = sorted(spans, key=lambda span: span[1])
    assert end_a <= start_b, f"generations overlapped: {spans}"  # one after the other, never at once
    assert thread_a == thread_b  # on the model's one worker thread


def test_prompt_over_the_context_is_context_overflow(provider: LocalGGUFProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        asyncio.run(collect(provider, call("lorem ipsum dolor " * 400)))
    assert caught.value.outcome is Outcome.CONTEXT_OVERFLOW
    assert "512-token context" in caught.value.message
    assert asyncio.run(collect(provider, call("Hi")))[-1]  # the model still answers afterwards


@pytest.mark.parametrize("make", ["text", "truncated"])
def test_bad_files_are_bad_request_with_the_reason(tmp_path: Path, make: str) -> None:
    source = require_demo_gguf()
    target = tmp_path / "broken.gguf"
    if make == "text":
        target.write_text("this is not a model")
    else:
        with open(source, "rb") as whole, open(target, "wb") as part:
            shutil.copyfileobj(whole, part, length=1 << 20)
            part.truncate(5_000_000)
    local = LocalGGUFProvider("local", schema.Provider(kind=schema.ProviderKind.LOCAL_GGUF))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(collect(local, ProviderCall(model_id=str(target), messages=(Message("user", "hi"),), max_tokens=4)))
    assert caught.value.outcome is Outcome.BAD_REQUEST
    assert ("not a GGUF model" if make == "text" else "truncated") in caught.value.message


def test_stop_sequences_and_sampling_settings_reach_the_model(provider: LocalGGUFProvider) -> None:
    from console.core.request import Sampling

    prompt = "Count from 1 to 9, separated by commas."
    whole = "".join(e.text for e in asyncio.run(collect(provider, call(prompt, max_tokens=24)))
                    if isinstance(e, TextChunk))
    assert "4" in whole, whole  # the greedy answer gets past 4 ...
    stopped = asyncio.run(collect(provider, call(prompt, max_tokens=24, sampling=Sampling(stop=("4",), seed=1, top_p=0.9))))
    text = "".join(e.text for e in stopped if isinstance(e, TextChunk))
    assert "3" in text and "4" not in text  # ... and the caller's stop sequence ends it there
