"""Failures in the client's terms: OpenAI's error codes (and the SDK's exception classes) for the outcomes
that have them, Routedesk's outcome alongside as ``routedesk_outcome``; streamed and not, before and
after the head. Real endpoint, fault-server upstreams, the official SDK.
"""

from __future__ import annotations

from typing import Any, Iterator

import openai
import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer

PROMPT = [{"role": "user", "content": "hello there"}]

# task → (fault, SDK exception, status, OpenAI code, param, Routedesk outcome)
CASES: dict[str, tuple[str, type[openai.APIStatusError], int, str, str | None, str]] = {
    "context": ("400-context", openai.BadRequestError, 400, "context_length_exceeded", "messages", "context_overflow"),
    "policy": ("400-content-policy", openai.BadRequestError, 400, "content_policy_violation", None, "content_policy"),
    "limited": ("429", openai.RateLimitError, 429, "rate_limit_exceeded", None, "rate_limited"),
    "down": ("503", openai.InternalServerError, 503, "service_unavailable", None, "unavailable"),
    "broken": ("500", openai.InternalServerError, 502, "server_error", None, "server_error"),
}


def codes_policy(server: FaultServer) -> Policy:
    models = {task: {"provider": "faulty", "model": f"{fault}#{task}"} for task, (fault, *_) in CASES.items()}
    models["filtered"] = {"provider": "faulty", "model": "content-filter"}
    routes = {task: {"candidates": [task], "retries": {"max": 0}, "fallback_on": []} for task in models}
    return Policy.model_validate({
        "name": "codes",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
        "models": models,
        "tasks": {task: {} for task in routes},
        "classification": {"default": "context"},
        "routes": routes,
    })


@pytest.fixture(scope="module")
def live() -> Iterator[LiveEndpoint]:
    server = FaultServer().start()
    try:
        with running_endpoint(codes_policy(server)) as endpoint:
            yield endpoint
    finally:
        server.stop()


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("task", list(CASES))
def test_failures_carry_openai_codes(live: LiveEndpoint, task: str, stream: bool) -> None:
    _, exception, status, code, param, outcome = CASES[task]
    with pytest.raises(exception) as caught:
        reply: Any = live.openai().chat.completions.create(model=task, messages=PROMPT, stream=stream)
        if stream:
            list(reply)
    error = caught.value
    assert error.status_code == status
    assert error.code == code and error.body["code"] == code
    assert error.body["param"] == param
    assert error.body["routedesk_outcome"] == outcome
    assert f"{task} → {outcome}" in error.message  # the chain, in Routedesk's words


def test_an_in_band_failure_carries_the_code_too(live: LiveEndpoint) -> None:
    """content-filter: text streams, then the provider stops it; the error arrives as an event."""
    chunks: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in live.openai().chat.completions.create(model="filtered", messages=PROMPT, stream=True):
            chunks.append(chunk)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello"
    assert caught.value.body["code"] == "content_policy_violation"
    assert caught.value.body["routedesk_outcome"] == "content_policy"
