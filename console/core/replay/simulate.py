"""Classify, plan and spend: the draft's decision for every logged request, in time order.

Requests with identical plan inputs (task, region, the team when a budget looks at it, the
prompt's token bucket, which budgets have run out) get one ``plan_route`` call between them, so a
million requests need a few hundred plans. Budgets are spent cumulatively with the draft's limits in
time order: the only per-request loop, a few dictionary operations each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import numpy as np

from console.core.budget.period import period_key
from console.core.budget.scope import scope_covers
from console.core.policy.prices import effective_prices
from console.core.policy.schema import Policy
from console.core.pricing import PER_TOKEN, PriceSheet
from console.core.replay.buckets import breakpoints, bucket_of, representative
from console.core.replay.classify import HINT_PREFIX, classify_all, factorize, unique_inverse
from console.core.replay.traffic import LoggedTraffic
from console.core.request import Request
from console.core.routing.plan import plan_route
from console.core.routing.types import Classified, Plan

Progress = Callable[[str, float], object]  # (stage, fraction done); returning False cancels


class ReplayCancelled(Exception):
    """The caller's progress callback asked to stop."""


@dataclass
class Simulation:
    """The draft's decision per request (index as in ``LoggedTraffic``) and the plans behind them."""

    task: list[str]
    first: list[str | None]  # None: the draft blocks the request
    plan_of: np.ndarray  # index into ``plans``
    plans: list[Plan]
    projected: np.ndarray  # dollars
    estimated_output: np.ndarray  # bool: output tokens taken from the request's logged answer
    kept_logged_task: int
    prices: dict[str, PriceSheet]
    history_output: dict[tuple[str, str], tuple[float, float]]  # (task, model) → mean output, reasoning
    runs_out: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # budget → (period, ts) it ran out


def draft_prices(policy: Policy) -> dict[str, PriceSheet]:
    return {alias: PriceSheet.from_prices(effective_prices(policy, alias)) for alias in policy.models}


def _price(sheet: PriceSheet, inp: np.ndarray, cached: np.ndarray, out: np.ndarray, reas: np.ndarray) -> np.ndarray:
    """``pricing.cost_usd`` over arrays (same formula, same rounding)."""
    cached = np.minimum(cached, inp)
    reas = np.minimum(reas, out)
    dollars = ((inp - cached) * sheet.input + cached * sheet.cached_input + (out - reas) * sheet.output
               + reas * sheet.reasoning) * PER_TOKEN
    rounded: np.ndarray = np.round(dollars, 12)
    return rounded


