"""The endpoint through the official ``openai`` SDK, unmodified: chat, streaming, models, errors, auth.

The upstream is the fault server on loopback; the endpoint is uvicorn on a background thread; the
ledger is a real SQLite file, read back to prove what was (and was not) recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import openai
import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

HELLO = [{"role": "user", "content": "hello from the sdk"}]


def sdk_policy(server: FaultServer) -> Policy:
    models = {
        "steady": "ok#sdk", "broken": "500#sdk", "limited": "429:retry_after=0#sdk", "also-limited": "429:retry_after=0#sdk2",
        "unsure-json": "invalid-json#sdk", "jsonic": "ok-json#sdk",
    }
    return Policy.model_validate(
        {
            "name": "sdk",
            "providers": {"up": {"kind": "openai-compatible", "base_url": server.url}},
            "models": {alias: {"provider": "up", "model": name, "prices": {"input": 1, "output": 2}} for alias, name in models.items()},
            "tasks": {"chat": {"description": "talk"}, "strict": {}, "doomed": {}, "structured": {}},
            "classification": {"default": "chat", "rules": [{"task": "strict", "when": {"keywords": ["strictly"]}}]},
            "routes": {
                "chat": {"candidates": ["steady", "broken"], "retries": {"max": 0}},
                "strict": {"candidates": ["broken", "steady"], "retries": {"max": 0}},
                "doomed": {"candidates": ["limited", "also-limited"], "retries": {"max": 0},
                           "timeouts": {"connect_s": 1, "first_token_s": 2, "total_s": 3}},
                "structured": {"candidates": ["unsure-json", "jsonic"], "retries": {"max": 0}},
            },
        }
    )


@pytest.fixture
def live(fault_server: FaultServer, tmp_path: Path) -> Iterator[LiveEndpoint]:
    with running_endpoint(sdk_policy(fault_server), log_url=f"sqlite:///{tmp_path}/log.sqlite3") as endpoint:
        yield endpoint


def test_chat_names_the_model_that_answered_and_carries_the_chain(live: LiveEndpoint) -> None:
    client = live.openai()
    raw = client.chat.completions.with_raw_response.create(model="broken", messages=HELLO, max_tokens=16)
    completion = raw.parse()
    assert completion.choices[0].message.content == "hello from the sdk"
    assert completion.model == "steady"  # 'broken' was asked for and tried first; 'steady' answered
    assert raw.headers["x-routedesk-task"] == "chat"
    assert raw.headers["x-routedesk-attempts"] == "broken:server_error,steady:ok"
    assert raw.headers["x-routedesk-policy-hash"] == live.state.engine.policy_hash
    assert float(raw.headers["x-routedesk-overhead-ms"]) >= 0
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    rows = live.ledger_requests()
    assert [(r["task"], r["answered_by"], r["attempt_count"], r["request_id"]) for r in rows] == [
        ("chat", "steady", 2, raw.headers["x-routedesk-request-id"])
    ]


def test_auto_classifies_and_a_task_name_routes_as_that_task(live: LiveEndpoint) -> None:
    client = live.openai()
    auto = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "answer strictly"}],
        extra_headers={"X-Routedesk-Team": "support", "X-Routedesk-Meta-Customer": "acme"},
    )
    assert auto.headers["x-routedesk-task"] == "strict" and auto.parse().model == "steady"
    by_task = client.chat.completions.with_raw_response.create(model="strict", messages=HELLO)
    assert by_task.headers["x-routedesk-attempts"] == "broken:server_error,steady:ok"
    first = live.ledger_requests()[0]
    assert (first["team"], first["customer"]) == ("support", "acme")


def test_json_schema_response_format_falls_back_past_invalid_json(live: LiveEndpoint) -> None:
    completion = live.openai().chat.completions.create(
        model="structured", messages=HELLO,
        response_format={"type": "json_schema", "json_schema": {"name": "echo", "schema": {"type": "object"}}},
    )
    assert completion.model == "jsonic" and completion.choices[0].message.content.startswith("{")


def test_streaming_with_usage_in_the_last_chunk(live: LiveEndpoint) -> None:
    chunks = list(
        live.openai().chat.completions.create(
            model="auto", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "hello from the sdk"
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and finish[0].model == "steady"
    assert finish[0].model_extra["routedesk"]["attempts"] == [{"model": "steady", "outcome": "ok"}]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert live.ledger_requests()[0]["streamed"] == 1


def test_streaming_failure_before_any_text_is_a_plain_error_with_status(live: LiveEndpoint) -> None:
    with pytest.raises(openai.RateLimitError) as err:
        list(live.openai().chat.completions.create(model="doomed", messages=HELLO, stream=True))
    assert err.value.status_code == 429
    assert "limited → rate_limited" in err.value.message and "also-limited → rate_limited" in err.value.message


def test_model_listing_and_retrieval(live: LiveEndpoint) -> None:
    client = live.openai()
    ids = [m.id for m in client.models.list()]
    assert ids == ["auto", "chat", "strict", "doomed", "structured", "steady", "broken", "limited", "also-limited",
                   "unsure-json", "jsonic"]
    assert client.models.retrieve("chat").model_extra["routedesk"]["description"] == "talk"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_errors_are_openai_shaped(live: LiveEndpoint) -> None:
    client = live.openai()
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert missing.value.body["code"] == "model_not_found" and missing.value.body["param"] == "model"
    assert "Available: auto, chat" in missing.value.body["message"]
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="auto", messages=HELLO, temperature=7)
    assert bad.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:,"}}]}])
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="doomed", messages=HELLO)
    assert limited.value.body["code"] == "rate_limit_exceeded" and limited.value.body["routedesk_outcome"] == "rate_limited"
    # Malformed JSON cannot be sent through the SDK; the raw client under it can.
    raw = client._client.post(f"{live.url}/chat/completions", content=b"{not json",
                              headers={"Authorization": f"Bearer {live.token}", "Content-Type": "application/json"})
    assert raw.status_code == 400 and raw.json()["error"]["type"] == "invalid_request_error"
    assert [r["outcome"] for r in live.ledger_requests()] == ["rate_limited"]  # refused requests route nothing


def test_wrong_or_missing_token_is_refused_routes_nothing_and_is_counted(live: LiveEndpoint) -> None:
    with pytest.raises(openai.AuthenticationError) as err:
        live.openai(api_key="not-the-token").chat.completions.create(model="auto", messages=HELLO)
    assert err.value.status_code == 401 and err.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        live.openai(api_key="not-the-token").models.list()
    plain = live.openai()._client.get(f"{live.url}/models")  # no Authorization header at all
    assert plain.status_code == 401
    assert live.state.refusals.count == 3
    assert live.ledger_requests() == []
    live.state.set_token("rotated")  # rotation while running: the old token stops working at once
    with pytest.raises(openai.AuthenticationError):
        live.openai().models.list()
    assert [m.id for m in live.openai(api_key="rotated").models.list()][0] == "auto"


def test_a_providers_model_id_reaches_its_alias_and_a_404_lists_what_works(live: LiveEndpoint) -> None:
    """Apps written for one provider send its model id; it routes to the alias with that id."""
    client = live.openai()
    reply = client.chat.completions.create(model="ok-json#sdk", messages=HELLO)
    assert reply.model == "jsonic"
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert missing.value.body["code"] == "model_not_found"
    assert "Available: auto, chat, strict, doomed, structured, steady" in missing.value.body["message"]
    assert "or a provider's model id: ok#sdk, 500#sdk" in missing.value.body["message"]
