"""Engine: the one facade the CLI, the window and the local endpoint route through.

    engine = Engine(policy, policy_path=None, recorder=None, key_store=None)
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
import random
import time
from pathlib import Path
from typing import AsyncIterator, Callable, Mapping

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.pricing import PriceSheet
from console.core.providers.base import ChatProvider
from console.core.records import MemoryRecorder, Recorder
from console.core.request import Request
from console.core.routing.budgets import BudgetTracker
from console.core.routing.classify import classify_by_rules
from console.core.routing.classify_model import classify_with_model
from console.core.routing.events import RouteEvent, RouteResult
from console.core.routing.execute import Binding, ChainRunner
from console.core.routing.health import HealthRegistry
from console.core.routing.plan import plan_route
from console.core.routing.prefer import prefer_model
from console.core.routing.recording import build_result, record_request
from console.core.routing.types import Classified, Plan
from console.core.secrets import KeyStore

ProviderFactory = Callable[[str, object, "str | None"], ChatProvider]


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
        sleep: Callable[[float], object] = asyncio.sleep,
        store_prompts: bool = False,
    ) -> None:
        self.recorder: Recorder = recorder if recorder is not None else MemoryRecorder()
        self._key_store = key_store
        self._provider_factory = provider_factory
        self._clock = clock
        self._sleep = sleep
        self.store_prompts = store_prompts  # prompt text goes to the log only when the user opted in
        self._providers: dict[str, ChatProvider] = {}
        self._retired: list[ChatProvider] = []
        self._bindings: dict[str, Binding] = {}
        self._rng = random.Random()
        self._spend_seed = spend_seed
        self.set_policy(policy, policy_path)

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
        self.prices: dict[str, PriceSheet] = {
            alias: PriceSheet.from_prices(effective_prices(policy, alias)) for alias in policy.models
        }
        if old is None or old.circuit != policy.circuit:
            self.health = HealthRegistry(policy.circuit, self._clock)
        self._bindings = {}
        seed = self.budgets.snapshot() if old is not None else self._spend_seed
        self.budgets = BudgetTracker(policy, seed=seed)
        if old is not None and old.providers != policy.providers:
            # Requests in flight may still hold these; they are closed in aclose().
            self._retired.extend(self._providers.values())
            self._providers = {}

    # --- deciding -------------------------------------------------------------------------

    def explain(self, request: Request, *, task: str | None = None) -> Plan:
        """The plan for ``request`` by rules classification; no model is called."""
        return plan_route(
            request, self.policy, health=self.health.snapshot(), spend=self.budgets.snapshot(), prices=self.prices, task=task
        )

    async def classify(self, request: Request) -> Classified:
        """The task, by a model when the policy classifies by model, else by rules."""
        cls = self.policy.classification
        if cls.method == "model" and cls.model is not None and not (
            request.task_hint and cls.honour_task_hint and request.task_hint in self.policy.tasks
        ):
            return await classify_with_model(request, self.policy, self._bind, fallback=classify_by_rules)
        return classify_by_rules(request, self.policy)

    def _plan(self, request: Request, classified: Classified) -> Plan:
        return plan_route(
            request,
            self.policy,
            health=self.health.snapshot(),
            spend=self.budgets.snapshot(),
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
        self, request: Request, *, task: str | None = None, kind: str = "production", prefer: str | None = None
    ) -> AsyncIterator[RouteEvent]:
        """Stream the answer: Started / Delta / Discarded events, then the RouteResult."""
        return self._route_events(request, stream=True, task=task, kind=kind, prefer=prefer)

    async def _route_events(
        self, request: Request, *, stream: bool, task: str | None, kind: str, prefer: str | None = None
    ) -> AsyncIterator[RouteEvent]:
        started_wall = time.time()
        t0 = time.perf_counter()
        policy, policy_hash = self.policy, self.policy_hash
        if task is not None:
            classified = Classified(task=task, reason=f"task '{task}' chosen by the caller")
        else:
            classified = await self.classify(request)
        plan = self._plan(request, classified)
        if prefer is not None:
            plan = prefer_model(plan, prefer)
        runner = ChainRunner(
            request,
            plan,
            policy,
            self._bind,
            self.health,
            lambda req, target: plan_route(
                req, policy, health=self.health.snapshot(), spend=self.budgets.snapshot(), prices=self.prices, task=target
            ),
            sleep=self._sleep,  # type: ignore[arg-type]
            rng=self._rng,
            stream_text=stream,
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
                self.prices,
                elapsed_ms,
                cancelled=outcome_override is Outcome.CANCELLED,
                now_loop=asyncio.get_running_loop().time(),
            )
            for tried, attempt in zip(runner.tried, result.attempts):
                self.budgets.add(
                    attempt.cost_usd,
                    task=tried.task,
                    team=request.metadata.get("team"),
                    provider=tried.binding.provider_name,
                    model=tried.binding.alias,
                )
            durable = record_request(
                self.recorder, request, result, policy.name, policy_hash, classified, started_wall, stream, kind,
                prompt_text=request.text if self.store_prompts else None,
            )
        if durable is not None:
            await asyncio.wrap_future(durable)
        yield result

    def _bind(self, alias: str) -> Binding:
        """The alias's binding, cached while the policy stands (a missing key is looked up again)."""
        found = self._bindings.get(alias)
        if found is None:
            from console.core.routing.binding import bind_model

            found = bind_model(alias, self.policy, self._providers, self._key_store, self._provider_factory, self.policy_path)
            if found.provider is not None:
                self._bindings[alias] = found
        return found

    async def aclose(self) -> None:
        """Close provider connections and unload local models."""
        providers = list(self._providers.values()) + list(self._retired)
        self._providers, self._retired = {}, []
        for provider in providers:
            await provider.aclose()
