"""What the OpenAI adapter sends, and what it makes of answers that omit things."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from console.core.outcomes import Outcome
from console.core.policy import schema
from console.core.providers.anthropic import AnthropicProvider
from console.core.providers.base import ProviderError
from console.core.providers.gemini import GeminiProvider
from console.core.providers.openai_compat import OpenAICompatProvider
from console.core.providers.registry import build_provider
from tests.core.providers.conftest import KEY, drain, drain_async, make_call
from tests.support.fault_server import CannedResponse, FaultServer


def test_streaming_request_shape(fault_server: FaultServer) -> None:
    provider = OpenAICompatProvider("o", base_url=fault_server.url, key=KEY, headers={"X-Title": "routedesk"})
    call = make_call("ok", temperature=0.3, json_mode=True, want_logprobs=True)
    got = drain(provider, call)
    (request,) = fault_server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "[redacted]" and request.secret_is("authorization", f"Bearer {KEY}")
    assert request.headers["x-title"] == "routedesk"
    assert request.headers["accept"] == "text/event-stream"
    assert request.body == {
        "model": "ok",
        "messages": [{"role": "user", "content": "hello there big world"}],
        "max_tokens": 64,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,
        "logprobs": True,
        "top_logprobs": 1,
        "response_format": {"type": "json_object"},
    }
    assert [lp for c in got.chunks for lp in c.logprobs] == [-0.05] * 4


def test_no_key_means_no_authorization_header(fault_server: FaultServer) -> None:
    drain(OpenAICompatProvider("o", base_url=fault_server.url), make_call("ok", stream=False))
    (request,) = fault_server.requests
    assert "authorization" not in request.headers
    assert "stream_options" not in request.body and "logprobs" not in request.body


@pytest.mark.parametrize("stream", [True, False])
def test_logprobs_come_back_with_the_text(fault_server: FaultServer, stream: bool) -> None:
    got = drain(OpenAICompatProvider("o", base_url=fault_server.url), make_call("ok:logprob=-2.5", want_logprobs=True, stream=stream))
    assert [lp for c in got.chunks for lp in c.logprobs] == [-2.5] * 4


STREAM_WITHOUT_USAGE = "".join(
    "data: " + json.dumps({"model": "llama", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"
    for delta, finish in [({"role": "assistant"}, None), ({"content": "two words"}, None), ({}, "stop")]
) + "data: [DONE]\n\n"


def test_usage_is_estimated_and_marked_when_the_server_omits_it(fault_server: FaultServer) -> None:
    fault_server.replay(CannedResponse(200, STREAM_WITHOUT_USAGE, {"content-type": "text/event-stream"}, chunked=True))
    got = drain(OpenAICompatProvider("o", base_url=fault_server.url), make_call("llama"))
    assert got.text == "two words"
    usage = got.completion.usage
    assert usage.estimated and usage.output_tokens >= 2 and usage.input_tokens >= 4


def test_cached_and_reasoning_tokens_are_read(fault_server: FaultServer) -> None:
    body = {
        "model": "o3-mini-2025-01-31",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "4"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 256},
        },
    }
    fault_server.replay(CannedResponse(200, json.dumps(body), {"content-type": "application/json"}))
    got = drain(OpenAICompatProvider("o", base_url=fault_server.url), make_call("o3-mini", stream=False))
    usage = got.completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens) == (1200, 300, 1024, 256)
    assert not usage.estimated and got.completion.model_id == "o3-mini-2025-01-31"


def test_an_error_object_in_the_stream_is_classified(fault_server: FaultServer) -> None:
    body = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"upstream overloaded","type":"overloaded_error"}}\n\n'
    fault_server.replay(CannedResponse(200, body, {"content-type": "text/event-stream"}, chunked=True))
    with pytest.raises(ProviderError) as caught:
        drain(OpenAICompatProvider("router", base_url=fault_server.url), make_call("x"))
    assert caught.value.outcome is Outcome.UNAVAILABLE and caught.value.partial_text == "Hi"


def test_a_server_that_ignores_stream_true_still_answers(fault_server: FaultServer) -> None:
    body = {"model": "m", "choices": [{"index": 0, "message": {"content": "whole"}, "finish_reason": "stop"}]}
    fault_server.replay(CannedResponse(200, json.dumps(body), {"content-type": "application/json"}))
    got = drain(OpenAICompatProvider("o", base_url=fault_server.url), make_call("m"))
    assert got.text == "whole" and got.completion.usage.estimated


def test_connection_refused_is_unavailable_and_not_a_reset() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there
    with pytest.raises(ProviderError) as caught:
        drain(OpenAICompatProvider("gone", base_url=f"http://127.0.0.1:{port}/v1", key=KEY), make_call("ok"))
    assert caught.value.outcome is Outcome.UNAVAILABLE and not caught.value.before_response


def test_list_models_and_its_auth_failure(fault_server: FaultServer) -> None:
    async def run() -> list[str]:
        provider = OpenAICompatProvider("o", base_url=fault_server.url, key=KEY)
        try:
            return await provider.list_models()
        finally:
            await provider.aclose()

    assert asyncio.run(run()) == ["ok"]
    assert fault_server.requests[0].method == "GET" and fault_server.requests[0].path == "/v1/models"
    fault_server.replay(CannedResponse(401, '{"error":{"message":"Incorrect API key provided: sk-routede****cdef","code":"invalid_api_key"}}'))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(run())
    assert caught.value.outcome is Outcome.AUTH and "sk-route" not in caught.value.message


def test_one_pool_serves_many_calls_and_an_abandoned_stream_frees_its_connection(fault_server: FaultServer) -> None:
    async def run() -> None:
        provider = OpenAICompatProvider("o", base_url=fault_server.url)
        try:
            for _ in range(3):
                await drain_async(provider, make_call("ok"))
            stream = provider.stream(make_call("ok"))
            await stream.__anext__()  # take the first chunk, then walk away as the executor does on failover
            await stream.aclose()  # type: ignore[attr-defined]
            await drain_async(provider, make_call("ok"))
        finally:
            await provider.aclose()

    asyncio.run(run())
    assert len(fault_server.requests) == 5


def test_registry_builds_each_hosted_kind_with_its_default_url() -> None:
    anthropic = build_provider("a", schema.Provider(kind="anthropic"), "k")
    assert isinstance(anthropic, AnthropicProvider) and anthropic.base_url == "https://api.anthropic.com"
    gemini = build_provider("g", schema.Provider(kind="gemini"), None)
    assert isinstance(gemini, GeminiProvider)
    assert gemini.base_url == "https://generativelanguage.googleapis.com/v1beta"
    built = build_provider("o", schema.Provider(kind="openai-compatible", base_url="http://127.0.0.1:1/v1"), None)
    assert isinstance(built, OpenAICompatProvider) and built.base_url == "http://127.0.0.1:1/v1"
