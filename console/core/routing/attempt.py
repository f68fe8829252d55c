"""One call to one model under the route's deadlines, and the checks its answer must pass.

The provider yields chunks; this module enforces the first-token, idle and total deadlines around
that iterator (so hosted and in-process providers obey the same rules), turns every failure into an
``Outcome``, and checks the finished text: empty output, JSON (and JSON schema) when required, and
confidence (mean token log-probability, validator regex).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from console.core.outcomes import Outcome
from console.core.policy.patterns import PatternError, search
from console.core.policy.schema import Route
from console.core.providers.base import ChatProvider, Completion, ProviderCall, ProviderError, TextChunk
from console.core.records import Usage
from console.core.request import ToolCall
from console.core.tokens import estimate_chat_tokens, estimate_tokens

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


@dataclass
class AttemptResult:
    """What one call produced. ``usage`` is what the provider bills (zero when nothing is billed)."""

    outcome: Outcome
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    model_id: str | None = None
    error: str | None = None
    http_status: int | None = None
    retry_after_s: float | None = None
    before_response: bool = False
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    streamed_chars: int = 0  # text already shown to a streaming caller
    finished: bool = False  # the provider completed its answer (a failure then is a check's verdict)
    tool_calls: tuple[ToolCall, ...] = ()  # calls the model asks the caller to make
    finish_reason: str | None = None  # the provider's own


def _billed_usage_for_partial(call: ProviderCall, partial: str) -> Usage:
    """Providers bill output that streamed before a failure; estimate it when they did not say."""
    if not partial:
        return Usage()
    return Usage(
        input_tokens=estimate_chat_tokens([m.content for m in call.messages]),
        output_tokens=estimate_tokens(partial),
        estimated=True,
    )


async def run_attempt(
    provider: ChatProvider,
    call: ProviderCall,
    route: Route,
    on_text: Callable[[str], None],
    schema: dict[str, Any] | None = None,
    prefix: str = "",
    first_token_s: float | None = None,
) -> AttemptResult:
    """Call the provider under the route's deadlines; never raises except CancelledError.

    ``prefix`` is answer text already sent that this call continues: the output checks judge
    ``prefix`` + the new text, the answer as the caller reads it. ``first_token_s`` is the plan's
    deadline for this model (``routing/deadlines.py``); without one the route's static value applies.
    """
    loop = asyncio.get_running_loop()
    timeouts = route.timeouts
    start = loop.time()
    total_deadline = start + timeouts.total_s
    parts: list[str] = []
    logprobs: list[float] = []
    ttft_ms: float | None = None
    completion: Completion | None = None
    phase = "first"
    first_token_s = timeouts.first_token_s if first_token_s is None else first_token_s
    stream = provider.stream(call)
    try:
        # Without streaming nothing arrives before the whole answer: only the total deadline applies.
        first_deadline = min(start + first_token_s, total_deadline) if call.stream else total_deadline
        async with asyncio.timeout_at(first_deadline) as deadline:
            async for event in stream:
                if isinstance(event, TextChunk):
                    if event.text:
                        if ttft_ms is None:
                            ttft_ms = (loop.time() - start) * 1000
                        parts.append(event.text)
                        on_text(event.text)
                    logprobs.extend(event.logprobs)
                    phase = "idle"
                    deadline.reschedule(min(loop.time() + timeouts.idle_s, total_deadline))
                else:
                    completion = event
                    break
    except TimeoutError:
        partial = "".join(parts)
        elapsed = loop.time() - start
        if phase == "first" and call.stream and elapsed < timeouts.total_s - 1e-3:
            outcome, why = Outcome.FIRST_TOKEN_TIMEOUT, f"no first token within {first_token_s:g}s"
        elif elapsed >= timeouts.total_s - 1e-3:
            outcome, why = Outcome.TIMEOUT, f"not finished within the total timeout {timeouts.total_s:g}s"
        else:
            outcome, why = Outcome.TIMEOUT, f"stream stalled for {timeouts.idle_s:g}s after {len(partial)} chars"
        return _failed(outcome, why, call, partial, loop.time() - start, ttft_ms)
    except ProviderError as err:
        partial = "".join(parts) or err.partial_text
        result = _failed(err.outcome, err.message, call, partial, loop.time() - start, ttft_ms)
        result.http_status = err.http_status
        result.retry_after_s = err.retry_after_s
        result.before_response = err.before_response
        if err.usage is not None:
            result.usage = err.usage
        return result
    except Exception as err:  # noqa: BLE001 - a provider bug must end as an outcome, never a traceback
        partial = "".join(parts)
        why = f"the provider failed unexpectedly ({type(err).__name__}: {str(err)[:200]})"
        return _failed(Outcome.SERVER_ERROR, why, call, partial, loop.time() - start, ttft_ms)
    finally:
        try:
            await stream.aclose()
        except Exception:  # noqa: BLE001 - closing a broken stream must not mask its outcome
            pass
    latency_ms = (loop.time() - start) * 1000
    text = "".join(parts)
    if completion is None:
        return _failed(Outcome.STREAM_CUT, "the stream ended without completing", call, text, latency_ms / 1000, ttft_ms)
    result = AttemptResult(
        outcome=Outcome.OK,
        text=text,
        usage=completion.usage,
        model_id=completion.model_id,
        latency_ms=latency_ms,
        ttft_ms=ttft_ms,
        streamed_chars=len(text),
        finished=True,
        tool_calls=completion.tool_calls,
        finish_reason=completion.finish_reason,
    )
    # An answer that calls tools is not the final text: the checks judge the answer that follows.
    check = None if completion.tool_calls else check_output(prefix + text, route, call, logprobs, schema)
    if check is not None:
        result.outcome, result.error = check
    return result


def _failed(outcome: Outcome, why: str, call: ProviderCall, partial: str, seconds: float, ttft_ms: float | None) -> AttemptResult:
    return AttemptResult(
        outcome=outcome,
        text=partial,
        usage=_billed_usage_for_partial(call, partial),
        error=why,
        latency_ms=seconds * 1000,
        ttft_ms=ttft_ms,
        streamed_chars=len(partial),
    )


def strip_json_fence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text


def check_output(
    text: str, route: Route, call: ProviderCall, logprobs: list[float], schema: dict[str, Any] | None = None
) -> tuple[Outcome, str] | None:
    """The failed check's outcome and sentence, or None when the answer passes."""
    if not text.strip():
        return Outcome.EMPTY_OUTPUT, "the model returned no text"
    schema = schema or route.output.schema_
    if call.json_mode or route.output.json_ or schema is not None:
        try:
            value = json.loads(strip_json_fence(text))
        except ValueError as err:
            return Outcome.INVALID_OUTPUT, f"the answer is not valid JSON ({err})"
        if schema is not None:
            problem = _schema_problem(value, schema)
            if problem:
                return Outcome.INVALID_OUTPUT, f"the answer does not match the JSON schema: {problem}"
    confidence = route.confidence
    if confidence.min_mean_logprob is not None and logprobs:
        mean = math.fsum(logprobs) / len(logprobs)
        if mean < confidence.min_mean_logprob:
            return (
                Outcome.LOW_CONFIDENCE,
                f"mean token log-probability {mean:.3f} below {confidence.min_mean_logprob:g}",
            )
    if confidence.validator_regex is not None and not _validator_accepts(confidence.validator_regex, text):
        return Outcome.LOW_CONFIDENCE, f"the validator /{confidence.validator_regex}/ rejected the answer"
    return None


def _validator_accepts(pattern: str, text: str) -> bool:
    """RE2, linear in the answer's length: an answer shaped by prompt injection cannot stall the loop."""
    try:
        return search(pattern, text) is not None
    except PatternError:
        return False  # `validate` refuses such a policy; an answer it cannot check is not trusted


def _schema_problem(value: Any, schema: dict[str, Any]) -> str | None:
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return f"{where}: {err.message}"
    except jsonschema.SchemaError as err:
        return f"the route's schema is invalid: {err.message}"
    return None
