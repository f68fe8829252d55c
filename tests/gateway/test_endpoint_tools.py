"""Tools through the endpoint with the official SDK's own tool helpers (``parse`` with
``pydantic_function_tool``, and the ``stream`` helper that assembles streamed calls), to an
OpenAI-compatible upstream (the fault server's ``tool`` model): the call, the result sent back, the
final answer; streamed and not. Also: the other sampling parameters reach the upstream, a model
that cannot call tools is skipped with its reason, and logit_bias goes only to OpenAI-compatible ones.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import openai
import pydantic
import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer
from tests.support.fault_server import module_fault_server as server  # noqa: F401 - fixture


class GetWeather(pydantic.BaseModel):
    city: str


def tools_policy(server: FaultServer) -> Policy:
    return Policy.model_validate({
        "name": "tools",
        "providers": {
            "up": {"kind": "openai-compatible", "base_url": server.url},
            "claude": {"kind": "anthropic", "base_url": server.root_url},
        },
        "models": {
            "agent": {"provider": "up", "model": "tool"},
            "plain": {"provider": "up", "model": "ok#plain", "tools": False},
            "claude": {"provider": "claude", "model": "claude-sonnet-4-5"},
        },
        "tasks": {"agents": {}, "mixed": {}, "biased": {}},
        "classification": {"default": "agents"},
        "routes": {
            "agents": {"candidates": ["agent"]},
            "mixed": {"candidates": ["plain", "agent"]},
            "biased": {"candidates": ["claude", "agent"]},
        },
    })


@pytest.fixture(scope="module")
def live(server: FaultServer) -> Iterator[LiveEndpoint]:
    with running_endpoint(tools_policy(server)) as endpoint:
        yield endpoint


def question() -> list[dict[str, Any]]:
    return [{"role": "user", "content": "Oslo"}]


def follow_up(message: Any, result: str) -> list[dict[str, Any]]:
    call = message.tool_calls[0]
    return question() + [
        {"role": "assistant", "content": message.content,
         "tool_calls": [{"id": call.id, "type": "function",
                         "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": result},
    ]


def test_a_tool_call_round_trip_with_the_sdk_parse_helper(live: LiveEndpoint, server: FaultServer) -> None:
    client = live.openai()
    tools = [openai.pydantic_function_tool(GetWeather)]
    first = client.chat.completions.parse(model="agents", messages=question(), tools=tools)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.parsed_arguments == GetWeather(city="Oslo")
    sent = server.requests_for("tool")[-1].body
    assert sent["tools"][0]["function"]["name"] == "GetWeather" and sent["tools"][0]["function"]["strict"] is True

    second = client.chat.completions.parse(model="agents", messages=follow_up(choice.message, "-3 C"), tools=tools)
    assert second.choices[0].message.content == "the tool said: -3 C"
    assert second.choices[0].finish_reason == "stop"
    replayed = server.requests_for("tool")[-1].body["messages"]
    assert replayed[1]["tool_calls"][0]["id"] == choice.message.tool_calls[0].id
    assert replayed[2] == {"role": "tool", "content": "-3 C", "tool_call_id": choice.message.tool_calls[0].id}


def test_a_streamed_tool_call_with_the_sdk_stream_helper(live: LiveEndpoint) -> None:
    client = live.openai()
    tools = [openai.pydantic_function_tool(GetWeather)]
    with client.chat.completions.stream(model="agents", messages=question(), tools=tools) as stream:
        done = [event for event in stream if event.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()
    assert [e.parsed_arguments for e in done] == [GetWeather(city="Oslo")]
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    with client.chat.completions.stream(model="agents", messages=follow_up(message, "sunny"), tools=tools) as stream:
        answer = stream.get_final_completion()
    assert answer.choices[0].message.content == "the tool said: sunny"


def test_a_model_that_cannot_call_tools_is_skipped_with_its_reason(live: LiveEndpoint, server: FaultServer) -> None:
    client = live.openai()
    tools = [openai.pydantic_function_tool(GetWeather)]
    reply = client.chat.completions.create(model="mixed", messages=question(), tools=tools)
    assert reply.model == "agent" and reply.choices[0].message.tool_calls
    assert server.requests_for("ok#plain") == []
    assert [a["model"] for a in reply.model_extra["routedesk"]["attempts"]] == ["agent"]
    plain = client.chat.completions.create(model="mixed", messages=question())  # no tools: it may answer
    assert plain.model == "plain"


def test_sampling_parameters_reach_the_upstream(live: LiveEndpoint, server: FaultServer) -> None:
    client = live.openai()
    client.chat.completions.create(model="agents", messages=question(), stop=["END"], seed=7, top_p=0.5,
                                   presence_penalty=0.25, frequency_penalty=-0.5, logit_bias={"50256": -100})
    sent = server.requests_for("tool")[-1].body
    assert (sent["stop"], sent["seed"], sent["top_p"], sent["presence_penalty"], sent["frequency_penalty"],
            sent["logit_bias"]) == (["END"], 7, 0.5, 0.25, -0.5, {"50256": -100.0})


def test_logit_bias_goes_only_to_openai_compatible_models(live: LiveEndpoint, server: FaultServer) -> None:
    client = live.openai()
    reply = client.chat.completions.create(model="biased", messages=question(), logit_bias={"50256": -100})
    assert reply.model == "agent"  # the Anthropic model was dropped, not sent a bias it cannot apply
    assert not [r for r in server.requests if r.path.endswith("/messages")]


def test_n_above_one_is_refused_clearly(live: LiveEndpoint) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        live.openai().chat.completions.create(model="agents", messages=question(), n=2)
    assert refused.value.body["param"] == "n" and "one answer" in refused.value.message


def test_the_plain_tool_answer_is_json_arguments(live: LiveEndpoint) -> None:
    reply = live.openai().chat.completions.create(
        model="agents", messages=question(),
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {
            "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}],
        tool_choice={"type": "function", "function": {"name": "lookup"}})
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": "Oslo"}
    assert reply.choices[0].message.content is None


class Answer(pydantic.BaseModel):
    answer: str


def test_a_json_schema_response_format_reaches_the_upstream_and_the_sdk_parses_it(
    live: LiveEndpoint, server: FaultServer
) -> None:
    """``parse(response_format=Model)``: the schema, its name and strict flag go upstream as sent;
    the endpoint's output check holds the answer to the same schema."""
    reply = live.openai().chat.completions.parse(model="agents", messages=question(), response_format=Answer)
    assert reply.choices[0].message.parsed == Answer(answer="Oslo")
    sent = server.requests_for("tool")[-1].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Answer"
    assert sent["json_schema"]["strict"] is True and sent["json_schema"]["schema"]["required"] == ["answer"]
