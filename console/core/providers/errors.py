"""Classifying provider failures into outcomes, for all three wire protocols.

Each protocol reports errors differently (OpenAI ``{"error": {"code", "type", "message"}}``,
Anthropic ``{"type": "error", "error": {"type", "message"}}``, Gemini ``{"error": {"code",
"status", "message", "details"}}``), and may do so as an HTTP status or as an event in the middle
of a 200 stream. Everything funnels through :func:`classify_failure`, so one table decides what a
429, an overloaded model, a context-length error or a safety block means for routing.

Messages are built from the status and the provider's own error text, truncated and redacted;
request headers never enter them, so a key cannot leak through an error.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Literal, Mapping

from console.core.outcomes import Outcome
from console.core.providers.base import ProviderError
from console.core.records import Usage

Protocol = Literal["openai", "anthropic", "gemini"]

MAX_DETAIL_CHARS = 300

_CONTEXT_MARKERS = (
    "context_length_exceeded",  # OpenAI code
    "maximum context length",  # OpenAI message
    "prompt is too long",  # Anthropic
    "exceeds the maximum number of tokens",  # Gemini
    "exceed_context_size",  # llama.cpp server error type
    "exceeds the available context size",  # llama.cpp server message
    "context window",
    "too many tokens",
)
_POLICY_MARKERS = (
    "content_filter",
    "content_policy_violation",
    "content management policy",
    "responsible ai",
    "prohibited_content",
)
# Error type names each protocol sends in bodies and mid-stream events, as the status they mean.
_STATUS_BY_TYPE = {
    # Anthropic
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
    # OpenAI
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "invalid_api_key": 401,
    "server_error": 500,
    # Gemini (google.rpc codes)
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def truncate(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (and any run of 8+ of its leading chars) with '[redacted]'."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
            if len(secret) >= 12:
                # Providers echo keys partially ("sk-abc1****wxyz"); hide any long prefix too.
                text = text.replace(secret[:8], "[redacted]")
    return text


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP-date) or ``retry-after-ms``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def _gemini_retry_delay(error: Mapping[str, Any]) -> float | None:
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = re.fullmatch(r"\s*([\d.]+)s\s*", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def error_fields(payload: Any) -> tuple[str, str, Mapping[str, Any]]:
    """(kind, message, error object) from an error body of any of the three protocols."""
    if isinstance(payload, list) and payload:
        payload = payload[0]  # Gemini wraps stream-endpoint errors in a list
    if not isinstance(payload, dict):
        return "", "", {}
    error = payload.get("error", payload)
    if isinstance(error, str):
        return "", error, {}
    if not isinstance(error, dict):
        return "", "", {}
    message = str(error.get("message") or "")
    kind = ""
    for key in ("code", "status", "type"):
        value = error.get(key)
        if isinstance(value, str) and value:
            kind = value
            break
    details = " ".join(
        str(d.get("reason", "")) for d in error.get("details") or () if isinstance(d, dict)
    )
    if "API_KEY_INVALID" in details:
        kind = "invalid_api_key"
    return kind, message, error


def _has(markers: tuple[str, ...], *texts: str) -> bool:
    haystack = " ".join(texts).lower()
    return any(marker.lower() in haystack for marker in markers)


def classify_failure(
    *,
    provider: str,
    status: int | None,
    payload: Any,
    raw_body: str = "",
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str | None] = (),
    partial_text: str = "",
    usage: Usage | None = None,
) -> ProviderError:
    """The ProviderError for an HTTP error response, or (status None) for a mid-stream error event."""
    kind, provider_message, error = error_fields(payload)
    effective = status if status is not None else _STATUS_BY_TYPE.get(kind, 500)
    if status is not None and kind in _STATUS_BY_TYPE and kind in ("overloaded_error", "invalid_api_key"):
        effective = _STATUS_BY_TYPE[kind]  # e.g. Gemini's 400 API_KEY_INVALID is an auth failure
    retry_after = parse_retry_after(headers or {})
    if retry_after is None:
        retry_after = _gemini_retry_delay(error)
    detail = provider_message or raw_body
    where = f"HTTP {status}" if status is not None else "error event in stream"
    label = f" ({kind})" if kind else ""

    if status is not None and 300 <= status < 400:
        return _redirect_error(provider, status, headers or {}, secrets)
    if effective == 429:
        outcome = Outcome.RATE_LIMITED
    elif effective in (401, 403):
        outcome = Outcome.AUTH
    elif 400 <= effective < 500 and _has(_CONTEXT_MARKERS, kind, provider_message):
        outcome = Outcome.CONTEXT_OVERFLOW
    elif 400 <= effective < 500 and _has(_POLICY_MARKERS, kind, provider_message):
        outcome = Outcome.CONTENT_POLICY
    elif effective == 408:
        outcome = Outcome.TIMEOUT
    elif 400 <= effective < 500:
        outcome = Outcome.BAD_REQUEST
    elif effective in (503, 529):
        outcome = Outcome.UNAVAILABLE
    else:
        outcome = Outcome.SERVER_ERROR
    message = redact(f"{provider}: {where}{label}: {truncate(detail) or 'no detail'}", secrets)
    return ProviderError(
        outcome,
        message,
        http_status=status,
        retry_after_s=retry_after if outcome in (Outcome.RATE_LIMITED, Outcome.UNAVAILABLE) else None,
        usage=usage,
        partial_text=partial_text,
    )


def _redirect_error(provider: str, status: int, headers: Mapping[str, str], secrets: Iterable[str | None]) -> ProviderError:
    """A 3xx: redirects are not followed (the key would travel to wherever the server points), so
    the message names where it points, for the user to set ``base_url`` to it if it is right."""
    location = next((v for k, v in headers.items() if k.lower() == "location"), None)
    target = f" to {truncate(location, 200)}" if location else " with no Location"
    message = (f"{provider}: HTTP {status}{target}: the server redirects, and Routedesk does not follow redirects; "
               "if the new address is right, set the provider's base_url to it")
    return ProviderError(Outcome.BAD_REQUEST, redact(message, secrets), http_status=status)


def classify_http_error(
    *,
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str | None] = (),
) -> ProviderError:
    """The ProviderError for a non-2xx response."""
    text = body.decode("utf-8", errors="replace")
    try:
        payload: Any = json.loads(text) if text.strip() else None
    except ValueError:
        payload = None
    return classify_failure(
        provider=provider, status=status, payload=payload, raw_body=text, headers=headers, secrets=secrets
    )


def content_policy_error(
    provider: str, reason: str, *, partial_text: str = "", usage: Usage | None = None
) -> ProviderError:
    """A refusal on content grounds, carrying the provider's own reason."""
    return ProviderError(
        Outcome.CONTENT_POLICY,
        f"{provider}: refused by the provider's content policy: {truncate(reason)}",
        partial_text=partial_text,
        usage=usage,
    )


def invalid_output_error(
    provider: str, what: str, *, partial_text: str = "", usage: Usage | None = None
) -> ProviderError:
    return ProviderError(
        Outcome.INVALID_OUTPUT, f"{provider}: {truncate(what)}", partial_text=partial_text, usage=usage
    )
