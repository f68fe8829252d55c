"""Anthropic and Gemini adapters against recorded wire transcripts, served over real loopback HTTP.

Each file in ``transcripts/`` holds a call, the request the adapter must send (method, path, query,
headers with the key value redacted, JSON body), the response to replay (status, headers, body;
streamed bodies are sent one event per chunk, or cut off), and what the adapter must produce: text,
model id, finish reason and usage, or a classified error. The shapes follow the providers'
published API references (Messages API streaming events and error bodies; Gemini
GenerateContentResponse, usageMetadata and google.rpc error bodies).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from console.core.outcomes import Outcome
from console.core.providers.anthropic import AnthropicProvider
from console.core.providers.base import ChatProvider, ProviderCall, ProviderError
from console.core.providers.gemini import GeminiProvider
from console.core.records import Usage
from console.core.request import Message, Sampling, Tool, ToolCall, ToolChoice
from tests.core.providers.conftest import KEY, drain
from tests.support.fault_server import CannedResponse, FaultServer

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.json"))
KEY_HEADER = {"anthropic": "x-api-key", "gemini": "x-goog-api-key"}


def build(protocol: str, server: FaultServer) -> ChatProvider:
    if protocol == "anthropic":
        return AnthropicProvider("claude", base_url=server.root_url, key=KEY)
    return GeminiProvider("gemini", base_url=server.root_url + "/v1beta", key=KEY)


def to_message(raw: list[Any] | dict[str, Any]) -> Message:
    """``[role, content]``, or an object with ``tool_calls`` (``[id, name, arguments]`` each) / ``tool_call_id``."""
    if isinstance(raw, list):
        return Message(raw[0], raw[1])
    calls = tuple(ToolCall(*c) for c in raw.get("tool_calls", ()))
    return Message(raw["role"], raw.get("content", ""), calls, raw.get("tool_call_id"))


def to_call(raw: dict[str, Any]) -> ProviderCall:
    fields = dict(raw)
    fields["messages"] = tuple(to_message(m) for m in raw["messages"])
    if "tools" in raw:
        fields["tools"] = tuple(Tool(**t) for t in raw["tools"])
    if "tool_choice" in raw:
        fields["tool_choice"] = ToolChoice(**raw["tool_choice"])
    if "sampling" in raw:
        fields["sampling"] = Sampling(**{k: tuple(v) if k == "stop" else v for k, v in raw["sampling"].items()})
    return ProviderCall(read_timeout_s=2.0, connect_timeout_s=2.0, **fields)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(fault_server: FaultServer, path: Path) -> None:
    transcript = json.loads(path.read_text())
    response = transcript["response"]
    fault_server.replay(
        CannedResponse(
            status=response["status"],
            body=response["body"],
            headers=response.get("headers", {}),
            chunked=response.get("chunked", False),
            cut=response.get("cut", False),
        )
    )
    provider = build(transcript["protocol"], fault_server)
    expect = transcript["expect"]
    if "error" in expect:
        with pytest.raises(ProviderError) as caught:
            drain(provider, to_call(transcript["call"]))
        check_error(caught.value, expect["error"])
    else:
        got = drain(provider, to_call(transcript["call"]))
        assert got.text == expect["text"]
        assert len(got.chunks) == expect["chunks"]
        assert got.completion.model_id == expect["model_id"]
        assert got.completion.finish_reason == expect["finish_reason"]
        assert got.completion.usage == Usage(**expect["usage"])
        assert got.completion.tool_calls == tuple(ToolCall(*c) for c in expect.get("tool_calls", ()))
    check_request(fault_server, transcript)


def check_error(error: ProviderError, expect: dict[str, Any]) -> None:
    assert error.outcome is Outcome(expect["outcome"]), error.message
    assert error.http_status == expect["http_status"]
    assert error.retry_after_s == expect["retry_after_s"]
    assert error.partial_text == expect["partial_text"]
    assert (error.usage is not None) == expect["billed"]
    assert expect.get("message_contains", "") in error.message
    assert KEY not in error.message


def check_request(server: FaultServer, transcript: dict[str, Any]) -> None:
    (request,) = server.requests
    wanted = transcript["expect_request"]
    assert (request.method, request.path, request.query) == (wanted["method"], wanted["path"], wanted["query"])
    for name, value in wanted["headers"].items():
        assert request.headers.get(name) == value, name
    assert request.secret_is(KEY_HEADER[transcript["protocol"]], KEY)
    assert "authorization" not in request.headers, "only the protocol's own key header carries the key"
    assert KEY not in request.path and KEY not in json.dumps(request.query)
    assert request.body == wanted["body"]


def test_every_protocol_has_streaming_whole_and_error_transcripts() -> None:
    kinds: dict[str, set[str]] = {"anthropic": set(), "gemini": set()}
    for path in TRANSCRIPTS:
        transcript = json.loads(path.read_text())
        stream = "stream" if transcript["call"]["stream"] else "whole"
        result = "error" if "error" in transcript["expect"] else "ok"
        kinds[transcript["protocol"]].add(f"{stream}-{result}")
    for protocol, seen in kinds.items():
        assert seen == {"stream-ok", "whole-ok", "stream-error", "whole-error"}, protocol
