"""Run a plan: attempts in order, retries, fallback, escalation; events out, records to the ledger.

Conduct by outcome (DESIGN.md, issue 3):
- rate_limited / unavailable / server_error / stream_cut retry the same model with jittered
  exponential backoff that honours Retry-After, unless Retry-After is longer than the route can wait
  (what is left of its p95 latency requirement after the time already spent on the request, else
  its total timeout): then it falls back at once;
- a failure before any response byte is retried once even when the route allows no retries;
- timeouts never retry the same model (a silent provider is not hammered);
- context_overflow never retries and skips candidates whose context is not larger;
- content_policy never retries and carries the provider's reason;
- every other failure falls back when the route's ``fallback_on`` names it, else ends the request.
Low-confidence answers fall through the chain and, when it runs out, escalate to the route's
``confidence.escalate_to`` task once.

A streamed answer that breaks off after text reached the caller (``continue_streamed``) is
continued, not restarted: later attempts get the text so far as an assistant prefill and stream
only what they add (continuation.py). Models that take no prefill are skipped with a reason; a 400
to a continuation (a model that rejects prefill) moves on and is never the request's error: when
nobody can continue, the request ends with the failure that broke the answer.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable

from console.core.outcomes import RETRYABLE_SAME_MODEL, Outcome
from console.core.policy.schema import Policy, Route
from console.core.providers.base import ChatProvider, ProviderCall
from console.core.request import Request
from console.core.routing.attempt import AttemptResult, run_attempt
from console.core.routing.continuation import (
    accepts_prefill,
    cannot_continue_reason,
    continuation_max_tokens,
    continuation_messages,
)
from console.core.routing.events import Delta, Discarded, Interrupted, RouteEvent, Started
from console.core.routing.health import HealthRegistry
from console.core.routing.types import Plan

_NO_RETRY = frozenset({Outcome.TIMEOUT, Outcome.FIRST_TOKEN_TIMEOUT, Outcome.CONTEXT_OVERFLOW, Outcome.CONTENT_POLICY})


@dataclass
class Binding:
    """How to call one model alias: its provider and the id the provider knows it by.

    ``problem`` is set (and ``provider`` None) when the model cannot be called at all, e.g. its key
    is missing; the attempt then fails with ``problem_outcome`` without any network call.
    """

    alias: str
    provider_name: str
    model_id: str
    provider: ChatProvider | None
    problem: str | None = None
    problem_outcome: Outcome = Outcome.AUTH


@dataclass
class Tried:
    """One attempt as the executor saw it; the engine turns these into ledger records."""

    binding: Binding
    result: AttemptResult
    retry_index: int
    task: str
    prefix: str = ""  # answer text this attempt continued (sent by earlier attempts)


def _ignore(_: str) -> None:
    return None


Binder = Callable[[str], Binding]
Replanner = Callable[[Request, str], Plan]
#: Claims budget before a call: (binding, task, estimated cost) -> a reservation the engine settles
Reserver = Callable[[Binding, str, float], object]


class ChainRunner:
    """Executes one request's plan. Create one per request; iterate ``events()``."""

    def __init__(
        self,
        request: Request,
        plan: Plan,
        policy: Policy,
        bind: Binder,
        health: HealthRegistry,
        replan: Replanner,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        stream_text: bool = False,
        stop_after_discard: bool = False,
        continue_streamed: bool = False,
        reserve: Reserver | None = None,
    ) -> None:
        self.request = request
        self.plan = plan
        self.policy = policy
        self.bind = bind
        self.health = health
        self.replan = replan
        self.sleep = sleep
        self.rng = rng or random.Random()
        # What the latency requirement is measured with (the engine's clock; the loop's by default),
        # so tests can spend time with an injected sleep that moves an injected clock.
        self.clock: Callable[[], float] = clock or (lambda: asyncio.get_running_loop().time())
        self.stream_text = stream_text
        self.stop_after_discard = stop_after_discard  # a caller that cannot take back streamed text
        self.continue_streamed = continue_streamed and stream_text
        self.sent = ""  # continue mode: the answer text the caller has received so far
        self.broken: Tried | None = None  # continue mode: the attempt whose failure broke the answer
        self.skipped: list[str] = []  # candidates the plan kept but the breaker refused at run time
        self.tried: list[Tried] = []
        self.answer: Tried | None = None
        self.stopped: str | None = None  # why the chain stopped early (non-fallback outcome)
        self.waited_s = 0.0
        self.in_flight: tuple[Binding, float, str, int] | None = None  # (binding, loop start, task, retry)
        self._started = 0.0  # clock time when the chain began: the latency requirement counts from it
        # After a context overflow only larger-context models are worth trying, on this route and on
        # any route the request escalates to: the prompt did not get shorter.
        self.min_context = 0
        self.reserve = reserve
        # One per call made, in order (None where nothing was reserved): reservations[i] belongs to
        # tried[i]; one past the end is the call in flight when the request was cancelled.
        self.reservations: list[object] = []

    async def events(self) -> AsyncIterator[RouteEvent]:
        self._started = self.clock()
        plans, seen_tasks = [self.plan], {self.plan.task}
        while plans:
            plan = plans.pop(0)
            route = self.policy.routes.get(plan.task)
            if route is None:
                return
            async for event in self._run_route(plan, route):
                yield event
            if self.answer or self.stopped:
                return
            target = route.confidence.escalate_to
            unsure = any(t.result.outcome is Outcome.LOW_CONFIDENCE for t in self.tried if t.task == plan.task)
            if unsure and target and target not in seen_tasks and target in self.policy.routes:
                seen_tasks.add(target)
                plans.append(self.replan(self.request, target))

    async def _run_route(self, plan: Plan, route: Route) -> AsyncIterator[RouteEvent]:
        for decision in plan.kept:
            model = self.policy.models[decision.model]
            if model.context_window < self.min_context:
                continue
            if self.sent and not accepts_prefill(self.policy, decision.model):
                self.skipped.append(cannot_continue_reason(decision.model))
                continue
            binding = self.bind(decision.model)
            async for event in self._run_candidate(
                binding, route, plan.task, decision.first_token_s, decision.estimated_cost_usd
            ):
                yield event
            if self.answer or self.stopped:
                return
            last = self.tried[-1].result.outcome if self.tried else None
            if last is Outcome.CONTEXT_OVERFLOW:
                self.min_context = max(self.min_context, model.context_window + 1)

    async def _run_candidate(
        self, binding: Binding, route: Route, task: str, first_token_s: float | None = None, estimate_usd: float = 0.0
    ) -> AsyncIterator[RouteEvent]:
        """Call one candidate (with retries); ``first_token_s`` is the plan's deadline for it,
        ``estimate_usd`` its estimated cost (what each attempt reserves against the budgets)."""
        retries_left, reset_retry_left, retry_index = route.retries.max, 1, 0
        while True:
            breaker = self.health.breaker(binding.alias)
            if binding.provider is not None and not breaker.allow():
                # Opened (or a half-open probe is out) since the plan was made: say so in the error.
                self.skipped.append(f"{binding.alias}: circuit {breaker.state().value}, not tried")
                return
            observed = binding.provider is None
            prefix = self.sent
            try:
                yield Started(binding.alias, len(self.tried))
                self.reservations.append(
                    self.reserve(binding, task, estimate_usd) if self.reserve and binding.provider else None)
                self.in_flight = (binding, asyncio.get_running_loop().time(), task, retry_index)
                if self.stream_text:
                    result = None
                    async for item in self._call_streaming(binding, route, first_token_s):
                        if isinstance(item, str):
                            yield Delta(binding.alias, item)
                        else:
                            result = item
                    assert result is not None
                else:
                    result = await self._call(binding, route, _ignore, first_token_s)
                self.tried.append(Tried(binding, result, retry_index, task, prefix))
                self.in_flight = None
                if binding.provider is not None:
                    # Only a streamed answer's first token says how long the model takes to start.
                    ttft = result.ttft_ms if self.stream_text or self.request.stream else None
                    self.health.observe(binding.alias, result.outcome, result.latency_ms, ttft)
                    observed = True
            finally:
                if not observed:  # cancelled or closed mid-call: a half-open probe slot must not stay taken
                    breaker.release_probe()
            if result.outcome is Outcome.OK:
                self.answer = self.tried[-1]
                return
            if self.continue_streamed:
                if prefix and result.outcome is Outcome.BAD_REQUEST and not result.streamed_chars:
                    return  # it refused the prefill: the next candidate may take it
                if result.streamed_chars and not result.finished:
                    self.sent += result.text
                    self.broken = self.broken or self.tried[-1]
                    yield Interrupted(binding.alias, result.outcome, result.error or result.outcome.value, len(self.sent))
                    if not accepts_prefill(self.policy, binding.alias):
                        if result.outcome not in route.fallback_on:
                            self.stopped = f"{result.outcome.value} does not fall back on this route"
                        return
                elif result.streamed_chars:  # a whole answer that failed its checks was already sent
                    self.stopped = f"{result.outcome.value} after the whole answer was streamed"
                    return
            elif result.streamed_chars:
                yield Discarded(binding.alias, result.outcome, result.error or result.outcome.value, result.streamed_chars)
                if self.stop_after_discard:
                    self.stopped = f"{result.outcome.value} after text was streamed; the caller asked not to restart"
                    return
            delay = self._retry_delay(result, route, retries_left, reset_retry_left, retry_index)
            if delay is not None:
                if result.before_response and reset_retry_left and retries_left == 0:
                    reset_retry_left -= 1
                else:
                    retries_left -= 1
                retry_index += 1
                self.waited_s += delay
                await self.sleep(delay)
                continue
            if result.outcome not in route.fallback_on:
                self.stopped = f"{result.outcome.value} does not fall back on this route"
            return

    async def _call_streaming(
        self, binding: Binding, route: Route, first_token_s: float | None
    ) -> AsyncIterator[str | AttemptResult]:
        """Run the call as a task and hand its text out as it arrives."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        task = asyncio.ensure_future(self._call(binding, route, queue.put_nowait, first_token_s))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (text := await queue.get()) is not None:
                yield text
            yield await task
        finally:
            if not task.done():
                task.cancel()

    async def _call(
        self, binding: Binding, route: Route, on_text: Callable[[str], None], first_token_s: float | None = None
    ) -> AttemptResult:
        if binding.provider is None:
            return AttemptResult(outcome=binding.problem_outcome, error=binding.problem)
        request, sent = self.request, self.sent
        call = ProviderCall(
            model_id=binding.model_id,
            messages=continuation_messages(request.messages, sent) if sent else request.messages,
            max_tokens=continuation_max_tokens(self.plan.max_output_tokens, sent) if sent else self.plan.max_output_tokens,
            temperature=request.temperature,
            json_mode=route.output.json_ or request.json_schema is not None,
            want_logprobs=route.confidence.min_mean_logprob is not None,
            stream=request.stream or self.stream_text,
            connect_timeout_s=route.timeouts.connect_s,
            read_timeout_s=route.timeouts.total_s,
            tools=request.tools,
            tool_choice=request.tool_choice,
            sampling=request.sampling,
            json_schema=request.json_schema or None,
            schema_name=request.schema_name,
            schema_strict=request.schema_strict,
        )
        return await run_attempt(
            binding.provider, call, route, on_text, request.json_schema or route.output.schema_, prefix=sent,
            first_token_s=first_token_s,
        )

    def _retry_delay(
        self, result: AttemptResult, route: Route, retries_left: int, reset_left: int, retry_index: int
    ) -> float | None:
        """Seconds to wait before retrying the same model, or None to move on."""
        outcome = result.outcome
        if outcome in _NO_RETRY or outcome not in RETRYABLE_SAME_MODEL:
            return None
        if retries_left <= 0 and not (result.before_response and reset_left):
            return None
        if route.latency.p95_ms:  # what is left of the requirement once the time already spent is counted
            budget_s = route.latency.p95_ms / 1000 - (self.clock() - self._started)
        else:
            budget_s = route.timeouts.total_s
        if result.retry_after_s is not None and result.retry_after_s > budget_s:
            return None  # waiting would blow the latency requirement: fall back now
        base = route.retries.backoff_ms / 1000 * (2**retry_index)
        cap = route.retries.max_backoff_ms / 1000
        delay = self.rng.uniform(base / 2, base) if base else 0.0  # jitter, never zero-spaced storms
        delay = min(delay, cap)
        if result.retry_after_s is not None:
            delay = max(delay, result.retry_after_s)
        return delay
