"""OpenAI request bodies → core Requests, and what the ``model`` field routes to (no server needed)."""

from __future__ import annotations

import pytest

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route
from console.core.routing.prefer import prefer_model
from console.gateway.targets import Target, UnknownModel, model_list, resolve_target
from console.gateway.wire import WireError, parse_chat_call

USER = [{"role": "user", "content": "hi"}]


def policy() -> Policy:
    return Policy.model_validate(
        {
            "name": "targets",
            "providers": {"p": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
            "models": {
                name: {"provider": "p", "model": name, "prices": {"input": 1, "output": 1}}
                for name in ("cheap", "mid", "big", "judge")
            },
            "tasks": {"chat": {}, "code": {}},
            "classification": {"default": "chat", "rules": [{"task": "code", "when": {"keywords": ["python"]}}]},
            "routes": {"chat": {"candidates": ["cheap", "mid"]}, "code": {"candidates": ["big", "mid"]}},
        }
    )


def test_string_and_part_lists_become_messages_with_roles_mapped() -> None:
    call = parse_chat_call(
        {"model": "auto", "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hello "}, {"type": "text", "text": "there"}]},
            {"role": "assistant", "content": None},
        ]},
        {},
    )
    assert [(m.role, m.content) for m in call.request.messages] == [("system", "be brief"), ("user", "hello there"), ("assistant", "")]
    assert call.stream is False and call.include_usage is False and call.failover is None


