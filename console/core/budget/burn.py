"""Budget burn: what each budget has spent so far this period, read from the log, and where it is heading.

The Workspace seeds each Engine's tracker from it (spend already in the log this period) and the
dashboards draw it. Only one kind of traffic counts (production, unless asked), so comparison and
pilot runs never spend a production budget; shadow calls (live pilots on production traffic) count
with production, since the Engine spends them from the same budgets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Sequence

from sqlalchemy import Engine

from console.core.budget.period import period_bounds
from console.core.ledger.filters import Filters
from console.core.ledger.queries import counts
from console.core.policy.schema import Budget, BudgetScope

#: the shortest elapsed time a projection divides by, so a period's first minute does not extrapolate wildly
MIN_ELAPSED_S = 60.0


@dataclass(frozen=True)
class BudgetBurn:
    """One budget in its current period.

    Attributes:
        period_start / period_end: the period, UTC epoch seconds (end is the next period's start).
        fraction: spent / limit; over 1.0 means over budget.
        projected_usd: what the period will have spent by its end at the average rate so far.
        filters: the budget's scope over its period so far (what the log was asked; what a drill opens).
    """

    name: str
    period: str
    period_start: float
    period_end: float
    spent_usd: float
    limit_usd: float
    fraction: float
    projected_usd: float
    action: str
    filters: Filters


def scope_filters(scope: BudgetScope, *, since: float, until: float, kind: str | None) -> Filters:
    """The log query that reads exactly the calls ``scope`` covers (``scope.scope_covers``, in SQL)."""
    return Filters(since=since, until=until, task=scope.task, team=scope.team, model=scope.model,
                   provider=scope.provider, kind=kind)


def projected_spend(spent_usd: float, *, start: float, end: float, now: float) -> float:
    """Spend by ``end`` if the rest of the period goes at the average rate of ``[start, now)``."""
    elapsed = max(now - start, MIN_ELAPSED_S)
    return spent_usd * (end - start) / elapsed


def budget_burn(db: Engine, budgets: Sequence[Budget], *, now: float | None = None,
                kind: str = "production") -> list[BudgetBurn]:
    """Spend against every budget (pass ``policy.budgets``); only ``kind`` traffic counts."""
    end = time.time() if now is None else now
    out: list[BudgetBurn] = []
    for budget in budgets:
        start, period_end = period_bounds(budget.period, end)
        filters = scope_filters(budget.scope, since=start, until=end, kind=kind)
        spent = counts(db, filters).cost_usd
        if kind == "production":
            spent += counts(db, replace(filters, kind="shadow")).cost_usd
        out.append(BudgetBurn(budget.name, budget.period, start, period_end, spent, budget.limit_usd,
                              spent / budget.limit_usd, projected_spend(spent, start=start, end=period_end, now=end),
                              budget.action, filters))
    return out
