"""Tools through the endpoint to Anthropic and Gemini, played back from the recorded transcripts in
tests/core/providers/transcripts: the SDK sends OpenAI-shaped tools and reads OpenAI-shaped calls,
streamed and not, and the results it sends back reach the provider in the provider's own shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import CannedResponse, FaultServer
from tests.support.fault_server import module_fault_server as server  # noqa: F401 - fixture

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "core" / "providers" / "transcripts"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}


def canned(name: str) -> CannedResponse:
    response = json.loads((TRANSCRIPTS / f"{name}.json").read_text())["response"]
    return CannedResponse(response["status"], response["body"], response.get("headers", {}), response.get("chunked", False))


@pytest.fixture(scope="module")
def live(server: FaultServer) -> Iterator[LiveEndpoint]:
    policy = Policy.model_validate({
        "name": "translated",
        "providers": {"claude": {"kind": "anthropic", "base_url": server.root_url},
                      "gemini": {"kind": "gemini", "base_url": server.root_url + "/v1beta"}},
        "models": {"claude": {"provider": "claude", "model": "claude-sonnet-4-5"},
                   "gemini": {"provider": "gemini", "model": "gemini-2.5-flash"}},
        "tasks": {"c": {}, "g": {}}, "classification": {"default": "c"},
        "routes": {"c": {"candidates": ["claude"], "retries": {"max": 0}},
                   "g": {"candidates": ["gemini"], "retries": {"max": 0}}},
    })
    with running_endpoint(policy) as endpoint:
        yield endpoint


def ask(live: LiveEndpoint, task: str, messages: list[dict[str, Any]], stream: bool) -> tuple[str, list[Any], str]:
    """(text, tool calls as (id, name, arguments), finish_reason) as the SDK reads them."""
    client = live.openai()
    if not stream:
        reply = client.chat.completions.create(model=task, messages=messages, tools=[WEATHER])
        message = reply.choices[0].message
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
        return message.content or "", calls, reply.choices[0].finish_reason
    with client.chat.completions.stream(model=task, messages=messages, tools=[WEATHER]) as events:
        final = events.get_final_completion()
    message = final.choices[0].message
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    return message.content or "", calls, final.choices[0].finish_reason


def test_anthropic_streamed_tool_use_reaches_the_sdk(live: LiveEndpoint, server: FaultServer) -> None:
    server.replay(canned("anthropic_stream_tool_use"))
    text, calls, finish = ask(live, "c", [{"role": "user", "content": "Weather in SF?"}], stream=True)
    assert text == "Okay, let's check the weather for San Francisco, CA:"
    assert calls == [("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", '{"location": "San Francisco, CA"}')]
    assert finish == "tool_calls"
    sent = server.requests[-1].body
    assert sent["tools"][0]["input_schema"] == WEATHER["function"]["parameters"] and sent["stream"] is True


def test_anthropic_tool_results_go_back_as_tool_result_blocks(live: LiveEndpoint, server: FaultServer) -> None:
    server.replay(canned("anthropic_whole_tool_use"))
    history = [
        {"role": "user", "content": "Weather in SF?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_01A", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "SF"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "15 degrees"},
    ]
    text, calls, finish = ask(live, "c", history, stream=False)
    assert text == "It is 15 degrees. Let me also check the time."
    assert calls == [("toolu_02B", "get_time", '{"timezone": "America/Los_Angeles"}')] and finish == "tool_calls"
    sent = server.requests[-1].body["messages"]
    assert sent[1]["content"] == [{"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"location": "SF"}}]
    assert sent[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A", "content": "15 degrees"}]}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
def test_gemini_function_calls_reach_the_sdk(live: LiveEndpoint, server: FaultServer, stream: bool) -> None:
    if stream:
        server.replay(canned("gemini_stream_tool_call"))
    else:  # the same answer, whole: the last event's response carries both calls
        body = canned("gemini_stream_tool_call").body.strip().split("\r\n\r\n")[-1].removeprefix("data: ")
        server.replay(CannedResponse(200, body, {"content-type": "application/json"}))
    text, calls, finish = ask(live, "g", [{"role": "user", "content": "Weather in Paris and Oslo?"}], stream)
    assert calls == [("call_0", "get_weather", '{"location": "Paris"}'), ("call_1", "get_weather", '{"location": "Oslo"}')]
    assert finish == "tool_calls"
    assert text == ("Checking both cities." if stream else "")
    assert server.requests[-1].body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


def test_gemini_tool_results_go_back_as_function_responses(live: LiveEndpoint, server: FaultServer) -> None:
    server.replay(canned("gemini_whole_tool_result"))
    history = [
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}},
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": '{"celsius": 12}'},
        {"role": "tool", "tool_call_id": "call_1", "content": "-3 C"},
    ]
    text, calls, finish = ask(live, "g", history, stream=False)
    assert text == "Paris is 12 C and Oslo is -3 C." and calls == [] and finish == "stop"
    contents = server.requests[-1].body["contents"]
    assert contents[2]["parts"] == [{"functionResponse": {"name": "get_weather", "response": {"celsius": 12}}},
                                    {"functionResponse": {"name": "get_weather", "response": {"result": "-3 C"}}}]
