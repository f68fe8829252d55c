"""Engine: the one facade the CLI, the window and the local endpoint route through.

    engine = Engine(policy, policy_path=None, recorder=None, key_store=None, providers=None)
    Engine.from_file(path, **kwargs)          # raises PolicyLoadError with located diagnostics
    engine.explain(request) -> Plan           # pure; no model is called
    await engine.classify(request) -> Classified
    await engine.route(request) -> RouteResult       # never raises for provider failures
    engine.route_stream(request) -> AsyncIterator[RouteEvent]   # Started/Delta/Discarded..., RouteResult last
    route/route_stream(..., task=NAME, prefer=ALIAS)   # route as a task; try ALIAS first (local endpoint)
    engine.set_policy(policy, path=None)      # swap for new requests
    await engine.aclose()

What the charts show is what happened: every routed request, answered or not, is handed to the
recorder with its full attempt chain, and ``route`` returns only once the recorder says it is durable.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Mapping

from console.core.budget.reservations import BudgetBook, LocalBudgetBook, Reservation
from console.core.budget.tracker import BudgetTracker, SpendFeed
from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.pricing import PriceSheet
from console.core.providers.base import ChatProvider
from console.core.providers.pool import ProviderPool
from console.core.records import MemoryRecorder, Recorder, new_request_id
from console.core.request import Request
from console.core.routing.classify import classify_by_rules
from console.core.routing.classify_model import classify_with_model
from console.core.routing.events import RouteEvent, RouteResult
from console.core.routing.execute import Binding, ChainRunner
from console.core.routing.health import HealthRegistry
from console.core.routing.plan import plan_route
from console.core.routing.prefer import prefer_model
from console.core.routing.recording import build_result, classifier_attempt, record_request
from console.core.rollout.shares import RolloutShares
from console.core.rollout.split import CANDIDATE, route_splits
from console.core.routing.types import Classified, Plan
from console.core.secrets import KeyStore
from console.core.shadow.sampling import in_sample

if TYPE_CHECKING:
    from console.core.shadow.cap import ShadowCaps
    from console.core.shadow.dispatch import ShadowDispatcher

log = logging.getLogger(__name__)

ProviderFactory = Callable[[str, object, "str | None"], ChatProvider]


#: Prompts longer than this (characters) are scanned on a worker thread, not the event loop.
OFFLOAD_CHARS = 256 * 1024


def _is_big(request: Request) -> bool:
    return sum(len(m.content) for m in request.messages) > OFFLOAD_CHARS


class Engine:
    """Routes requests by one policy.

    Attributes:
        policy: the policy new requests are routed by.
        policy_path: the file it came from, if any.
        policy_hash: content hash of the canonical policy, stored with every logged request.
        health: circuit breakers and latency windows per model alias.
        budgets: spend against each budget in its current period.
        recorder: where finished requests go (the ledger writer, or memory).
        store_prompts: whether prompt text is logged (off unless the user opts in).
    """

    def __init__(
        self,
        policy: Policy,
        *,
        policy_path: str | Path | None = None,
        recorder: Recorder | None = None,
        key_store: KeyStore | None = None,
        provider_factory: ProviderFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        spend_seed: Mapping[str, float] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        store_prompts: bool = False,
        spend_feed: SpendFeed | None = None,
        providers: ProviderPool | None = None,
        ttft_seed: Mapping[str, "list[float] | tuple[float, ...]"] | None = None,
        rollout_shares: RolloutShares | None = None,
        shadow_caps: "ShadowCaps | None" = None,
        budget_book: BudgetBook | None = None,
    ) -> None:
        """``providers``: the process's pool (a Workspace's); without one the engine keeps its own.

        ``ttft_seed``: times to first token per model alias measured before (the routing log's,
        oldest first), so each model's first-token deadline fits it from the first request.

        ``rollout_shares``: where routes in staged rollout stand (a Workspace's, read from the log);
        without it every request stays on the route as written (share 0).
        ``budget_book``: where spend is read, reserved and settled; a team gateway passes a shared
        one (``budget.reservations.SharedBudgetBook``), a desk keeps spend in this process."""
        self.rollout_shares = rollout_shares if rollout_shares is not None else RolloutShares()
        self.recorder: Recorder = recorder if recorder is not None else MemoryRecorder()
        self._owns_pool = providers is None
        self.pool = providers if providers is not None else ProviderPool(key_store, factory=provider_factory)
        self._clock = clock
        self._sleep = sleep
        self.store_prompts = store_prompts  # prompt text goes to the log only when the user opted in
        self._providers: dict[str, ChatProvider] = {}
        self._retired: list[ChatProvider] = []
        self._bindings: dict[str, Binding] = {}
        self._rng = rng if rng is not None else random.Random()  # backoff jitter; tests pass a seeded one
        self._spend_seed = spend_seed
        self._spend_feed = spend_feed if spend_feed is not None else SpendFeed()  # shared in a workspace
        self._shadow_caps = shadow_caps  # shared in a workspace, like the spend feed
        self._shadows: "ShadowDispatcher | None" = None  # made when a shadowed route first answers
        self.book: BudgetBook = budget_book or LocalBudgetBook(lambda: self.budgets, self._spend_feed)
        self.set_policy(policy, policy_path)
        if ttft_seed:
            self.health.seed_ttft(ttft_seed)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: object) -> "Engine":
        from console.core.policy.loader import load_policy_or_raise

        policy = load_policy_or_raise(path)
        return cls(policy, policy_path=path, **kwargs)  # type: ignore[arg-type]

    # --- policy ---------------------------------------------------------------------------

    def set_policy(self, policy: Policy, path: str | Path | None = None) -> None:
        """Route new requests by ``policy``; requests in flight finish on the old one."""
        from console.core.policy.prices import effective_prices
        from console.core.policy.save import policy_hash

        old = getattr(self, "policy", None)
        self.policy = policy
        self.policy_path = Path(path) if path is not None else None
        self.policy_hash = policy_hash(policy)
        self._splits = route_splits(policy)  # routes in staged rollout (rollout/split.py)
        self.prices: dict[str, PriceSheet] = {
            alias: PriceSheet.from_prices(effective_prices(policy, alias)) for alias in policy.models
        }
        if old is None or old.circuit != policy.circuit:  # new breakers; what was measured stays
            kept: HealthRegistry | None = getattr(self, "health", None)
            self.health: HealthRegistry = HealthRegistry(
                policy.circuit, self._clock, kept.latency_windows if kept is not None else None)
            self.health.on_opened = kept.on_opened if kept is not None else None  # a gateway's signal stays
        self._bindings = {}
        seed = self.budgets.snapshot() if old is not None else self._spend_seed
        if old is not None:
            self._spend_feed.unsubscribe(self.budgets)
        self.budgets: BudgetTracker = BudgetTracker(policy, seed=seed)
        self._spend_feed.subscribe(self.budgets)
        if old is not None:
            self._swap_providers(old, policy)

    def _swap_providers(self, old: Policy, new: Policy) -> None:
        """Keep providers whose settings did not change; retire the others (released in aclose)."""
        kept: dict[str, ChatProvider] = {}
        for name, provider in self._providers.items():
            if old.providers.get(name) == new.providers.get(name):
                kept[name] = provider
                configure = getattr(provider, "configure", None)  # local GGUF: context, layers, threads
                if configure is not None:
                    for model in new.models.values():
                        if model.provider == name:
                            configure(model)
            else:
                self._retired.append(provider)
        self._providers = kept

    # --- deciding -------------------------------------------------------------------------

    def explain(
        self, request: Request, *, task: str | None = None, missing_keys: Mapping[str, str] | None = None
    ) -> Plan:
        """The plan for ``request`` by rules classification; no model is called.

        ``missing_keys`` (``console.core.key_presence.missing_keys``, read off the caller's GUI
        thread) drops the models whose provider has no key, with the reason.
        """
        return plan_route(
            request,
            self.policy,
            health=self.health.snapshot(),
            spend=self.book.snapshot(self.policy),
            prices=self.prices,
            task=task,
            missing_keys=missing_keys,
        )

    async def classify(self, request: Request) -> Classified:
        """The task, by a model when the policy classifies by model, else by rules."""
        cls = self.policy.classification
        if cls.method == "model" and cls.model is not None and not (
            request.task_hint and cls.honour_task_hint and request.task_hint in self.policy.tasks
        ):
            return await classify_with_model(request, self.policy, self._bind, fallback=classify_by_rules)
        if _is_big(request):  # rules scan the whole prompt: a big one would hold the loop (an endpoint's clients)
            return await asyncio.to_thread(classify_by_rules, request, self.policy)
        return classify_by_rules(request, self.policy)

    def _plan(self, request: Request, classified: Classified, policy: Policy | None = None) -> Plan:
        return plan_route(
            request,
            policy or self.policy,
            health=self.health.snapshot(),
            spend=self.book.snapshot(self.policy),
            prices=self.prices,
            classified=classified,
        )

    # --- routing --------------------------------------------------------------------------

    async def route(
        self, request: Request, *, task: str | None = None, kind: str = "production", prefer: str | None = None
    ) -> RouteResult:
        """Route one request to an answer or a clear error; the chain of attempts either way.

        ``prefer`` names a model alias to try first, the route's other candidates after it.
        """
        result: RouteResult | None = None
        async for event in self._route_events(request, stream=False, task=task, kind=kind, prefer=prefer):
            if isinstance(event, RouteResult):
                result = event
        assert result is not None
        return result

    def route_stream(
        self,
        request: Request,
        *,
        task: str | None = None,
        kind: str = "production",
        prefer: str | None = None,
        stop_after_discard: bool = False,
        continue_streamed: bool = False,
    ) -> AsyncIterator[RouteEvent]:
        """Stream the answer: Started / Delta / Discarded / Interrupted events, then the RouteResult.

        ``stop_after_discard``: a caller that cannot take back text it already passed on (an HTTP
        stream) ends the request with the failed attempt's outcome instead of restarting it.
        ``continue_streamed``: an answer that breaks off after text was sent is continued by the
        next candidate that takes an assistant prefill (Interrupted, then only the new text).
        """
        return self._route_events(
            request, stream=True, task=task, kind=kind, prefer=prefer, stop_after_discard=stop_after_discard,
            continue_streamed=continue_streamed,
        )

    async def _route_events(
        self,
        request: Request,
        *,
        stream: bool,
        task: str | None,
        kind: str,
        prefer: str | None = None,
        stop_after_discard: bool = False,
        continue_streamed: bool = False,
    ) -> AsyncIterator[RouteEvent]:
        started_wall = time.time()
        t0 = time.perf_counter()
        # Everything this request uses is taken now: a policy swapped mid-request (hot reload) applies
        # to new requests only, so this one never binds or prices by a policy it was not planned with.
        policy, policy_hash, prices, bind = self.policy, self.policy_hash, self.prices, self._binder()
        splits = self._splits
        if _is_big(request):  # the token estimate scans the prompt too: computed (and cached) off the loop
            await asyncio.to_thread(lambda: request.estimated_prompt_tokens)
        if task is not None:
            classified = Classified(task=task, reason=f"task '{task}' chosen by the caller")
        else:
            classified = await self.classify(request)
        split = splits.get(classified.task) if splits else None
        request_id = arm = None
        if split is not None:  # a route in staged rollout: this request's arm, by its sticky key
            request_id = new_request_id()
            arm = split.arm(request, request_id, self.rollout_shares.share(policy.name, split.route))
            if arm == CANDIDATE:
                policy = split.policy  # B in A's place, for the plan and any re-plan (escalation)
        plan = self._plan(request, classified, policy)
        if prefer is not None:
            plan = prefer_model(plan, prefer)
        book, team = self.book, request.metadata.get("team")
        runner = ChainRunner(
            request,
            plan,
            policy,
            bind,
            self.health,
            lambda req, target: plan_route(
                req, policy, health=self.health.snapshot(), spend=book.snapshot(policy), prices=prices, task=target
            ),
            sleep=self._sleep,
            rng=self._rng,
            clock=self._clock,
            stream_text=stream,
            stop_after_discard=stop_after_discard,
            continue_streamed=continue_streamed,
            reserve=lambda binding, task_name, estimate: book.reserve(
                policy, estimate, task=task_name, team=team, provider=binding.provider_name, model=binding.alias),
        )
        outcome_override: Outcome | None = None
        try:
            async for event in runner.events():
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            outcome_override = Outcome.CANCELLED
            raise
        finally:
            elapsed_ms = (time.perf_counter() - t0) * 1000
            result = build_result(
                runner,
                plan,
                prices,
                elapsed_ms,
                cancelled=outcome_override is Outcome.CANCELLED,
                now_loop=asyncio.get_running_loop().time(),
            )
            if split is not None:
                result.request_id, result.arm = request_id or result.request_id, arm
            if classified.call is not None:  # the classifier model's call is billed too: counted and logged
                result.classifier = classifier_attempt(classified.call, prices)
                result.total_cost_usd = round(result.total_cost_usd + result.classifier.cost_usd, 12)
                book.add(policy, result.classifier.cost_usd, task=classified.task, team=team,
                         provider=result.classifier.provider, model=result.classifier.model_alias)
            self._settle(book, policy, runner, result.attempts, team)
            durable = self._record(request, result, policy.name, policy_hash, classified, started_wall, stream, kind)
        if durable is not None:
            try:
                if durable.done():  # staged already: no trip through the loop
                    durable.result()
                else:
                    await asyncio.wrap_future(durable)
            except Exception as err:  # noqa: BLE001 - the answer stands; the log's failure is reported, not raised
                log.error("the routing log could not record request %s: %s", result.request_id, err)
        route = policy.routes.get(result.plan.task)
        # The candidate arm of a staged rollout is not shadowed: its answer is not the baseline, and
        # its model is usually the one being shadowed.
        if route is not None and route.shadow is not None and kind == "production" and arm != CANDIDATE:
            self._consider_shadow(request, result, route, policy, policy_hash, prices, bind)
        yield result

    def _consider_shadow(self, request: Request, result: RouteResult, route: Any, *snapshot: Any) -> None:
        """Maybe send a copy to the route's shadow model, in the background (``console/core/shadow``)."""
        if result.outcome is not Outcome.OK or not in_sample(result.request_id, route.shadow.sample):
            return  # most requests stop here: the decision costs a hash (bench_shadow)
        if self._shadows is None:
            from console.core.shadow.dispatch import ShadowDispatcher

            self._shadows = ShadowDispatcher(self.recorder, self.book, self._shadow_caps)
        from console.core.shadow.dispatch import ShadowJob

        policy, policy_hash, prices, bind = snapshot
        task, path = result.plan.task, self.policy_path
        self._shadows.consider(
            lambda: ShadowJob(task, route, route.shadow, request, result, policy, policy.name, policy_hash, path, prices,
                              bind),
            task, route.shadow, result)

    def share_spend(self, book: BudgetBook, shadow_caps: "ShadowCaps") -> None:
        """Spend budgets and shadow caps through shared ones (a team gateway's store, so that every
        instance spends one budget and one daily shadow cap); shadows already running keep theirs."""
        self.book, self._shadow_caps = book, shadow_caps
        if self._shadows is not None:
            self._shadows.book, self._shadows.caps = book, shadow_caps

    @property
    def shadows(self) -> "ShadowDispatcher | None":
        """The background shadow calls of this engine (None until a shadowed route first answers)."""
        return self._shadows

    @staticmethod
    def _settle(book: BudgetBook, policy: Policy, runner: ChainRunner, attempts: "list[Any]", team: str | None) -> None:
        """Replace each attempt's reservation by its real cost (this engine's budgets and, in a
        workspace, its other engines'; on a team gateway, every instance's)."""
        held = runner.reservations
        for index, (tried, attempt) in enumerate(zip(runner.tried, attempts)):
            reservation = held[index] if index < len(held) else None
            if isinstance(reservation, Reservation):
                book.settle(reservation, attempt.cost_usd)
            else:  # no call was made (no key, no provider): nothing was held, nothing is likely owed
                book.add(policy, attempt.cost_usd, task=tried.task, team=team,
                         provider=tried.binding.provider_name, model=tried.binding.alias)
        for reservation in held[len(runner.tried):]:  # a call cancelled in flight: its hold goes
            if isinstance(reservation, Reservation):
                book.settle(reservation, 0.0)

    def _record(self, request: Request, result: RouteResult, *args: Any) -> "Future[None] | None":
        try:
            return record_request(
                self.recorder, request, result, *args, prompt_text=request.text if self.store_prompts else None
            )
        except Exception as err:  # noqa: BLE001 - e.g. the writer was closed under us during shutdown
            log.error("the routing log could not take request %s: %s", result.request_id, err)
            return None

    def _binder(self) -> Callable[[str], Binding]:
        """Bind aliases by the policy in force now, even if it is replaced while the request runs."""
        from console.core.routing.binding import bind_model

        policy, path, providers, bindings = self.policy, self.policy_path, self._providers, self._bindings

        def bind(alias: str) -> Binding:
            found = bindings.get(alias)  # cached while the policy stands (a missing key is looked up again)
            if found is None:
                found = bind_model(alias, policy, providers, self.pool, path)
                if found.provider is not None:
                    bindings[alias] = found
            return found

        return bind

    def _bind(self, alias: str) -> Binding:
        return self._binder()(alias)

    async def aclose(self) -> None:
        """Give back this engine's providers; an engine with a pool of its own closes it (and its models)."""
        if self._shadows is not None:  # shadows in flight get a short grace, then are cancelled
            await self._shadows.aclose()
        providers = list(self._providers.values()) + list(self._retired)
        self._providers, self._retired = {}, []
        for provider in providers:
            await self.pool.release(provider)
        if self._owns_pool:
            await self.pool.aclose()
