"""Tools on the in-process demo model (SmolLM2, ChatML): marked ``tools: true`` it calls a tool through
llama-cpp-python's function-calling handler, streamed and not, read with the SDK's own helpers, and takes
the result back; unmarked (the default) it is passed over with the reason."""

from __future__ import annotations

import json
from typing import Any, Iterator

import openai
import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.parts import require_demo_gguf

pytestmark = [pytest.mark.gguf, pytest.mark.slow]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "The time in a timezone",
    "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture
def live() -> Iterator[LiveEndpoint]:
    path = str(require_demo_gguf())
    policy = Policy.model_validate({
        "name": "gguf-tools",
        "providers": {"local": {"kind": "local-gguf"}},
        "models": {"smol": {"provider": "local", "model": path, "context_window": 2048, "region": "on-prem",
                            "tools": True},
                   "smol-plain": {"provider": "local", "model": path, "context_window": 2048, "region": "on-prem"}},
        "tasks": {"tools": {}, "plain": {}}, "classification": {"default": "tools"},
        "routes": {"tools": {"candidates": ["smol"], "retries": {"max": 0}, "max_output_tokens": 48,
                             "timeouts": {"first_token_s": 120, "total_s": 300}},
                   "plain": {"candidates": ["smol-plain"], "retries": {"max": 0}}},
    })
    with running_endpoint(policy) as endpoint:
        yield endpoint


def test_a_marked_gguf_model_calls_the_named_tool(live: LiveEndpoint) -> None:
    client = live.openai(timeout=300)
    reply = client.chat.completions.create(
        model="tools", messages=ASK, tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "get_weather" and reply.choices[0].finish_reason == "tool_calls"
    assert isinstance(json.loads(call.function.arguments)["location"], str)  # the grammar makes it parse

    with client.chat.completions.stream(model="tools", messages=ASK, tools=[WEATHER], tool_choice="required") as events:
        final = events.get_final_completion()
    [streamed] = final.choices[0].message.tool_calls
    assert streamed.function.name == "get_weather" and isinstance(json.loads(streamed.function.arguments), dict)

    history: list[Any] = [*ASK, {"role": "assistant", "content": None, "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "15 degrees and sunny"}]
    after = client.chat.completions.create(model="tools", messages=history, tools=[WEATHER], tool_choice="none")
    assert after.choices[0].message.content and not after.choices[0].message.tool_calls


def test_unmarked_gguf_models_and_required_among_several_are_passed_over(live: LiveEndpoint) -> None:
    client = live.openai(timeout=300)
    with pytest.raises(openai.APIStatusError) as unmarked:
        client.chat.completions.create(model="plain", messages=ASK, tools=[WEATHER])
    assert "cannot call tools (set tools: true on the model if it can)" in unmarked.value.body["message"]
    with pytest.raises(openai.APIStatusError) as several:
        client.chat.completions.create(model="tools", messages=ASK, tools=[WEATHER, TIME], tool_choice="required")
    assert "cannot require one of several tools" in several.value.body["message"]
