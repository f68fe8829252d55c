"""Section 1, spend: by task and by model, month by month, against the previous period and the
policy's budgets. Every dollar comes from ``ledger.queries`` (``spend``, ``counts``), which price
nothing: each attempt keeps the price it was charged at, so a later price change moves no figure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Sequence

from sqlalchemy import Engine

from console.core.ledger.filters import Filters
from console.core.ledger.queries import SpendPoint, counts, spend, spend_arrays
from console.core.ledger.series import StackedSeries
from console.core.policy.schema import Budget
from console.core.review.figures import BudgetLine, Spend, SpendLine
from console.core.review.period import ReviewPeriod

DAY_SECONDS = 86400


def _month(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m")


def _lines(points: Sequence[SpendPoint], previous: Sequence[SpendPoint], months: list[str]) -> list[SpendLine]:
    by_key: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(months))
    where = {m: i for i, m in enumerate(months)}
    for p in points:
        by_key[p.key][where[_month(p.bucket_start)]] += p.cost_usd
    before: dict[str, float] = defaultdict(float)
    for p in previous:
        before[p.key] += p.cost_usd
    keys = set(by_key) | set(before)
    lines = [SpendLine(k, sum(by_key[k]) if k in by_key else 0.0, before.get(k, 0.0),
                       tuple(by_key[k]) if k in by_key else tuple([0.0] * len(months))) for k in keys]
    return sorted(lines, key=lambda line: (-line.cost_usd, line.key))


def _stack(points: Sequence[SpendPoint]) -> StackedSeries:
    buckets, keys, matrix = spend_arrays(points)
    return StackedSeries(buckets, keys, matrix, DAY_SECONDS)


def budget_line(db: Engine, budget: Budget, period: ReviewPeriod, policy_name: str | None) -> BudgetLine:
    """How the budget's scope spent against its limit, per UTC day or calendar month of the review."""
    scope = budget.scope
    filters = Filters(period.since, period.until, policy=policy_name, task=scope.task, team=scope.team,
                      model=scope.model, provider=scope.provider)
    per_day: dict[float, float] = defaultdict(float)
    for p in spend(db, filters, bucket="day", by="model"):
        per_day[p.bucket_start] += p.cost_usd
    if budget.period == "day":
        first, last = int(period.since // DAY_SECONDS), int((period.until - 1) // DAY_SECONDS)
        totals = [per_day.get(float(d * DAY_SECONDS), 0.0) for d in range(first, last + 1)]
    else:
        by_month: dict[str, float] = {m: 0.0 for m, _a, _b in period.months()}
        for day, cost in per_day.items():
            by_month[_month(day)] = by_month.get(_month(day), 0.0) + cost
        totals = list(by_month.values())
    words = ", ".join(f"{k}={v}" for k, v in scope.model_dump().items() if v) or "all traffic"
    return BudgetLine(budget.name, words, budget.period, budget.limit_usd, max(totals, default=0.0),
                      sum(1 for t in totals if t > budget.limit_usd), len(totals))


def spend_section(db: Engine, period: ReviewPeriod, *, policy_name: str | None,
                  budgets: Sequence[Budget] = ()) -> Spend:
    now = Filters(period.since, period.until, policy=policy_name)
    before = Filters(period.previous.since, period.previous.until, policy=policy_name)
    months = [m for m, _a, _b in period.months()]
    by_task, by_model = spend(db, now, bucket="day", by="task"), spend(db, now, bucket="day", by="model")
    return Spend(
        counts=counts(db, now), previous=counts(db, before), months=months,
        by_task=_lines(by_task, spend(db, before, bucket="day", by="task"), months),
        by_model=_lines(by_model, spend(db, before, bucket="day", by="model"), months),
        budgets=[budget_line(db, b, period, policy_name) for b in budgets],
        daily_by_task=_stack(by_task), daily_by_model=_stack(by_model))
