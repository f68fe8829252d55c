"""Every fault of the fault server, streamed and not, through the OpenAI adapter over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from console.core.outcomes import Outcome
from console.core.providers.base import ProviderError
from console.core.providers.openai_compat import OpenAICompatProvider
from tests.core.providers.conftest import KEY, drain, make_call
from tests.support.fault_server import FaultServer

PROMPT = "hello there big world"


@dataclass(frozen=True)
class Expect:
    outcome: Outcome
    status: int | None = None
    retry_after: float | None = None
    partial: str = ""
    billed: bool = False  # a failure that still reports usage
    before_response: bool = False


FAILURES: dict[str, Expect] = {
    "429:retry_after=1": Expect(Outcome.RATE_LIMITED, 429, 1.0),
    "500": Expect(Outcome.SERVER_ERROR, 500),
    "502": Expect(Outcome.SERVER_ERROR, 502),
    "503:retry_after=2": Expect(Outcome.UNAVAILABLE, 503, 2.0),
    "401": Expect(Outcome.AUTH, 401),
    "403": Expect(Outcome.AUTH, 403),
    "400": Expect(Outcome.BAD_REQUEST, 400),
    "400-context": Expect(Outcome.CONTEXT_OVERFLOW, 400),
    "400-content-policy": Expect(Outcome.CONTENT_POLICY, 400),
    "hang": Expect(Outcome.TIMEOUT),
    "reset": Expect(Outcome.UNAVAILABLE, before_response=True),
}
STREAM_ONLY_FAILURES: dict[str, Expect] = {
    "content-filter": Expect(Outcome.CONTENT_POLICY, partial="hello", billed=True),
    "stall:after=3": Expect(Outcome.TIMEOUT, partial="hello there big", billed=True),
    "cut:after=3": Expect(Outcome.STREAM_CUT, partial="hello there big", billed=True),
    "no-finish": Expect(Outcome.STREAM_CUT, partial=PROMPT, billed=True),
    "malformed-sse": Expect(Outcome.INVALID_OUTPUT, partial="hello there", billed=True),
    "hang-first-token:s=30": Expect(Outcome.TIMEOUT),
}
WHOLE_ONLY_FAILURES: dict[str, Expect] = {
    "content-filter": Expect(Outcome.CONTENT_POLICY, partial="hello", billed=True),
    "stall:after=3": Expect(Outcome.TIMEOUT),
    "cut:after=3": Expect(Outcome.STREAM_CUT),
    "malformed-sse": Expect(Outcome.INVALID_OUTPUT),
    "invalid-json": Expect(Outcome.INVALID_OUTPUT),
    "hang-first-token:s=30": Expect(Outcome.TIMEOUT),
}


def cases() -> list[tuple[str, bool, Expect]]:
    found = [(m, s, e) for m, e in FAILURES.items() for s in (True, False)]
    found += [(m, True, e) for m, e in STREAM_ONLY_FAILURES.items()]
    found += [(m, False, e) for m, e in WHOLE_ONLY_FAILURES.items()]
    return found


def provider(server: FaultServer) -> OpenAICompatProvider:
    return OpenAICompatProvider("faulty", base_url=server.url, key=KEY)


@pytest.mark.parametrize(("model", "stream", "expect"), cases(), ids=lambda v: str(v) if not isinstance(v, Expect) else "")
def test_fault_is_classified(fault_server: FaultServer, model: str, stream: bool, expect: Expect) -> None:
    call = make_call(model, PROMPT, stream=stream, read_timeout_s=0.4)
    with pytest.raises(ProviderError) as caught:
        drain(provider(fault_server), call)
    error = caught.value
    assert error.outcome is expect.outcome, error.message
    assert error.http_status == expect.status
    assert error.retry_after_s == expect.retry_after
    assert error.partial_text == expect.partial
    assert (error.usage is not None) == expect.billed
    assert error.before_response == expect.before_response
    assert error.message.startswith("faulty: ")
    assert KEY not in error.message and KEY not in repr(error)
    assert len(fault_server.requests_for(model)) == 1, "the adapter itself never retries"


ANSWERING = [(m, s) for m in ("ok", "slow-ok:ms=50", "hang-first-token:s=0.05", "no-done") for s in (True, False)]


@pytest.mark.parametrize(("model", "stream"), ANSWERING)
def test_answers_that_arrive_are_whole(fault_server: FaultServer, model: str, stream: bool) -> None:
    got = drain(provider(fault_server), make_call(model, PROMPT, stream=stream))
    assert got.text == PROMPT
    assert got.completion.model_id == model
    assert got.completion.finish_reason == "stop"
    usage = got.completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.estimated) == (4, 4, False)


@pytest.mark.parametrize("stream", [True, False])
def test_empty_answer_is_a_completion_without_text(fault_server: FaultServer, stream: bool) -> None:
    got = drain(provider(fault_server), make_call("empty", stream=stream))
    assert got.chunks == [] and got.completion.usage.output_tokens == 0


@pytest.mark.parametrize("stream", [True, False])
def test_json_mode_answers_pass_through_unjudged(fault_server: FaultServer, stream: bool) -> None:
    """Whether text is JSON is the executor's check; the adapter only asks for json_object."""
    good = drain(provider(fault_server), make_call("ok-json", stream=stream, json_mode=True))
    assert good.text == '{"answer": "hello there big world"}'
    bad = drain(provider(fault_server), make_call("invalid-json", stream=stream, json_mode=True))
    assert bad.text.startswith("Sure!")
    assert fault_server.requests[0].body["response_format"] == {"type": "json_object"}


def test_sequences_advance_per_model_name(fault_server: FaultServer) -> None:
    outcomes = []
    for _ in range(4):
        try:
            drain(provider(fault_server), make_call("seq:429,500,ok#a"))
            outcomes.append("ok")
        except ProviderError as error:
            outcomes.append(error.outcome.value)
    assert outcomes == ["rate_limited", "server_error", "ok", "ok"]
    with pytest.raises(ProviderError) as fresh:
        drain(provider(fault_server), make_call("seq:429,500,ok#b"))
    assert fresh.value.outcome is Outcome.RATE_LIMITED, "another tag starts its own sequence"
    assert len(fault_server.requests_for("seq:429,500,ok#a")) == 4


def test_retry_after_as_http_date(fault_server: FaultServer) -> None:
    with pytest.raises(ProviderError) as caught:
        drain(provider(fault_server), make_call("429:retry_after_date=30"))
    assert caught.value.retry_after_s is not None and 25 <= caught.value.retry_after_s <= 30


@pytest.mark.parametrize("stream", [True, False])
def test_unicode_line_separators_in_the_text_arrive_whole(fault_server: FaultServer, stream: bool) -> None:
    """U+2028, U+2029 and U+0085 are legal raw inside JSON strings; only CR/LF end an SSE line."""
    prompt = "one\u2028two\u2029three\u0085four"
    got = drain(provider(fault_server), make_call("verbatim", prompt, stream=stream))
    assert got.text == prompt
    assert got.completion.finish_reason == "stop"
    if stream:
        assert len(got.chunks) == 4


def test_no_done_reports_the_usage_chunk_that_came_before_the_end(fault_server: FaultServer) -> None:
    got = drain(provider(fault_server), make_call("no-done", PROMPT))
    assert got.completion.usage.estimated is False
    assert len(fault_server.requests_for("no-done")) == 1
