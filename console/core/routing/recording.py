"""Turn what the executor did into a ``RouteResult`` for the caller and a ``RequestRecord`` for the log.

Attempts are priced here with the prices in force at the time (stored with each attempt), so a
later price change never rewrites history; a failed attempt is charged only for what the provider
bills (output that streamed before a cut), never as a completion.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, Mapping

from console.core.outcomes import Outcome
from console.core.pricing import PriceSheet, cost_usd
from console.core.records import AttemptRecord, Recorder, RequestRecord, Usage, new_request_id
from console.core.request import Request
from console.core.routing.events import RouteResult
from console.core.routing.attempt import AttemptResult
from console.core.routing.execute import ChainRunner, Tried
from console.core.routing.types import CONTEXT_TOO_SMALL, Classified, ClassifierCall, Plan

_ZERO = PriceSheet(0.0, 0.0, 0.0, 0.0)


#: The classifier's call sorts before the chain's attempts (which count from 0) in the log.
CLASSIFY_POSITION = -1


def _billed(sheet: PriceSheet, usage: Usage | None) -> dict[str, Any]:
    """The token, price and cost fields of an attempt: what was used, at which prices, for how much."""
    usage = usage or Usage()
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_tokens": usage.cached_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "tokens_estimated": usage.estimated,
        "cost_usd": cost_usd(sheet, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                             cached_tokens=usage.cached_tokens, reasoning_tokens=usage.reasoning_tokens),
        "price_input": sheet.input,
        "price_output": sheet.output,
        "price_cached_input": sheet.cached_input,
        "price_reasoning": sheet.reasoning,
    }


def classifier_attempt(call: ClassifierCall, prices: Mapping[str, PriceSheet]) -> AttemptRecord:
    """The classifier model's call as a priced attempt with role "classify"."""
    return AttemptRecord(
        position=CLASSIFY_POSITION,
        model_alias=call.alias,
        provider=call.provider,
        provider_model_id=call.model_id,
        outcome=call.outcome,
        started_at=call.started_at,
        error_class=None if call.outcome is Outcome.OK else call.outcome.value,
        error_message=call.error,
        latency_ms=call.latency_ms,
        role="classify",
        **_billed(prices.get(call.alias, _ZERO), call.usage),
    )


def attempt_record(position: int, tried: Tried, prices: Mapping[str, PriceSheet], started_at: datetime) -> AttemptRecord:
    result, binding = tried.result, tried.binding
    return AttemptRecord(
        position=position,
        model_alias=binding.alias,
        provider=binding.provider_name,
        provider_model_id=binding.model_id,
        outcome=result.outcome,
        started_at=started_at,
        error_class=None if result.outcome is Outcome.OK else result.outcome.value,
        error_message=result.error,
        http_status=result.http_status,
        latency_ms=result.latency_ms,
        ttft_ms=result.ttft_ms,
        retry_index=tried.retry_index,
        answered_model_id=result.model_id,
        **_billed(prices.get(binding.alias, _ZERO), result.usage),
    )


def _error_sentence(runner: ChainRunner, plan: Plan, attempts: list[AttemptRecord]) -> tuple[Outcome, str]:
    if not attempts:
        if plan.blocked_by:
            return Outcome.BUDGET_BLOCKED, f"blocked by budget '{plan.blocked_by}'"
        if runner.skipped:
            return Outcome.UNAVAILABLE, "every candidate was skipped: " + "; ".join(runner.skipped)
        dropped = "; ".join(f"{d.model}: {d.reason}" for d in plan.dropped) or "the route has no candidates"
        reason = "no candidate passed the plan" if plan.candidates else "; ".join(plan.warnings) or "no candidates"
        if plan.dropped and all(CONTEXT_TOO_SMALL in d.reason for d in plan.dropped):
            # The request itself does not fit (e.g. max_tokens 10^12): the caller's error, not an outage.
            return Outcome.CONTEXT_OVERFLOW, f"the request fits no candidate's context window ({dropped})"
        return Outcome.UNAVAILABLE, f"{reason} ({dropped})"
    chain = ", ".join(
        f"{a.model_alias} → {a.outcome.value}" + (f" ({a.error_message})" if a.error_message else "") for a in attempts
    )
    last = attempts[-1].outcome
    lead = runner.stopped or f"all {len(attempts)} attempts failed"
    if runner.broken is not None:
        # The failure the caller lived through, not a later candidate's refusal of the prefill.
        broken = runner.broken.result
        last = broken.outcome
        lead = (f"the answer from {runner.broken.binding.alias} broke off after {len(runner.sent)} characters "
                f"({broken.outcome.value}: {broken.error or broken.outcome.value}) and no candidate could continue it"
                + (f" ({runner.stopped})" if runner.stopped else ""))
    skipped = f"; skipped: {'; '.join(runner.skipped)}" if runner.skipped else ""
    return last, f"{lead}: {chain}{skipped}"


def build_result(
    runner: ChainRunner, plan: Plan, prices: Mapping[str, PriceSheet], elapsed_ms: float, *, cancelled: bool, now_loop: float = 0.0
) -> RouteResult:
    now = datetime.now(timezone.utc)
    tried = list(runner.tried)
    if cancelled and runner.in_flight is not None:
        binding, started, task, retry = runner.in_flight
        gone = AttemptResult(Outcome.CANCELLED, error="cancelled by the caller", latency_ms=max(0.0, now_loop - started) * 1000)
        tried.append(Tried(binding, gone, retry, task))
    attempts = [attempt_record(i, t, prices, now) for i, t in enumerate(tried)]
    provider_ms = sum(a.latency_ms for a in attempts) + runner.waited_s * 1000
    result = RouteResult(
        request_id=new_request_id(),
        plan=plan,
        outcome=Outcome.OK,
        attempts=attempts,
        total_cost_usd=round(sum(a.cost_usd for a in attempts), 12),
        latency_ms=elapsed_ms,
        overhead_ms=max(0.0, elapsed_ms - provider_ms),
    )
    if cancelled:
        result.outcome, result.error = Outcome.CANCELLED, "cancelled by the caller"
    elif runner.answer is not None:
        answer = runner.answer
        result.text = answer.prefix + answer.result.text
        result.tool_calls = answer.result.tool_calls
        result.finish_reason = answer.result.finish_reason
        result.answered_by = answer.binding.alias
        result.answered_model_id = answer.result.model_id or answer.binding.model_id
    else:
        result.outcome, result.error = _error_sentence(runner, plan, attempts)
    return result


def record_request(
    recorder: Recorder,
    request: Request,
    result: RouteResult,
    policy_name: str,
    policy_hash: str,
    classified: Classified,
    started_wall: float,
    streamed: bool,
    kind: str,
    *,
    prompt_text: str | None = None,
) -> "Future[None] | None":
    record = RequestRecord(
        request_id=result.request_id,
        started_at=datetime.fromtimestamp(started_wall, timezone.utc),
        policy_name=policy_name,
        policy_hash=policy_hash,
        task=result.plan.task,
        task_reason=classified.reason,
        outcome=result.outcome,
        metadata=dict(request.metadata),
        answered_by=result.answered_by,
        total_cost_usd=result.total_cost_usd,
        total_latency_ms=result.latency_ms,
        overhead_ms=result.overhead_ms,
        streamed=streamed,
        kind=kind,
        prompt_text=prompt_text,
        arm=result.arm,
        attempts=([result.classifier] if result.classifier is not None else []) + result.attempts,
    )
    return recorder.record(record)
