"""The OpenAI adapter against a real ``python -m llama_cpp.server`` serving the demo GGUF."""

from __future__ import annotations

import asyncio

import pytest

from console.core.providers.openai_compat import OpenAICompatProvider
from tests.core.providers.conftest import drain, make_call

pytestmark = pytest.mark.gguf


@pytest.mark.parametrize("stream", [True, False])
def test_answers_with_text_and_usage(llama_server: str, stream: bool) -> None:
    call = make_call("demo", "Name one colour.", max_tokens=8, temperature=0.0, stream=stream, read_timeout_s=60)
    got = drain(OpenAICompatProvider("llama", base_url=llama_server), call)
    assert got.text.strip(), "the model said something"
    assert got.completion.finish_reason in ("stop", "length")
    usage = got.completion.usage
    assert usage.output_tokens > 0 and usage.input_tokens > 0
    # llama.cpp's server reports usage on whole answers but not on streams (DESIGN.md).
    assert usage.estimated == stream


def test_logprobs_from_a_real_server(llama_server: str) -> None:
    call = make_call("demo", "Say hi.", max_tokens=4, temperature=0.0, want_logprobs=True, stream=False, read_timeout_s=60)
    got = drain(OpenAICompatProvider("llama", base_url=llama_server), call)
    logprobs = [lp for chunk in got.chunks for lp in chunk.logprobs]
    assert logprobs and all(lp <= 0.0 for lp in logprobs)


def test_lists_its_model(llama_server: str) -> None:
    async def run() -> list[str]:
        provider = OpenAICompatProvider("llama", base_url=llama_server)
        try:
            return await provider.list_models()
        finally:
            await provider.aclose()

    assert len(asyncio.run(run())) == 1
