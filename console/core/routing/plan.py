"""``plan_route``: the pure decision from (request, policy, health, spend) to an explained plan.

Same inputs, same plan: the window can explain a decision without calling anyone, and replay can
run a whole log through a draft policy. Every candidate of the task's route appears in the plan,
kept or dropped with every reason that applies; budget fallbacks are appended after the route's
own candidates and marked with the budget that brought them in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from console.core.budget.scope import scope_covers
from console.core.policy.schema import Model, Policy, Route
from console.core.pricing import PriceSheet, cost_usd
from console.core.request import Request
from console.core.routing.capabilities import capability_reasons
from console.core.routing.classify import classify_by_rules
from console.core.routing.deadlines import first_token_deadline
from console.core.routing.health import MIN_LATENCY_SAMPLES, CircuitState, HealthSnapshot, ModelHealth
from console.core.routing.types import CONTEXT_TOO_SMALL, CandidateDecision, Classified, Plan

_HEALTHY = ModelHealth()


class _Planner:
    """One planning pass; holds the per-request facts the checks share."""

    def __init__(
        self,
        request: Request,
        policy: Policy,
        route: Route,
        task: str,
        health: HealthSnapshot,
        spend: Mapping[str, float],
        prices: Mapping[str, PriceSheet],
        missing_keys: Mapping[str, str],
    ) -> None:
        self.request = request
        self.policy = policy
        self.route = route
        self.task = task
        self.health = health
        self.spend = spend
        self.prices = prices
        self.missing_keys = missing_keys
        self.team = request.metadata.get("team")
        self.input_tokens = request.estimated_prompt_tokens
        self.output_tokens = request.max_tokens or route.max_output_tokens
        region = request.region
        self.residency = policy.allowed_regions_for(region) if region else None
        self.warnings: list[str] = []
        self.blocked_by: str | None = None
        self.budget_fallbacks: list[tuple[str, str]] = []  # (model alias, budget name)

    def estimate(self, alias: str) -> float:
        sheet = self.prices.get(alias) or PriceSheet.from_prices(self.policy.models[alias].prices)
        return cost_usd(sheet, input_tokens=self.input_tokens, output_tokens=self.output_tokens)

    def reasons_to_drop(self, alias: str, model: Model, cost: float) -> list[str]:
        route, reasons = self.route, []
        if model.provider in self.missing_keys:
            reasons.append(f"no key for provider '{model.provider}' ({self.missing_keys[model.provider]})")
        if self.residency is not None and model.region not in self.residency:
            reasons.append(
                f"region {model.region} not allowed for {self.request.region} data (allowed: {', '.join(self.residency)})"
            )
        if route.regions is not None and model.region not in route.regions:
            reasons.append(f"region {model.region} not in the route's regions ({', '.join(route.regions)})")
        if route.on_prem_only and model.region != "on-prem":
            reasons.append(f"route is on-prem only; model is in {model.region}")
        missing = [t for t in route.require_tags if t not in model.tags]
        if missing:
            reasons.append(f"missing required tags: {', '.join(missing)}")
        needed = self.input_tokens + self.output_tokens
        if needed > model.context_window:
            reasons.append(f"{CONTEXT_TOO_SMALL}: needs ~{needed} tokens, model has {model.context_window}")
        if route.max_cost_usd is not None and cost > route.max_cost_usd:
            reasons.append(f"estimated cost ${cost:.6f} over the ceiling ${route.max_cost_usd:.6f}")
        health = self.health.get(alias, _HEALTHY)
        if health.circuit is CircuitState.OPEN:
            reasons.append(f"circuit open (retry in {health.reopens_in_s:.0f}s)")
        if health.samples >= MIN_LATENCY_SAMPLES:
            want, have = route.latency.p95_ms, health.p95_ms
            if want is not None and have is not None and have > want:
                reasons.append(f"p95 latency {have:.0f} ms over the requirement {want:.0f} ms")
            want, have = route.latency.ttft_ms, health.ttft_p95_ms
            if want is not None and have is not None and have > want:
                reasons.append(f"p95 time to first token {have:.0f} ms over the requirement {want:.0f} ms")
        reasons.extend(capability_reasons(self.request, self.policy, model))
        reasons.extend(self._budget_reasons(alias, model))
        return reasons

    def _budget_reasons(self, alias: str, model: Model) -> list[str]:
        reasons = []
        for budget in self.policy.budgets:
            if not scope_covers(budget.scope, task=self.task, team=self.team, provider=model.provider, model=alias):
                continue
            spent = self.spend.get(budget.name, 0.0)
            if spent < budget.limit_usd:
                continue
            told = f"budget '{budget.name}' reached: ${spent:.2f} of ${budget.limit_usd:.2f} this {budget.period}"
            if budget.action == "warn":
                if told not in self.warnings:
                    self.warnings.append(told)
                continue
            reasons.append(told)
            if budget.action == "block":
                self.blocked_by = self.blocked_by or budget.name
            elif budget.fallback_model:
                self.budget_fallbacks.append((budget.fallback_model, budget.name))
        return reasons

    def run(self) -> list[CandidateDecision]:
        decisions: list[CandidateDecision] = []
        seen: set[str] = set()
        queue: list[tuple[str, str | None]] = [(alias, None) for alias in self.route.candidates]
        while queue:
            alias, via = queue.pop(0)
            if alias in seen:
                continue
            seen.add(alias)
            model = self.policy.models.get(alias)
            if model is None:
                decisions.append(CandidateDecision(alias, False, "model not in this policy", 0.0, len(decisions), via))
                continue
            cost = self.estimate(alias)
            before = len(self.budget_fallbacks)
            reasons = self.reasons_to_drop(alias, model, cost)
            kept = not reasons
            reason = "; ".join(reasons) if reasons else self._kept_reason(via)
            deadline = first_token_deadline(self.policy, self.route, self.health.get(alias, _HEALTHY))
            decisions.append(CandidateDecision(
                alias, kept, reason, cost, len(decisions), via, deadline.seconds, deadline.source))
            queue.extend(self.budget_fallbacks[before:])
        if self.blocked_by:  # a block stops the whole request, whatever else survived
            decisions = [
                d if not d.kept else replace(d, kept=False, reason=f"request blocked by budget '{self.blocked_by}'")
                for d in decisions
            ]
        return decisions

    @staticmethod
    def _kept_reason(via: str | None) -> str:
        return f"fallback for budget '{via}'" if via else "passes every check"


def plan_route(
    request: Request,
    policy: Policy,
    *,
    health: HealthSnapshot | None = None,
    spend: Mapping[str, float] | None = None,
    prices: Mapping[str, PriceSheet] | None = None,
    classified: Classified | None = None,
    task: str | None = None,
    missing_keys: Mapping[str, str] | None = None,
) -> Plan:
    """Classify (unless ``classified`` or ``task`` is given) and plan the request. Pure.

    ``missing_keys`` (provider name → why, from ``console.core.key_presence``) drops the models
    of providers whose key cannot be had: they would only fail with ``auth``.
    """
    if classified is None:
        classified = (
            Classified(task=task, reason=f"task '{task}' chosen by the caller") if task else classify_by_rules(request, policy)
        )
    route = policy.routes.get(classified.task)
    if route is None:
        return Plan(
            task=classified.task,
            task_reason=classified.reason,
            candidates=(),
            estimated_input_tokens=request.estimated_prompt_tokens,
            max_output_tokens=request.max_tokens or 0,
            warnings=(f"no route for task '{classified.task}'",),
        )
    planner = _Planner(
        request, policy, route, classified.task, health or {}, spend or {}, prices or {}, missing_keys or {}
    )
    decisions = planner.run()
    router_note = None
    if route.router is not None and not planner.blocked_by:
        from console.core.learned_router.in_plan import order_by_router

        decisions, router_note, router_warning = order_by_router(decisions, route.router, request.text, policy)
        if router_warning:
            planner.warnings.append(router_warning)
    return Plan(
        task=classified.task,
        task_reason=classified.reason,
        candidates=tuple(decisions),
        estimated_input_tokens=planner.input_tokens,
        max_output_tokens=planner.output_tokens,
        warnings=tuple(planner.warnings),
        blocked_by=planner.blocked_by,
        router_note=router_note,
    )
