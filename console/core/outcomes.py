"""The closed set of ways an attempt can end (DESIGN.md, "Failures are data").

Every provider error is classified into one of these before it leaves the providers package;
routes name which of them fall back. Raw transport exceptions never escape.
"""

from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"  # 429; carries Retry-After when the provider sent one
    UNAVAILABLE = "unavailable"  # connection refused/reset, DNS, 503 overloaded
    SERVER_ERROR = "server_error"  # other 5xx
    TIMEOUT = "timeout"  # connect or total timeout, or a stall after the first token
    FIRST_TOKEN_TIMEOUT = "first_token_timeout"  # nothing arrived before the first-token deadline
    STREAM_CUT = "stream_cut"  # the stream ended or broke before its terminator
    INVALID_OUTPUT = "invalid_output"  # malformed body/events, or not the JSON the route requires
    EMPTY_OUTPUT = "empty_output"  # a completion with no text
    LOW_CONFIDENCE = "low_confidence"  # mean logprob under the threshold, or the validator said no
    AUTH = "auth"  # 401/403
    BAD_REQUEST = "bad_request"  # 400/404/422 that is not about context length
    CONTENT_POLICY = "content_policy"  # the provider refused the content; never retried
    CONTEXT_OVERFLOW = "context_overflow"  # prompt + output do not fit the model's context
    BUDGET_BLOCKED = "budget_blocked"  # a budget with action 'block' stopped the request
    CANCELLED = "cancelled"  # the caller cancelled

    @property
    def is_success(self) -> bool:
        return self is Outcome.OK


#: Outcomes that retrying the *same* model may cure (given backoff).
RETRYABLE_SAME_MODEL = frozenset(
    {Outcome.RATE_LIMITED, Outcome.UNAVAILABLE, Outcome.SERVER_ERROR, Outcome.STREAM_CUT}
)
