"""Sending a copy of a sampled production request to a route's shadow model, in the background.

The Engine calls ``ShadowDispatcher.consider`` once a production request is answered and durably
logged, just before it hands the answer back. That call does only cheap, synchronous work (is the
route shadowed, is this request id in the sample, is the day's cap spent, is there room in flight)
and then schedules a task on the loop: the caller's answer, latency and cancellation are never
tied to the shadow. The shadow task calls the model once (no fallback: a pilot measures that model),
under its own deadline, logs the call as a request of kind ``shadow`` linked to the production one
(``metadata.shadow_of``), counts its cost in the budgets (reserved and settled through the
engine's budget book, like a production attempt: a team gateway's shared book too) and in the
route's daily cap, and stores the pair of answers as a pilot case (``store.py``). Nothing a shadow
does can raise into the production path: every failure is logged and dropped.

Only answered production requests are shadowed: a failed one has no answer to serve as the baseline.
At most ``max_in_flight`` shadows of a route run at once; a request arriving past that is not
shadowed (no queue grows under load). ``aclose`` lets shadows in flight finish for a short grace,
then cancels them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from console.core.outcomes import Outcome
from console.core.policy.check_shadow import bar_path
from console.core.policy.schema import Route, Shadow
from console.core.pricing import PriceSheet, cost_usd
from console.core.records import Recorder, RequestRecord, new_request_id
from console.core.shadow.cap import ShadowCaps
from console.core.shadow.sampling import in_sample

if TYPE_CHECKING:
    from console.core.budget.reservations import BudgetBook
    from console.core.policy.schema import Policy
    from console.core.pilot.bar import QualityBar
    from console.core.request import Request
    from console.core.routing.events import RouteResult
    from console.core.routing.execute import Binding
    from console.core.shadow.store import ShadowCase

log = logging.getLogger(__name__)

#: How long ``aclose`` lets shadows in flight finish before cancelling them.
CLOSE_GRACE_S = 2.0


@dataclass(frozen=True)
class ShadowJob:
    """Everything one shadow call needs, taken when production finished (a policy swap changes nothing)."""

    route_name: str
    route: Route
    spec: Shadow
    request: "Request"
    production: "RouteResult"
    policy: "Policy"
    policy_name: str
    policy_hash: str
    policy_path: Path | None
    prices: Mapping[str, PriceSheet]
    bind: Callable[[str], "Binding"]


class ShadowDispatcher:
    """One per Engine. Attributes:
        caps: the daily spend per route (shared by a workspace's engines).
        started / skipped_busy / skipped_cap / skipped_budget: counts since start, for tests and status lines.
    """

    def __init__(self, recorder: Recorder, book: "BudgetBook", caps: ShadowCaps | None = None) -> None:
        self.recorder = recorder
        self.book = book
        self.caps = caps if caps is not None else ShadowCaps()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: dict[str, int] = {}
        self._bars: dict[Path, "QualityBar | None"] = {}
        self.started = 0
        self.skipped_busy = 0
        self.skipped_cap = 0
        self.skipped_budget = 0

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def consider(self, job_parts: Callable[[], ShadowJob], route_name: str, spec: Shadow, result: "RouteResult") -> bool:
        """Start a shadow of this answered request if it is in the sample and the cap and room allow.

        ``job_parts`` builds the job only once the cheap tests pass. True when a shadow started."""
        if result.outcome is not Outcome.OK or not in_sample(result.request_id, spec.sample):
            return False
        if self.caps.exhausted(route_name):
            self.skipped_cap += 1
            return False
        running = self._in_flight.get(route_name, 0)
        if running >= spec.max_in_flight:
            self.skipped_busy += 1
            return False
        self._in_flight[route_name] = running + 1
        self.started += 1
        task = asyncio.get_running_loop().create_task(self._shadow(job_parts()), name=f"shadow {route_name}")
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, route_name))
        return True

    def _finished(self, task: "asyncio.Task[None]", route_name: str) -> None:
        self._tasks.discard(task)
        self._in_flight[route_name] -= 1

    async def wait_idle(self) -> None:
        """Return once no shadow is in flight (tests and benchmarks; production never waits)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Let shadows in flight finish for ``grace_s``, then cancel the rest (they log nothing)."""
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _shadow(self, job: ShadowJob) -> None:
        try:
            async with asyncio.timeout(job.spec.timeout_s + 5.0):  # run_attempt keeps its own deadline; this is a backstop
                await self._run(job)
        except TimeoutError:
            log.warning("a shadow of route '%s' on %s overran its deadline and was dropped", job.route_name, job.spec.model)
        except Exception as err:  # noqa: BLE001 - a shadow's failure is never the caller's
            log.warning("a shadow of route '%s' on %s failed: %s", job.route_name, job.spec.model, err)

    async def _run(self, job: ShadowJob) -> None:
        from console.core.shadow.call import call_shadow

        db = getattr(self.recorder, "db", None)
        bar = await self._bar(job)
        if bar is None:
            return
        route_name, spec = job.route_name, job.spec
        if self.caps.needs_seed(route_name):
            self.caps.seed(route_name, await asyncio.to_thread(_logged_today, db, route_name, self.caps.day_start()))
        sheet = job.prices.get(spec.model, PriceSheet(0.0, 0.0, 0.0, 0.0))
        most = cost_usd(sheet, input_tokens=job.request.estimated_prompt_tokens, output_tokens=job.route.max_output_tokens)
        day = self.caps.day_start()
        if not self.caps.reserve(route_name, most, spec.max_usd_per_day):
            self.skipped_cap += 1
            return
        team = job.request.metadata.get("team")
        model = job.policy.models.get(spec.model)
        provider = model.provider if model is not None else ""
        spent_budget = _spent_budget(self.book, job.policy, task=route_name, team=team, provider=provider, model=spec.model)
        if spent_budget is not None:  # a budget that stops production calls stops shadows first
            self.caps.settle(route_name, most, 0.0, day)
            self.skipped_budget += 1
            log.info("route '%s' is not shadowed: budget '%s' is spent", route_name, spent_budget)
            return
        held = self.book.reserve(job.policy, most, task=route_name, team=team,
                                 provider=provider, model=spec.model)
        spent = 0.0
        try:
            started = datetime.now(timezone.utc)
            attempt, text = await call_shadow(job, started)
            spent = attempt.cost_usd
        finally:
            self.caps.settle(route_name, most, spent, day)
            self.book.settle(held, spent)  # the budgets count it as they count a production attempt
        record = RequestRecord(
            request_id=new_request_id(), started_at=started, policy_name=job.policy_name, policy_hash=job.policy_hash,
            task=route_name, task_reason=f"shadow of {job.production.request_id}", outcome=attempt.outcome,
            metadata={**job.request.metadata, "shadow_of": job.production.request_id},
            answered_by=spec.model if attempt.outcome is Outcome.OK else None, total_cost_usd=attempt.cost_usd,
            total_latency_ms=attempt.latency_ms, streamed=True, kind="shadow", attempts=[attempt])
        durable = self.recorder.record(record)
        if durable is not None:
            await asyncio.wrap_future(durable)
        if db is not None:
            from console.core.shadow.store import save_case

            case = _case(job, record, text, bar.judge is not None)
            await asyncio.to_thread(save_case, db, case)

    async def _bar(self, job: ShadowJob) -> "QualityBar | None":
        path = bar_path(job.policy_path, job.spec.bar).resolve()
        if path not in self._bars:
            from console.core.pilot.bar import BarError, load_bar

            try:
                self._bars[path] = await asyncio.to_thread(load_bar, path)
            except BarError as err:
                log.warning("route '%s' is not shadowed: %s", job.route_name, err)
                self._bars[path] = None
        return self._bars[path]


def _spent_budget(book: "BudgetBook", policy: "Policy", *, task: str, team: str | None, provider: str,
                  model: str) -> str | None:
    """The first budget covering the shadow call that is spent and would block or divert it, if any."""
    from console.core.budget.scope import scope_covers

    spend = book.snapshot(policy)
    for budget in policy.budgets:
        if budget.action == "warn" or not scope_covers(budget.scope, task=task, team=team, provider=provider, model=model):
            continue
        if spend.get(budget.name, 0.0) >= budget.limit_usd:
            return budget.name
    return None


def _logged_today(db: object, route: str, day_start: float) -> float:
    if db is None:
        return 0.0
    from console.core.shadow.store import spent_today_usd

    return spent_today_usd(db, route, day_start=day_start, now=time.time() + 1)  # type: ignore[arg-type]


def _case(job: ShadowJob, record: RequestRecord, text: str, keep_prompt: bool) -> "ShadowCase":
    from console.core.shadow.store import CollectedAnswer, ShadowCase

    production = job.production
    attempt = record.attempts[0]
    answered = [a for a in production.attempts if a.outcome is Outcome.OK]
    tokens_in = answered[-1].input_tokens if answered else 0
    tokens_out = answered[-1].output_tokens if answered else 0
    return ShadowCase(
        route=job.route_name, position=int(time.time() * 1000), prompt=job.request.text if keep_prompt else None,
        model=job.spec.model,
        production=CollectedAnswer(production.text, tokens_in, tokens_out, production.total_cost_usd, production.request_id,
                                   latency_ms=round(production.latency_ms, 3)),
        shadow=CollectedAnswer(text, attempt.input_tokens, attempt.output_tokens, attempt.cost_usd, record.request_id,
                               attempt.outcome.value, round(attempt.latency_ms, 3)))
