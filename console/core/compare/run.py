"""Running a side by side: every column at once, each streaming, each stoppable alone.

Columns are independent asyncio tasks, so wall time is the slowest column, not the sum (except
columns sharing one local GGUF worker, which queue on it). A column that fails ends in its own
``ColumnResult`` with the outcome and the sentence; it never disturbs the others. Each finished
column is handed to the recorder as a request of kind ``comparison``, which production spend
queries leave out.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Union

from console.core.compare.columns import CompareParams
from console.core.compare.results import ColumnResult, ComparisonResult
from console.core.compare.session import ResolvedColumn
from console.core.outcomes import Outcome
from console.core.policy.schema import OutputCheck, Route, Timeouts
from console.core.providers.base import ProviderCall
from console.core.records import Recorder
from console.core.request import Message
from console.core.routing.attempt import AttemptResult, run_attempt
from console.core.routing.execute import Binding, Tried
from console.core.routing.recording import attempt_record


@dataclass(frozen=True)
class ColumnStarted:
    index: int


@dataclass(frozen=True)
class ColumnText:
    index: int
    text: str


@dataclass(frozen=True)
class ColumnFinished:
    index: int
    result: ColumnResult


CompareEvent = Union[ColumnStarted, ColumnText, ColumnFinished]
EventSink = Callable[[CompareEvent], None]


def shared_worker_notes(columns: list[ResolvedColumn]) -> tuple[dict[int, str], list[str]]:
    """A sentence for each column that shares a local worker with another, and one per shared file."""
    by_file: dict[str, list[int]] = {}
    for index, column in enumerate(columns):
        if column.worker is not None:
            by_file.setdefault(column.worker, []).append(index)
    notes: dict[int, str] = {}
    groups: list[str] = []
    for path, indexes in by_file.items():
        if len(indexes) < 2:
            continue
        names = ", ".join(columns[i].spec.label for i in indexes)
        groups.append(f"{names} share one llama.cpp worker ({path.rsplit('/', 1)[-1]}): they run one after another")
        for index in indexes:
            others = ", ".join(columns[i].spec.label for i in indexes if i != index)
            notes[index] = f"shares one llama.cpp worker with {others} ({path.rsplit('/', 1)[-1]}): they run one after another"
    return notes, groups


class SideBySide:
    """One run of a prompt over resolved columns.

    Attributes:
        columns: the resolved columns, in display order.
        params: the shared prompt and settings.
    """

    def __init__(self, columns: list[ResolvedColumn], params: CompareParams, *, recorder: Recorder | None = None,
                 policy_name: str = "", policy_hash: str = "") -> None:
        self.columns = columns
        self.params = params
        self._recorder = recorder
        self._policy_name = policy_name or "side by side"
        self._policy_hash = policy_hash
        self._tasks: dict[int, asyncio.Task[ColumnResult]] = {}

    def cancel(self, index: int) -> None:
        """Stop one column; it ends as ``cancelled`` with what it had streamed."""
        task = self._tasks.get(index)
        if task is not None and not task.done():
            task.get_loop().call_soon_threadsafe(task.cancel)

    def cancel_all(self) -> None:
        for index in list(self._tasks):
            self.cancel(index)

    async def run(self, on_event: EventSink | None = None) -> ComparisonResult:
        sink = on_event or (lambda event: None)
        notes, groups = shared_worker_notes(self.columns)
        started = time.time()
        t0 = time.perf_counter()
        for index, column in enumerate(self.columns):
            self._tasks[index] = asyncio.create_task(self._run_column(index, column, notes.get(index), sink))
        try:
            results = list(await asyncio.gather(*self._tasks.values()))
        except asyncio.CancelledError:
            self.cancel_all()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            raise
        durable = [r for r in (self._record(column, result, started) for column, result in zip(self.columns, results)) if r]
        for future in durable:
            await asyncio.wrap_future(future)
        return ComparisonResult(
            params=self.params, specs=[c.spec for c in self.columns], columns=results,
            wall_ms=(time.perf_counter() - t0) * 1000, policy_name=self._policy_name, started_at=started,
            notes=groups,
        )

    async def _run_column(self, index: int, column: ResolvedColumn, shared: str | None, sink: EventSink) -> ColumnResult:
        sink(ColumnStarted(index))
        label = column.spec.label
        if column.provider is None:
            result = AttemptResult(column.problem_outcome, error=column.problem or "cannot call this model")
        else:
            system, temperature, max_tokens, json_mode = self.params.for_column(column.spec)
            messages = ((Message("system", system),) if system else ()) + (Message("user", self.params.prompt),)
            call = ProviderCall(model_id=column.model_id, messages=messages, max_tokens=max_tokens,
                                temperature=temperature, json_mode=json_mode, stream=True)
            route = Route(candidates=[label], max_output_tokens=max_tokens,
                          timeouts=Timeouts(first_token_s=self.params.first_token_s, total_s=self.params.total_s,
                                            idle_s=self.params.first_token_s),
                          output=OutputCheck(json_=json_mode))
            streamed: list[str] = []

            def on_text(text: str) -> None:
                streamed.append(text)
                sink(ColumnText(index, text))

            t0 = asyncio.get_running_loop().time()
            try:
                result = await run_attempt(column.provider, call, route, on_text)
            except asyncio.CancelledError:
                elapsed = (asyncio.get_running_loop().time() - t0) * 1000
                result = AttemptResult(Outcome.CANCELLED, text="".join(streamed), error="stopped by the user",
                                       latency_ms=elapsed)
        finished = self._column_result(column, result, shared)
        sink(ColumnFinished(index, finished))
        return finished

    def _column_result(self, column: ResolvedColumn, result: AttemptResult, shared: str | None) -> ColumnResult:
        record = attempt_record(0, self._tried(column, result), {column.spec.label: column.prices},
                                datetime.now(timezone.utc))
        return ColumnResult(
            label=column.spec.label, model=column.spec.alias or column.model_id, outcome=result.outcome,
            text=result.text, error=result.error, ttft_ms=result.ttft_ms, latency_ms=result.latency_ms,
            input_tokens=record.input_tokens, output_tokens=record.output_tokens,
            tokens_estimated=record.tokens_estimated, cost_usd=record.cost_usd, shared_worker=shared,
        )

    @staticmethod
    def _tried(column: ResolvedColumn, result: AttemptResult) -> Tried:
        binding = Binding(column.spec.label, column.provider_name or "adhoc", column.model_id, column.provider)
        return Tried(binding, result, 0, "comparison")

    def _record(self, column: ResolvedColumn, result: ColumnResult, started: float) -> Future[None] | None:
        if self._recorder is None:
            return None
        from console.core.records import AttemptRecord, RequestRecord, new_request_id

        request_id = new_request_id()
        result.request_id = request_id
        attempt = AttemptRecord(
            position=0, model_alias=column.spec.label, provider=column.provider_name or "adhoc",
            provider_model_id=column.model_id, outcome=result.outcome,
            error_class=None if result.outcome is Outcome.OK else result.outcome.value, error_message=result.error,
            input_tokens=result.input_tokens, output_tokens=result.output_tokens,
            tokens_estimated=result.tokens_estimated, cost_usd=result.cost_usd,
            price_input=column.prices.input, price_output=column.prices.output,
            price_cached_input=column.prices.cached_input, price_reasoning=column.prices.reasoning,
            latency_ms=result.latency_ms, ttft_ms=result.ttft_ms,
        )
        record = RequestRecord(
            request_id=request_id, started_at=datetime.fromtimestamp(started, timezone.utc),
            policy_name=self._policy_name, policy_hash=self._policy_hash, task="comparison",
            task_reason="side by side", outcome=result.outcome, answered_by=column.spec.label if result.outcome is Outcome.OK else None,
            total_cost_usd=result.cost_usd, total_latency_ms=result.latency_ms, streamed=True, kind="comparison",
            attempts=[attempt],
        )
        return self._recorder.record(record)
