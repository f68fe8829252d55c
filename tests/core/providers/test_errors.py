"""Error classification across the three protocols: statuses, markers, Retry-After, redaction."""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest

from console.core.outcomes import Outcome
from console.core.providers.errors import classify_failure, classify_http_error, parse_retry_after

OPENAI_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}
ANTHROPIC_TOO_LONG = {
    "type": "error",
    "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"},
}
ANTHROPIC_OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
GEMINI_TOO_LONG = {
    "error": {
        "code": 400,
        "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        "status": "INVALID_ARGUMENT",
    }
}
GEMINI_BAD_KEY = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
    }
}
GEMINI_EXHAUSTED = {
    "error": {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}],
    }
}


def classify(status: int, payload: object, headers: dict[str, str] | None = None) -> tuple[Outcome, float | None]:
    error = classify_http_error(
        provider="p", status=status, headers=headers or {}, body=json.dumps(payload).encode()
    )
    assert error.http_status == status
    return error.outcome, error.retry_after_s


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (400, OPENAI_CONTEXT, Outcome.CONTEXT_OVERFLOW),
        (400, ANTHROPIC_TOO_LONG, Outcome.CONTEXT_OVERFLOW),
        (400, GEMINI_TOO_LONG, Outcome.CONTEXT_OVERFLOW),
        (400, GEMINI_BAD_KEY, Outcome.AUTH),
        (400, {"error": {"message": "bad temperature", "type": "invalid_request_error"}}, Outcome.BAD_REQUEST),
        (400, {"error": {"message": "rejected", "code": "content_policy_violation"}}, Outcome.CONTENT_POLICY),
        (401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}, Outcome.AUTH),
        (403, {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}}, Outcome.AUTH),
        (404, {"error": {"message": "model not found"}}, Outcome.BAD_REQUEST),
        (422, {}, Outcome.BAD_REQUEST),
        (500, {"type": "error", "error": {"type": "api_error", "message": "Internal"}}, Outcome.SERVER_ERROR),
        (502, "Bad gateway", Outcome.SERVER_ERROR),
        (504, {}, Outcome.SERVER_ERROR),
        (503, {}, Outcome.UNAVAILABLE),
        (529, ANTHROPIC_OVERLOADED, Outcome.UNAVAILABLE),
        (429, GEMINI_EXHAUSTED, Outcome.RATE_LIMITED),
    ],
)
def test_status_and_body_pick_the_outcome(status: int, payload: object, expected: Outcome) -> None:
    assert classify(status, payload)[0] is expected


def test_retry_after_in_seconds_and_as_http_date() -> None:
    assert classify(429, {}, {"Retry-After": "3"}) == (Outcome.RATE_LIMITED, 3.0)
    assert parse_retry_after({"retry-after": formatdate(1_000_030, usegmt=True)}, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after({"retry-after": formatdate(999_000, usegmt=True)}, now=1_000_000) == 0.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_gemini_retry_delay_in_the_body_counts_as_retry_after() -> None:
    assert classify(429, GEMINI_EXHAUSTED) == (Outcome.RATE_LIMITED, 37.0)


def test_retry_after_is_only_kept_where_waiting_helps() -> None:
    assert classify(503, {}, {"retry-after": "5"}) == (Outcome.UNAVAILABLE, 5.0)
    assert classify(400, {}, {"retry-after": "5"}) == (Outcome.BAD_REQUEST, None)


def test_mid_stream_error_events_are_classified_by_their_type() -> None:
    overloaded = classify_failure(provider="p", status=None, payload=ANTHROPIC_OVERLOADED)
    assert overloaded.outcome is Outcome.UNAVAILABLE and overloaded.http_status is None
    assert "error event in stream" in overloaded.message
    openai_event = {"error": {"message": "The server had an error", "type": "server_error"}}
    assert classify_failure(provider="p", status=None, payload=openai_event).outcome is Outcome.SERVER_ERROR


def test_messages_are_truncated_and_never_echo_the_key() -> None:
    key = "sk-live-abcdefghijklmnopqrstuvwxyz"
    body = {"error": {"message": f"Incorrect API key provided: {key[:8]}****wxyz. " + "x" * 2000}}
    error = classify_http_error(provider="p", status=401, headers={}, body=json.dumps(body).encode(), secrets=[key])
    assert key[:8] not in error.message
    assert len(error.message) < 400


def test_a_body_that_is_not_json_still_gives_a_readable_message() -> None:
    error = classify_http_error(provider="up", status=502, headers={}, body=b"<html>Bad Gateway</html>")
    assert error.outcome is Outcome.SERVER_ERROR
    assert error.message.startswith("up: HTTP 502") and "Bad Gateway" in error.message
