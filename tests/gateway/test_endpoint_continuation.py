"""Stream continuation through the endpoint, read by the official SDK: a stream that breaks after text
was sent is finished by the next model that takes an assistant prefill, and the client reads one
answer, every character exactly once. Also: a stream with a finish_reason but no ``[DONE]`` is whole.

Upstreams are fault-server models. Provider ``llama`` is marked ``prefill: true`` (as llama.cpp's
server is); provider ``openai`` keeps the openai-compatible default (no prefill).
"""

from __future__ import annotations

from typing import Any, Iterator

import openai
import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer
from tests.support.fault_server import module_fault_server as server  # noqa: F401 - fixture

WORDS = "one two three four five six seven eight nine ten"
PROMPT = [{"role": "user", "content": WORDS}]

# task: candidates as (provider, fault) in order
CHAINS: dict[str, list[tuple[str, str]]] = {
    "cut": [("llama", "cut:after=3"), ("llama", "ok")],
    "stall": [("llama", "stall:after=3"), ("llama", "ok")],
    "malformed": [("llama", "malformed-sse"), ("llama", "ok")],
    "twice": [("llama", "cut:after=3"), ("llama", "cut:after=2"), ("llama", "ok")],
    "rejecting": [("llama", "cut:after=3"), ("llama", "rejects-prefill"), ("llama", "ok")],
    "only-rejecting": [("llama", "cut:after=3"), ("llama", "rejects-prefill")],
    "no-prefill": [("llama", "cut:after=3"), ("openai", "ok")],
    "no-done": [("llama", "no-done"), ("llama", "ok")],
    "json": [("llama", "cut:after=2:json=1"), ("llama", "ok-json")],
    "unicode": [("llama", "verbatim")],
}


def continuation_policy(server: FaultServer) -> Policy:
    models: dict[str, Any] = {}
    routes: dict[str, Any] = {}
    for task, chain in CHAINS.items():
        names = []
        for position, (provider, fault) in enumerate(chain):
            name = f"{task}-{position}"
            models[name] = {"provider": provider, "model": f"{fault}#{task}-{position}", "prices": {"input": 1, "output": 2}}
            names.append(name)
        routes[task] = {
            "candidates": names,
            "retries": {"max": 0, "backoff_ms": 10},
            "timeouts": {"connect_s": 1, "first_token_s": 1.0, "idle_s": 0.5, "total_s": 5},
            "fallback_on": [o.value for o in Outcome if o not in (Outcome.OK, Outcome.CONTENT_POLICY)],
        }
    return Policy.model_validate({
        "name": "continuation",
        "providers": {
            "llama": {"kind": "openai-compatible", "base_url": server.url, "prefill": True},
            "openai": {"kind": "openai-compatible", "base_url": server.url},
        },
        "models": models,
        "tasks": {name: {} for name in routes},
        "classification": {"default": "cut"},
        "routes": routes,
    })


@pytest.fixture(scope="module")
def live(server: FaultServer) -> Iterator[LiveEndpoint]:
    with running_endpoint(continuation_policy(server)) as endpoint:  # default failover mode
        yield endpoint


def stream(live: LiveEndpoint, task: str, **kwargs: Any) -> tuple[list[Any], Exception | None]:
    chunks: list[Any] = []
    try:
        for chunk in live.openai().chat.completions.create(model=task, messages=PROMPT, stream=True, **kwargs):
            chunks.append(chunk)
    except openai.APIError as err:
        return chunks, err
    return chunks, None


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def prefill_sent_to(server: FaultServer, model: str) -> str | None:
    [request] = server.requests_for(model)
    last = request.body["messages"][-1]
    return last["content"] if last["role"] == "assistant" else None


