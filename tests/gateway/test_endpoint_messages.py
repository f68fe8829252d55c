"""``/v1/messages``: the official ``anthropic`` SDK, pointed at the endpoint, gets Anthropic-shaped
answers, streamed and not, tools both ways, and Anthropic-shaped errors; upstreams are fault-server
models behind the OpenAI protocol, so the routing (fallback, continuation) is the endpoint's own."""

from __future__ import annotations

from typing import Any, Iterator

import anthropic
import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer

WEATHER = {"name": "get_weather", "description": "Get the current weather in a given location",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
ASK = [{"role": "user", "content": "Paris"}]


@pytest.fixture(scope="module")
def live() -> Iterator[LiveEndpoint]:
    server = FaultServer().start()
    fallback_on = [o.value for o in Outcome if o is not Outcome.OK]
    policy = Policy.model_validate({
        "name": "messages",
        "providers": {"up": {"kind": "openai-compatible", "base_url": server.url, "prefill": True}},
        "models": {"answering": {"provider": "up", "model": "ok"}, "down": {"provider": "up", "model": "500"},
                   "cutting": {"provider": "up", "model": "cut:after=2"}, "tooling": {"provider": "up", "model": "tool"},
                   "limited": {"provider": "up", "model": "429#alone"}},
        "tasks": {"chat": {}, "cut": {}, "tools": {}, "limited": {}}, "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["down", "answering"], "retries": {"max": 0}, "fallback_on": fallback_on},
                   "cut": {"candidates": ["cutting", "answering"], "retries": {"max": 0}, "fallback_on": fallback_on},
                   "tools": {"candidates": ["tooling"], "retries": {"max": 0}},
                   "limited": {"candidates": ["limited"], "retries": {"max": 0}}},
    })
    try:
        with running_endpoint(policy) as endpoint:
            yield endpoint
    finally:
        server.stop()


def client(live: LiveEndpoint) -> anthropic.Anthropic:
    made = anthropic.Anthropic(base_url=live.url.removesuffix("/v1"), auth_token=live.token, api_key=None,
                               max_retries=0, timeout=30)
    live.clients.append(made)
    return made


def test_a_whole_message_after_a_fallback(live: LiveEndpoint) -> None:
    reply = client(live).messages.create(model="chat", max_tokens=64, messages=ASK, system="be brief")
    assert reply.type == "message" and reply.role == "assistant" and reply.model == "answering"
    assert [b.text for b in reply.content if b.type == "text"] == ["Paris"]
    assert reply.stop_reason == "end_turn" and reply.usage.output_tokens > 0


def test_a_stream_that_breaks_is_continued_seamlessly(live: LiveEndpoint) -> None:
    words = "one two three four five six seven eight"
    with client(live).messages.stream(model="cut", max_tokens=64,
                                      messages=[{"role": "user", "content": words}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == words and final.stop_reason == "end_turn"


@pytest.mark.parametrize("streamed", [False, True])
def test_tools_both_ways(live: LiveEndpoint, streamed: bool) -> None:
    api = client(live)
    if streamed:
        with api.messages.stream(model="tools", max_tokens=64, messages=ASK, tools=[WEATHER]) as stream:
            reply = stream.get_final_message()
    else:
        reply = api.messages.create(model="tools", max_tokens=64, messages=ASK, tools=[WEATHER])
    [use] = [b for b in reply.content if b.type == "tool_use"]
    assert use.name == "get_weather" and use.input == {"location": "Paris"} and reply.stop_reason == "tool_use"
    history: list[Any] = [*ASK, {"role": "assistant", "content": [b.model_dump() for b in reply.content]},
                          {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "15C"}]}]
    after = api.messages.create(model="tools", max_tokens=64, messages=history, tools=[WEATHER])
    assert [b.text for b in after.content if b.type == "text"] == ["the tool said: 15C"]


def test_errors_are_anthropic_shaped(live: LiveEndpoint) -> None:
    api = client(live)
    with pytest.raises(anthropic.RateLimitError) as limited:
        api.messages.create(model="limited", max_tokens=8, messages=ASK)
    assert limited.value.body["error"]["type"] == "rate_limit_error"
    with pytest.raises(anthropic.NotFoundError):
        api.messages.create(model="no-such-model", max_tokens=8, messages=ASK)
    with pytest.raises(anthropic.BadRequestError) as bad:
        api.messages.create(model="chat", max_tokens=8, messages=[{"role": "user", "content": [{"type": "document"}]}])
    assert "messages[0].content[0]" in bad.value.body["error"]["message"]
    with pytest.raises(anthropic.APIStatusError) as limited_stream:
        with api.messages.stream(model="limited", max_tokens=8, messages=ASK) as stream:
            stream.get_final_message()
    assert "rate_limited" in str(limited_stream.value)


def test_image_blocks_reach_the_plan(live: LiveEndpoint) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    with pytest.raises(anthropic.APIStatusError) as blind:  # no model of this route is marked vision: true
        client(live).messages.create(model="chat", max_tokens=8, messages=[
            {"role": "user", "content": [{"type": "text", "text": "what is it?"}, image]}])
    assert "cannot read images" in blind.value.body["error"]["message"]
