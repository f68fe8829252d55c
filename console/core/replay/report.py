"""The replay's findings, from the log and the simulation: what changes, what it costs, what it risks.

Every figure that used output tokens from the request's own logged answer (the draft's model never
answered that task in the period) says so through ``estimated_output`` counts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
from sqlalchemy import Engine

from console.core.replay.classify import factorize, unique_inverse
from console.core.replay.evidence import Exposure, PilotEvidence, exposures, latest_pilot
from console.core.replay.simulate import Simulation
from console.core.replay.traffic import LoggedTraffic
from console.core.routing.types import CONTEXT_TOO_SMALL, Plan

BLOCKED = "(blocked)"
EXAMPLES = 3
# which hard constraint a dropped candidate's reason names (the planner's own sentences)
CONSTRAINTS = (("residency", re.compile(r"not allowed for .* data")), ("region", re.compile(r"not in the route's regions")),
               ("on-prem only", re.compile(r"on-prem only")), ("context", re.compile(re.escape(CONTEXT_TOO_SMALL))),
               ("cost ceiling", re.compile(r"over the ceiling")), ("budget", re.compile(r"budget '")))


@dataclass
class Change:
    task: str
    from_model: str
    to_model: str
    requests: int
    share: float
    examples: list[str]
    actual_usd: float
    projected_usd: float
    estimated_output: int  # requests whose projected cost took the logged answer's output tokens
    expected_fallbacks: float | None  # requests × the new model's failure rate (None: no evidence)
    fallback_extra_usd: float | None
    exposure: Exposure | None = None
    pilot: PilotEvidence | None = None

    @property
    def untested(self) -> bool:
        return self.pilot is None and self.to_model != BLOCKED


@dataclass
class Constraint:
    task: str
    rule: str  # residency, region, on-prem only, context, cost ceiling, budget
    reason: str  # the planner's sentence for one of them
    outcome: str  # the model it goes to instead, or BLOCKED
    requests: int
    examples: list[str]


@dataclass
class Mismatch:
    request_id: str
    logged: str
    replayed: str
    cause: str


@dataclass
class Spend:
    actual_usd: float
    projected_usd: float
    estimated_output: int

    @property
    def change_usd(self) -> float:
        return self.projected_usd - self.actual_usd


@dataclass
class BudgetRun:
    name: str
    limit_usd: float
    period: str
    action: str
    runs_out: list[tuple[str, str]]  # (period, UTC time it ran out)
    affected: int  # requests planned after it ran out
    effect: str


@dataclass
class ReplayReport:
    since: float
    until: float
    requests: int
    policy_hash: str
    kept_logged_task: int  # no stored prompt and a rule needing text: the logged task was kept
    reclassified: int
    spend: Spend
    spend_by_task: dict[str, Spend]
    spend_by_day: dict[str, Spend]
    changes: list[Change]
    constraints: list[Constraint]
    budgets: list[BudgetRun]
    identity_checked: int  # requests logged under this very policy
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def changed_requests(self) -> int:
        return sum(c.requests for c in self.changes)

    @property
    def untested_swaps(self) -> list[Change]:
        return [c for c in self.changes if c.untested]


def _constraint(plan: Plan) -> tuple[str, str] | None:
    """The hard constraint that moved the plan off its route's first candidate, with the sentence."""
    for decision in plan.candidates:
        if decision.kept:
            return None
        for rule, pattern in CONSTRAINTS:
            if pattern.search(decision.reason):
                return rule, decision.reason
    return ("blocked", plan.candidates[0].reason) if plan.candidates else None


def _sums(codes: np.ndarray, names: list[Any], cost: np.ndarray, projected: np.ndarray,
          est: np.ndarray) -> dict[str, Spend]:
    size = len(names)
    actual = np.bincount(codes, weights=cost, minlength=size)
    proj = np.bincount(codes, weights=projected, minlength=size)
    flagged = np.bincount(codes, weights=est.astype(np.float64), minlength=size)
    return {str(names[k]): Spend(float(actual[k]), float(proj[k]), int(flagged[k])) for k in sorted(
        range(size), key=lambda k: str(names[k]))}