@pytest.mark.parametrize("task", ["cut", "stall", "malformed"])
def test_a_broken_stream_is_continued_and_read_once(live: LiveEndpoint, server: FaultServer, task: str) -> None:
    chunks, error = stream(live, task)
    assert error is None
    assert text_of(chunks) == WORDS  # the whole answer, each character once: no splice, no gap
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finished) == 1 and finished[0].choices[0].finish_reason == "stop"
    assert finished[0].model == f"{task}-1"
    sent = prefill_sent_to(server, f"ok#{task}-1")
    assert sent and WORDS.startswith(sent)  # the fallback was given exactly the text already sent
    assert prefill_sent_to(server, next(m for p, m in CHAINS[task][:1]) + f"#{task}-0") is None


def test_an_answer_can_break_twice(live: LiveEndpoint, server: FaultServer) -> None:
    chunks, error = stream(live, "twice")
    assert error is None and text_of(chunks) == WORDS
    assert prefill_sent_to(server, "cut:after=2#twice-1") == "one two three"
    assert prefill_sent_to(server, "ok#twice-2") == "one two three four five"


def test_a_fallback_that_rejects_prefill_is_passed_over(live: LiveEndpoint, server: FaultServer) -> None:
    chunks, error = stream(live, "rejecting")
    assert error is None and text_of(chunks) == WORDS
    assert len(server.requests_for("rejects-prefill#rejecting-1")) == 1
    assert finished_model(chunks) == "rejecting-2"


def finished_model(chunks: list[Any]) -> str:
    return next(c.model for c in chunks if c.choices and c.choices[0].finish_reason)


def test_when_nobody_can_continue_the_error_is_the_original_failure(live: LiveEndpoint) -> None:
    chunks, error = stream(live, "only-rejecting")
    assert text_of(chunks) == "one two three"
    assert isinstance(error, openai.APIError)
    assert error.body["code"] == "stream_cut"  # not the fallback's 400
    assert "broke off" in error.message and "no candidate could continue it" in error.message
    assert not [c for c in chunks if c.choices and c.choices[0].finish_reason]


def test_a_model_that_takes_no_prefill_is_skipped_with_a_reason(live: LiveEndpoint, server: FaultServer) -> None:
    chunks, error = stream(live, "no-prefill")
    assert text_of(chunks) == "one two three"
    assert isinstance(error, openai.APIError) and error.body["code"] == "stream_cut"
    assert "no-prefill-1: cannot continue a broken answer" in error.message
    assert server.requests_for("ok#no-prefill-1") == []  # never asked: it would have started over


def test_a_continued_answer_is_checked_whole(live: LiveEndpoint, server: FaultServer) -> None:
    """The JSON check judges the text the client read, not the continuation alone."""
    fault_text = '{"answer": "' + WORDS + '"}'
    chunks, error = stream(live, "json", response_format={"type": "json_object"})
    assert error is None and text_of(chunks) == fault_text
    sent = prefill_sent_to(server, "ok-json#json-1")
    assert sent and fault_text.startswith(sent) and len(sent) < len(fault_text)


def test_no_done_is_a_whole_answer_with_its_usage(live: LiveEndpoint, server: FaultServer) -> None:
    chunks, error = stream(live, "no-done", stream_options={"include_usage": True})
    assert error is None and text_of(chunks) == WORDS
    assert finished_model(chunks) == "no-done-0"
    usage = chunks[-1].usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (10, 10)  # the upstream's own counts
    assert len(server.requests_for("no-done#no-done-0")) == 1  # not retried, not billed twice
    assert server.requests_for("ok#no-done-1") == []


def test_unicode_line_separators_reach_the_client_intact(live: LiveEndpoint) -> None:
    """U+2028/U+2029/U+0085 sent raw inside the upstream's JSON are text, not SSE line ends."""
    prompt = "one\u2028two\u2029three\u0085four"
    chunks = list(live.openai().chat.completions.create(
        model="unicode", messages=[{"role": "user", "content": prompt}], stream=True))
    assert text_of(chunks) == prompt
    assert finished_model(chunks) == "unicode-0"