def test_fields_map_to_the_request_and_headers_win_over_body_metadata() -> None:
    call = parse_chat_call(
        {"model": " chat ", "messages": USER, "max_tokens": 50, "max_completion_tokens": 20, "temperature": 0.5,
         "metadata": {"team": "body-team", "ticket": "7"}, "user": "u1", "stream": True,
         "stream_options": {"include_usage": True},
         "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}},
        {"x-routedesk-team": "support", "x-routedesk-region": "eu", "x-routedesk-meta-customer": "acme",
         "x-routedesk-stream-failover": "Restart"},
    )
    req = call.request
    assert call.model == "chat" and call.stream and call.include_usage and call.failover == "restart"
    assert req.max_tokens == 20 and req.temperature == 0.5 and req.json_schema == {"type": "object"}
    assert req.metadata == {"team": "support", "ticket": "7", "user": "u1", "region": "eu", "customer": "acme"}
    assert parse_chat_call({"model": "a", "messages": USER, "response_format": {"type": "json_object"}}, {}).request.json_schema == {}
    assert parse_chat_call({"model": "a", "messages": USER, "response_format": {"type": "text"}}, {}).request.json_schema is None


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([], None),
        ({"messages": USER}, "model"),
        ({"model": "auto", "messages": []}, "messages"),
        ({"model": "auto", "messages": [{"role": "function", "content": "x"}]}, "messages[0].role"),
        ({"model": "auto", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"model": "auto", "messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]}, "messages[0].tool_calls[0]"),
        ({"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}, "messages[0].content[0].image_url"),
        ({"model": "auto", "messages": [{"role": "assistant", "content": [
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}, "messages[0].content"),
        ({"model": "auto", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "max"}}]}]},
         "messages[0].content[0].image_url.detail"),
        ({"model": "auto", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "messages[0].content"),
        ({"model": "auto", "messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"model": "auto", "messages": USER, "temperature": 3}, "temperature"),
        ({"model": "auto", "messages": USER, "n": 2}, "n"),
        ({"model": "auto", "messages": USER, "tools": [{"type": "function"}]}, "tools[0]"),
        ({"model": "auto", "messages": USER, "tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"model": "auto", "messages": USER, "tool_choice": "always"}, "tool_choice"),
        ({"model": "auto", "messages": USER, "functions": [{"name": "f"}]}, "functions"),
        ({"model": "auto", "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": "auto", "messages": USER, "seed": 1.5}, "seed"),
        ({"model": "auto", "messages": USER, "top_p": 2}, "top_p"),
        ({"model": "auto", "messages": USER, "presence_penalty": -3}, "presence_penalty"),
        ({"model": "auto", "messages": USER, "logit_bias": {"50256": 200}}, "logit_bias"),
        ({"model": "auto", "messages": USER, "stream": "yes"}, "stream"),
        ({"model": "auto", "messages": USER, "metadata": {"n": 1}}, "metadata"),
        ({"model": "auto", "messages": USER, "response_format": {"type": "xml"}}, "response_format"),
    ],
)
def test_bad_requests_name_the_field(body: object, param: str | None) -> None:
    with pytest.raises(WireError) as err:
        parse_chat_call(body, {})
    assert err.value.param == param and err.value.status == 400 and err.value.message


def test_bad_failover_header_is_refused() -> None:
    with pytest.raises(WireError):
        parse_chat_call({"model": "auto", "messages": USER}, {"x-routedesk-stream-failover": "splice"})


def test_model_field_picks_auto_a_task_or_an_alias_with_its_route() -> None:
    p = policy()
    plain, code = Request.from_prompt("hello"), Request.from_prompt("write python")
    assert resolve_target(p, "auto", plain) == Target()
    assert resolve_target(p, "code", plain) == Target(task="code")
    assert resolve_target(p, "big", plain) == Target(task="code", prefer="big")
    # 'mid' is in both routes: the rules' task when it is one of them, else the first route naming it
    assert resolve_target(p, "mid", code) == Target(task="code", prefer="mid")
    assert resolve_target(p, "mid", plain) == Target(task="chat", prefer="mid")
    with pytest.raises(UnknownModel, match="no route uses it"):
        resolve_target(p, "judge", plain)
    with pytest.raises(UnknownModel, match="Available: auto, chat, code, cheap, mid, big"):
        resolve_target(p, "gpt-4o", plain)


def test_preferred_alias_goes_first_and_the_route_follows() -> None:
    p = policy()
    plan = plan_route(Request.from_prompt("hello"), p, task="chat")
    moved = prefer_model(plan, "mid")
    assert [c.model for c in moved.candidates] == ["mid", "cheap"]
    assert [c.position for c in moved.candidates] == [0, 1]
    assert prefer_model(plan, "cheap") is plan and prefer_model(plan, "big") is plan


def test_model_list_offers_auto_tasks_and_routable_aliases() -> None:
    ids = [(m["id"], m["routedesk"]["kind"]) for m in model_list(policy())["data"]]
    assert ids == [("auto", "auto"), ("chat", "task"), ("code", "task"), ("cheap", "model"), ("mid", "model"), ("big", "model")]


def test_a_providers_model_id_resolves_to_the_alias_that_names_it() -> None:
    p = Policy.model_validate({
        "name": "ids",
        "providers": {"openai": {"kind": "openai-compatible"}, "local": {"kind": "local-gguf"}},
        "models": {
            "fast": {"provider": "openai", "model": "gpt-4o-mini"},
            "smart": {"provider": "openai", "model": "gpt-4o"},
            "smart-too": {"provider": "openai", "model": "gpt-4o"},
            "idle": {"provider": "openai", "model": "o3"},
            "here": {"provider": "local", "model": "/models/small.gguf"},
        },
        "tasks": {"chat": {}, "hard": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["fast", "smart-too", "here"]}, "hard": {"candidates": ["smart"]}},
    })
    hello = Request.from_prompt("hello")
    assert resolve_target(p, "gpt-4o", hello) == Target(task="hard", prefer="smart")  # the first alias with that id
    assert resolve_target(p, "gpt-4o-mini", hello) == Target(task="chat", prefer="fast")
    with pytest.raises(UnknownModel) as unknown:
        resolve_target(p, "o3", hello)  # no route uses its alias: nothing to route to
    assert str(unknown.value).endswith(
        "Available: auto, chat, hard, fast, smart, smart-too, here; or a provider's model id: gpt-4o-mini, gpt-4o")
    with pytest.raises(UnknownModel):
        resolve_target(p, "/models/small.gguf", hello)  # a GGUF path is not a model name


def test_tools_tool_messages_and_sampling_map_to_the_request() -> None:
    from console.core.request import Sampling, Tool, ToolCall, ToolChoice

    weather = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    call = parse_chat_call({
        "model": "auto",
        "messages": [
            {"role": "user", "content": "weather in Oslo?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "-3 C"},
        ],
        "tools": [{"type": "function", "function": {"name": "weather", "description": "now", "parameters": weather,
                                                     "strict": True}}],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
        "stop": "END", "seed": 7, "top_p": 0.5, "presence_penalty": 0.1, "frequency_penalty": -0.2,
        "logit_bias": {"50256": -100},
    }, {})
    request = call.request
    assert request.messages[1].tool_calls == (ToolCall("call_1", "weather", '{"city":"Oslo"}'),)
    assert request.messages[2].role == "tool" and request.messages[2].tool_call_id == "call_1"
    assert [(t.name, t.description, t.parameters, t.strict) for t in request.tools] == [("weather", "now", weather, True)]
    assert isinstance(request.tools[0], Tool)
    assert request.tool_choice == ToolChoice("function", "weather")
    s = request.sampling
    assert (s.stop, s.seed, s.top_p, s.presence_penalty, s.frequency_penalty, s.logit_bias) == (
        ("END",), 7, 0.5, 0.1, -0.2, {"50256": -100.0})
    assert isinstance(s, Sampling)
