"""Calling a model for a pilot case: the side-by-side resolution, one model, no fallback.

A pilot measures *that* model, so a failure is the model's result, not a reason to ask another.
Every call is logged as a request of kind ``pilot`` (never production spend).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from console.core.compare.columns import parse_column_spec
from console.core.compare.session import CompareSession, ResolvedColumn
from console.core.outcomes import Outcome
from console.core.policy.schema import Route, Timeouts
from console.core.providers.base import ProviderCall
from console.core.records import AttemptRecord, Recorder, RequestRecord, new_request_id
from console.core.request import Message
from console.core.routing.attempt import AttemptResult, run_attempt
from console.core.routing.execute import Binding, Tried
from console.core.routing.recording import attempt_record


@dataclass(frozen=True)
class CallResult:
    text: str
    outcome: Outcome
    error: str | None
    cost_usd: float
    latency_ms: float
    input_tokens: int
    output_tokens: int


class LiveCaller:
    """Calls models by name (policy alias, MODEL@URL, or GGUF path) and logs each call as ``kind``."""

    def __init__(self, session: CompareSession, *, recorder: Recorder | None = None, kind: str = "pilot",
                 task: str = "pilot", max_tokens: int = 512, total_s: float = 120.0) -> None:
        self.session = session
        self.recorder = recorder
        self.kind = kind
        self.task = task
        self.max_tokens = max_tokens
        self.total_s = total_s
        self._columns: dict[str, ResolvedColumn] = {}

    def column(self, model: str) -> ResolvedColumn:
        found = self._columns.get(model)
        if found is None:
            found = self._columns[model] = self.session.resolve(parse_column_spec(model, self.session.policy))
        return found

    async def call(self, model: str, prompt: str, *, system: str | None = None, max_tokens: int | None = None) -> CallResult:
        column = self.column(model)
        started = datetime.now(timezone.utc)
        if column.provider is None:
            result = AttemptResult(column.problem_outcome, error=column.problem)
        else:
            messages = ((Message("system", system),) if system else ()) + (Message("user", prompt),)
            limit = max_tokens or self.max_tokens
            call = ProviderCall(model_id=column.model_id, messages=messages, max_tokens=limit, stream=True)
            route = Route(candidates=[model], max_output_tokens=limit,
                          timeouts=Timeouts(first_token_s=self.total_s, idle_s=self.total_s, total_s=self.total_s))
            result = await run_attempt(column.provider, call, route, lambda text: None)
        binding = Binding(model, column.provider_name or "adhoc", column.model_id, column.provider)
        record = attempt_record(0, Tried(binding, result, 0, self.task), {model: column.prices}, started)
        await self._log(model, record, started)
        return CallResult(result.text, result.outcome, result.error, record.cost_usd, result.latency_ms,
                          record.input_tokens, record.output_tokens)

    async def _log(self, model: str, attempt: AttemptRecord, started: datetime) -> None:
        if self.recorder is None:
            return
        record = RequestRecord(
            request_id=new_request_id(), started_at=started, policy_name=self.session.policy.name if self.session.policy else "",
            policy_hash="", task=self.task, task_reason=f"{self.kind} call", outcome=attempt.outcome,
            answered_by=model if attempt.outcome is Outcome.OK else None, total_cost_usd=attempt.cost_usd,
            total_latency_ms=attempt.latency_ms, kind=self.kind, attempts=[attempt])
        durable = self.recorder.record(record)
        if durable is not None:
            await asyncio.wrap_future(durable)