def _history_output(traffic: LoggedTraffic) -> dict[tuple[str, str], tuple[float, float]]:
    """Mean output and reasoning tokens of each model's successful answers per (logged) task."""
    ok = np.flatnonzero(traffic.att_ok == 1)
    if not len(ok):
        return {}
    task_codes, tasks = traffic.factorized("task")
    model_codes, models = traffic.factorized("att_model")
    pair = task_codes[traffic.att_req[ok]] * len(models) + model_codes[ok]
    size = len(tasks) * len(models)
    counts = np.bincount(pair, minlength=size)
    outs = np.bincount(pair, weights=traffic.att_out[ok], minlength=size)
    reas = np.bincount(pair, weights=traffic.att_reasoning[ok], minlength=size)
    return {(str(tasks[k // len(models)]), str(models[k % len(models)])): (outs[k] / counts[k], reas[k] / counts[k])
            for k in np.flatnonzero(counts).tolist()}


def _month_of(days: np.ndarray) -> np.ndarray:
    uniq, inverse = np.unique(days, return_inverse=True)
    months = np.array([(lambda d: d.year * 12 + d.month)(datetime.fromtimestamp(int(u) * 86400, tz=timezone.utc))
                       for u in uniq], dtype=np.int64)
    return months[inverse] if len(uniq) else np.zeros(0, dtype=np.int64)


def simulate(policy: Policy, traffic: LoggedTraffic, *, progress: Progress | None = None) -> Simulation:
    """Run ``traffic`` through ``policy`` (pure classify + plan, budgets spent in time order)."""
    def report(stage: str, fraction: float) -> None:
        if progress is not None and progress(stage, fraction) is False:
            raise ReplayCancelled("replay cancelled")

    n = len(traffic)
    prices = draft_prices(policy)
    points = breakpoints(policy, prices)
    buckets = bucket_of(points, traffic.prompt_tokens)
    report("classify", 0.0)
    reason_codes, reasons = traffic.factorized("task_reason")  # a few distinct reasons: test each once
    hinted = np.array([str(r).startswith(HINT_PREFIX) for r in reasons], dtype=bool)[reason_codes].tolist() if n else []
    tasks, kept_logged = classify_all(
        policy, tasks=traffic.task, hinted=hinted, prompts=traffic.prompt, meta_of=traffic.metadata,
        meta_columns={"team": traffic.team, "region": traffic.region, "customer": traffic.customer},
        tokens=traffic.prompt_tokens, buckets=buckets,
        factorized={name: traffic.factorized(name) for name in ("task", "team", "region")})
    report("plan", 0.3)
    budgets = policy.budgets
    by_team = any(b.scope.team is not None for b in budgets)
    task_codes, task_names = factorize(tasks, n)
    team_codes, teams = traffic.factorized("team") if by_team else (np.zeros(n, dtype=np.int64), [""])
    region_codes, regions = traffic.factorized("region")  # a tagged region always limits model regions
    width = int(points.size) + 1
    combined = ((task_codes * len(teams) + team_codes) * len(regions) + region_codes) * width + buckets
    key_codes, _first, key_index = unique_inverse(combined)

    plans: list[Plan] = []
    plan_ids: dict[tuple[int, tuple[bool, ...]], int] = {}

    def plan_for(key: int, flags: tuple[bool, ...]) -> int:
        known = plan_ids.get((key, flags))
        if known is not None:
            return known
        code = int(key_codes[key])
        bucket = code % width
        rest = code // width
        region, rest = regions[rest % len(regions)], rest // len(regions)
        team, task_code = teams[rest % len(teams)], rest // len(teams)
        meta = {k: str(v) for k, v in (("team", team), ("region", region)) if v}
        request = Request.from_prompt("", metadata=meta)
        request.__dict__["estimated_prompt_tokens"] = representative(points, bucket)  # cached_property slot
        task = str(task_names[task_code])
        spend = {b.name: (b.limit_usd if flag else 0.0) for b, flag in zip(budgets, flags)}
        plan = plan_route(request, policy, spend=spend, prices=prices,
                          classified=Classified(task=task, reason="replayed"))
        plan_ids[(key, flags)] = len(plans)
        plans.append(plan)
        return plan_ids[(key, flags)]

    history = _history_output(traffic)
    att_draft = _attempt_costs(traffic, prices)
    unchanged = np.bincount(traffic.att_req, weights=att_draft, minlength=n) if n else np.zeros(0)
    cost_if: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def costs_for(model: str) -> tuple[np.ndarray, np.ndarray]:
        if model not in cost_if:
            out = traffic.out_tokens.astype(np.float64)
            reas = traffic.reasoning_tokens.astype(np.float64)
            estimated = np.ones(n, dtype=bool)
            for code, task in enumerate(task_names):
                mean = history.get((str(task), model))
                if mean is not None:
                    rows = task_codes == code
                    out[rows], reas[rows], estimated[rows] = mean[0], mean[1], False
            cost_if[model] = (_price(prices[model], traffic.in_tokens, traffic.cached_tokens, out, reas), estimated)
        return cost_if[model]

    no_flags: tuple[bool, ...] = tuple(False for _ in budgets)
    if not budgets:
        plan_of = np.array([plan_for(k, no_flags) for k in range(len(key_codes))], dtype=np.int64)[key_index]
        runs_out: dict[str, list[tuple[str, float]]] = {}
    else:
        plan_of, runs_out = _spend_budgets(policy, traffic, tasks, key_index, plan_for, plans, att_draft, costs_for,
                                           report)
    if any(route.router is not None for route in policy.routes.values()):  # learned routers order per prompt
        from console.core.learned_router.replay import apply_routers

        plans, plan_of, _ = apply_routers(policy, tasks, traffic.prompt, plans, plan_of)
    report("price", 0.9)
    first: list[str | None] = [p.kept[0].model if p.kept else None for p in plans]
    firsts = [first[k] for k in plan_of.tolist()]
    projected = np.zeros(n, dtype=np.float64)
    estimated = np.zeros(n, dtype=bool)
    logged_first = np.array(traffic.first_model, dtype=object)
    chosen = np.array(firsts, dtype=object)
    same = chosen == logged_first
    projected[same] = unchanged[same]
    for model in {m for m in first if m is not None}:
        rows = (chosen == model) & ~same
        if rows.any():
            cost, est = costs_for(model)
            projected[rows], estimated[rows] = cost[rows], est[rows]
    return Simulation(tasks, firsts, plan_of, plans, projected, estimated, kept_logged, prices, history, runs_out)


def _attempt_costs(traffic: LoggedTraffic, prices: dict[str, PriceSheet]) -> np.ndarray:
    """Each logged attempt priced at the draft's prices (the logged cost for models the draft lacks)."""
    att_cost = traffic.att_cost.copy()
    model_codes, models = traffic.factorized("att_model")
    for code, model in enumerate(models):
        sheet = prices.get(str(model))
        if sheet is not None:
            rows = model_codes == code
            att_cost[rows] = _price(sheet, traffic.att_in[rows], traffic.att_cached[rows], traffic.att_out[rows],
                                    traffic.att_reasoning[rows])
    return att_cost


def _spend_budgets(policy: Policy, traffic: LoggedTraffic, tasks: list[str], key_index: np.ndarray,
                   plan_for: Callable[[int, tuple[bool, ...]], int], plans: list[Plan], att_draft: np.ndarray,
                   costs_for: Callable[[str], tuple[np.ndarray, np.ndarray]],
                   report: Callable[[str, float], None]) -> tuple[np.ndarray, dict[str, list[tuple[str, float]]]]:
    """Walk requests in time order, spending each budget with the draft's limits; the plan per request.

    A request's projected cost counts against a budget when the budget's scope covers the model the
    draft sends it to (each logged attempt's model, when the draft keeps the logged first choice).
    """
    budgets = policy.budgets
    n = len(traffic)
    months = _month_of(traffic.day)
    periods = [(traffic.day if b.period == "day" else months).tolist() for b in budgets]
    limits = [b.limit_usd for b in budgets]
    provider_of = {alias: m.provider for alias, m in policy.models.items()}
    teams = traffic.team
    # covered cost when the logged chain is kept: per budget, attempts whose model its scope covers
    n_att = len(traffic.att_req)
    task_codes, task_names = factorize(tasks, n)
    team_codes, team_names = traffic.factorized("team")
    model_codes, model_names = traffic.factorized("att_model")
    triple = (task_codes[traffic.att_req] * len(team_names) + team_codes[traffic.att_req]) * len(model_names) + model_codes
    uniq, inverse = np.unique(triple, return_inverse=True)
    covered_unchanged = []
    for budget in budgets:
        covers = np.array([scope_covers(budget.scope, task=str(task_names[u // len(model_names) // len(team_names)]),
                                        team=str(team_names[u // len(model_names) % len(team_names)]) or None,
                                        provider=provider_of.get(str(model_names[u % len(model_names)]), ""),
                                        model=str(model_names[u % len(model_names)])) for u in uniq.tolist()], dtype=bool)
        mask = covers[inverse.reshape(-1)] if n_att else np.zeros(0, dtype=bool)
        covered_unchanged.append(np.bincount(traffic.att_req, weights=att_draft * mask, minlength=n).tolist())
    spent = [0.0] * len(budgets)
    current = [None] * len(budgets)
    runs_out: dict[str, list[tuple[str, float]]] = {b.name: [] for b in budgets}
    plan_of = np.zeros(n, dtype=np.int64)
    keys = key_index.tolist()
    logged_first = traffic.first_model
    ts = traffic.ts.tolist()
    cost_lists: dict[str, list[float]] = {}
    cover_of_plan: dict[int, list[bool]] = {}
    step = max(n // 20, 1)
    for i in range(n):
        for b in range(len(budgets)):
            if periods[b][i] != current[b]:
                current[b], spent[b] = periods[b][i], 0.0
        flags = tuple(s >= lim for s, lim in zip(spent, limits))
        p = plan_for(keys[i], flags)
        plan_of[i] = p
        plan = plans[p]
        first = plan.kept[0].model if plan.kept else None
        if first is None:
            continue
        if first == logged_first[i]:
            for b in range(len(budgets)):
                spent[b] += covered_unchanged[b][i]
        else:
            if first not in cost_lists:
                cost_lists[first] = costs_for(first)[0].tolist()
            cover = cover_of_plan.get(p)
            if cover is None:
                cover = cover_of_plan[p] = [scope_covers(b.scope, task=plan.task, team=teams[i] or None,
                                                         provider=provider_of.get(first, ""), model=first)
                                            for b in budgets]
            cost = cost_lists[first][i]
            for b in range(len(budgets)):
                if cover[b]:
                    spent[b] += cost
        for b, budget in enumerate(budgets):
            if not flags[b] and spent[b] >= limits[b]:
                runs_out[budget.name].append((period_key(budget.period, datetime.fromtimestamp(ts[i], tz=timezone.utc)),
                                              ts[i]))
        if i % step == 0:
            report("budgets", 0.3 + 0.6 * i / n)
    return plan_of, runs_out
