"""Route results as OpenAI chat-completions bodies, stream chunks and error bodies, plus Routedesk headers.

Every answer names the model alias that actually produced it in ``model``. What OpenAI's format
has no field for travels in ``X-Routedesk-*`` headers (non-streaming) and in a ``routedesk``
extension object that OpenAI clients ignore:
    X-Routedesk-Task          the task the request was routed as
    X-Routedesk-Attempts      the chain, compact: ``alias:outcome`` comma-separated, in order
    X-Routedesk-Policy-Hash   content hash of the policy that routed it
    X-Routedesk-Overhead-Ms   the router's own time (engine bookkeeping + the endpoint's parsing)
    X-Routedesk-Request-Id    the id of the request in the ledger
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from console.core.outcomes import Outcome
from console.core.routing.events import RouteResult

_SAFE = ":,;=-_.~ /#@+"


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def error_body(message: str, *, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def status_for(result: RouteResult) -> tuple[int, str]:
    """HTTP status and OpenAI error type for a failed route."""
    outcome, attempts = result.outcome, result.attempts
    if outcome is Outcome.BUDGET_BLOCKED:
        return 429, "insufficient_quota"
    if attempts and all(a.outcome is Outcome.RATE_LIMITED for a in attempts):
        return 429, "rate_limit_error"
    if outcome in (Outcome.TIMEOUT, Outcome.FIRST_TOKEN_TIMEOUT):
        return 504, "timeout_error"
    if outcome in (Outcome.BAD_REQUEST, Outcome.CONTEXT_OVERFLOW, Outcome.CONTENT_POLICY):
        return 400, "invalid_request_error"
    if outcome is Outcome.UNAVAILABLE:
        return 503, "service_unavailable_error"
    return 502, "upstream_error"


#: OpenAI's own error codes for the outcomes that have one, so clients that branch on ``code`` (retry
#: on rate_limit_exceeded, trim on context_length_exceeded) work unchanged; other outcomes keep
#: their Routedesk name as the code. The outcome itself always travels as ``routedesk_outcome``.
OPENAI_CODES: dict[Outcome, str] = {
    Outcome.CONTEXT_OVERFLOW: "context_length_exceeded",
    Outcome.CONTENT_POLICY: "content_policy_violation",
    Outcome.RATE_LIMITED: "rate_limit_exceeded",
    Outcome.BUDGET_BLOCKED: "insufficient_quota",
    Outcome.TIMEOUT: "timeout",
    Outcome.FIRST_TOKEN_TIMEOUT: "timeout",
    Outcome.UNAVAILABLE: "service_unavailable",
    Outcome.SERVER_ERROR: "server_error",
}
_PARAMS = {Outcome.CONTEXT_OVERFLOW: "messages"}


def outcome_error_body(outcome: Outcome, message: str, type_: str) -> dict[str, Any]:
    """An OpenAI error body for ``outcome``: OpenAI's code where it has one, the outcome alongside."""
    body = error_body(message, type_=type_, param=_PARAMS.get(outcome), code=OPENAI_CODES.get(outcome, outcome.value))
    body["error"]["routedesk_outcome"] = outcome.value
    return body


def result_error_body(result: RouteResult) -> tuple[int, dict[str, Any]]:
    status, type_ = status_for(result)
    message = f"Routedesk could not answer: {result.outcome.value}: {result.error or 'no answer'}"
    return status, outcome_error_body(result.outcome, message, type_)


def attempts_header(result: RouteResult) -> str:
    return ",".join(f"{a.model_alias}:{a.outcome.value}" for a in result.attempts)


def header_safe(value: str) -> str:
    """Header values are latin-1 on the wire; percent-encode anything else (aliases may be any text)."""
    return quote(value, safe=_SAFE)


def routedesk_headers(result: RouteResult, policy_hash: str, overhead_ms: float) -> dict[str, str]:
    return {
        "x-routedesk-task": header_safe(result.plan.task),
        "x-routedesk-attempts": header_safe(attempts_header(result)),
        "x-routedesk-policy-hash": policy_hash,
        "x-routedesk-overhead-ms": f"{overhead_ms:.3f}",
        "x-routedesk-request-id": result.request_id,
    }


def routedesk_extension(result: RouteResult, policy_hash: str, overhead_ms: float) -> dict[str, Any]:
    return {
        "request_id": result.request_id,
        "task": result.plan.task,
        "task_reason": result.plan.task_reason,
        "attempts": [{"model": a.model_alias, "outcome": a.outcome.value} for a in result.attempts],
        "policy_hash": policy_hash,
        "overhead_ms": round(overhead_ms, 3),
        "cost_usd": result.total_cost_usd,
    }


def usage_of(result: RouteResult) -> dict[str, int]:
    """The answering attempt's tokens (failed attempts' tokens are in the ledger, not here)."""
    answer = result.attempts[-1] if result.attempts else None
    prompt = answer.input_tokens if answer else 0
    completion = answer.output_tokens if answer else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def finish_reason(result: RouteResult) -> str:
    if result.tool_calls:
        return "tool_calls"  # the client must run them and send their results back
    # Hitting the cap is the other reason a client acts on, and the token count shows it.
    usage = usage_of(result)
    return "length" if usage["completion_tokens"] >= result.plan.max_output_tokens else "stop"


def tool_calls_of(result: RouteResult, *, indexed: bool = False) -> list[dict[str, Any]]:
    return [
        {**({"index": i} if indexed else {}), "id": call.id, "type": "function",
         "function": {"name": call.name, "arguments": call.arguments}}
        for i, call in enumerate(result.tool_calls)
    ]


def completion_body(result: RouteResult, policy_hash: str, overhead_ms: float) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{result.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": result.answered_by,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text or (None if result.tool_calls else ""),
                            **({"tool_calls": tool_calls_of(result)} if result.tool_calls else {})},
                "finish_reason": finish_reason(result),
                "logprobs": None,
            }
        ],
        "usage": usage_of(result),
        "system_fingerprint": None,
        "routedesk": routedesk_extension(result, policy_hash, overhead_ms),
    }


class ChunkWriter:
    """SSE frames of one streamed completion (``data: {...}\\n\\n``), all with the same id."""

    def __init__(self, stream_id: str) -> None:
        self.id = stream_id
        self.created = int(time.time())

    def chunk(self, model: str | None, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        body.update(extra)
        return b"data: " + dumps(body) + b"\n\n"

    def usage_chunk(self, model: str | None, usage: dict[str, int]) -> bytes:
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": model,
                "choices": [], "usage": usage}
        return b"data: " + dumps(body) + b"\n\n"

    @staticmethod
    def error(body: dict[str, Any]) -> bytes:
        # OpenAI's SDKs raise APIError for a data event carrying "error"; no [DONE] follows it.
        return b"data: " + dumps(body) + b"\n\n"

    @staticmethod
    def comment(text: str) -> bytes:
        return b": " + text.replace("\n", " ").encode() + b"\n\n"

    DONE = b"data: [DONE]\n\n"