def build_report(db: Engine | None, traffic: LoggedTraffic, sim: Simulation, *, since: float, until: float,
                 policy_hash: str, budget_plans: Sequence[tuple[str, float, str, str, str | None]]) -> ReplayReport:
    n = len(traffic)
    firsts = [f if f is not None else BLOCKED for f in sim.first]
    logged_first = traffic.first_model
    cost, projected, est = traffic.cost, sim.projected, sim.estimated_output
    task_codes, task_names = factorize(sim.task, n)
    day_values, _first, day_codes = unique_inverse(traffic.day)
    day_names = [datetime.fromtimestamp(int(d) * 86400, tz=timezone.utc).strftime("%Y-%m-%d") for d in day_values]
    by_task = _sums(task_codes, task_names, cost, projected, est)
    by_day = _sums(day_codes.reshape(-1), day_names, cost, projected, est)
    changed = np.flatnonzero(np.array(firsts, dtype=object) != np.array(logged_first, dtype=object))
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i in changed.tolist():  # only the changed requests, grouped by (task, from, to)
        groups[(sim.task[i], logged_first[i], firsts[i])].append(i)
    cons: dict[tuple[str, str, str], list[Any]] = {}
    per_plan = np.bincount(sim.plan_of, minlength=len(sim.plans))
    for p, plan in enumerate(sim.plans):
        found = _constraint(plan) if per_plan[p] else None
        if found is None:
            continue
        key3 = (plan.task, found[0], plan.kept[0].model if plan.kept else BLOCKED)
        entry = cons.setdefault(key3, [found[1], 0, []])
        entry[1] += int(per_plan[p])
        if len(entry[2]) < EXAMPLES:
            entry[2].extend(traffic.request_id[i] for i in np.flatnonzero(sim.plan_of == p)[:EXAMPLES - len(entry[2])])
    identity = sum(1 for h in set(traffic.policy_hash) if h == policy_hash)
    identity_rows = sum(1 for h in traffic.policy_hash if h == policy_hash) if identity else 0
    pairs = {(t, to) for t, _, to in groups if to != BLOCKED}
    exposure = exposures(traffic, pairs)
    changes = []
    for (task, frm, to), rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        idx = np.asarray(rows)
        exp = exposure.get((task, to))
        rate = exp.failure_rate if exp is not None else None
        plan = sim.plans[int(sim.plan_of[rows[0]])]
        after = plan.kept[1:]
        extra = None if rate is None else len(rows) * rate * (after[0].estimated_cost_usd if after else 0.0)
        changes.append(Change(
            task, frm, to, len(rows), len(rows) / n if n else 0.0, [traffic.request_id[i] for i in rows[:EXAMPLES]],
            float(cost[idx].sum()), float(projected[idx].sum()), int(est[idx].sum()),
            None if rate is None else len(rows) * rate, extra, exp,
            latest_pilot(db, task, frm, to) if db is not None and to != BLOCKED else None))
    constraints = [Constraint(t, rule, entry[0], out, entry[1], entry[2]) for (t, rule, out), entry in sorted(cons.items())]
    mismatches = [Mismatch(traffic.request_id[i], logged_first[i], firsts[i], _cause(traffic, sim, i, policy_hash))
                  for i in changed.tolist()] if identity_rows else []
    budgets = []
    for name, limit, period, action, fallback in budget_plans:
        outs = sim.runs_out.get(name, [])
        affected = int(sum(int(per_plan[p]) for p, plan in enumerate(sim.plans) if name in _budget_names(plan)))
        effect = {"block": "blocked from then on", "warn": "warned, still served",
                  "fallback": f"sent to {fallback} from then on"}.get(action, action)
        budgets.append(BudgetRun(name, limit, period, action,
                                 [(p, datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")) for p, t in outs],
                                 affected, effect))
    spend = Spend(float(cost.sum()), float(projected.sum()), int(est.sum()))
    reclassified = int((np.array(sim.task, dtype=object) != np.array(traffic.task, dtype=object)).sum()) if n else 0
    return ReplayReport(since, until, n, policy_hash, sim.kept_logged_task, reclassified, spend, by_task, by_day,
                        changes, constraints, budgets, identity_rows, mismatches)


def _budget_names(plan: Plan) -> set[str]:
    names = set(re.findall(r"budget '([^']+)' reached", " ".join([d.reason for d in plan.candidates] + list(plan.warnings))))
    if plan.blocked_by:
        names.add(plan.blocked_by)
    return names


def _cause(traffic: LoggedTraffic, sim: Simulation, i: int, policy_hash: str) -> str:
    """Why replaying the producing policy did not reproduce a logged first choice."""
    logged = traffic.policy_hash[i]
    if logged != policy_hash:
        return f"policy changed during the period: routed by policy {logged or '(unknown)'}"
    plan = sim.plans[int(sim.plan_of[i])]
    if _budget_names(plan) or plan.blocked_by:
        return "budget state: the replayed budgets had run out where the live ones had not"
    route = [d.model for d in plan.candidates]
    if traffic.first_model[i] in route:
        return (f"budget state: live budgets had sent it to {traffic.first_model[i]}"
                if any(d.via_budget for d in plan.candidates if d.model == traffic.first_model[i])
                else f"circuit state: {sim.first[i]} was skipped live (circuit open or health), so "
                     f"{traffic.first_model[i]} was tried first")
    return f"budget state: {traffic.first_model[i]} is not on the replayed route (a budget fallback live)"
