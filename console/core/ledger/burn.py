"""Budget burn: what each of a policy's budgets has spent so far in its current period."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from sqlalchemy import Engine

from console.core.ledger.filters import Filters
from console.core.ledger.queries import counts
from console.core.policy.schema import Budget


@dataclass(frozen=True)
class BudgetBurn:
    name: str
    period: str
    period_start: float  # UTC epoch seconds
    spent_usd: float
    limit_usd: float
    fraction: float  # spent / limit; over 1.0 means over budget
    action: str


def period_start(period: str, now: float) -> float:
    """Start of the UTC day or month that contains ``now``."""
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    return start.timestamp()


def budget_burn(db: Engine, budgets: Sequence[Budget], *, now: float | None = None,
                kind: str = "production") -> list[BudgetBurn]:
    """Spend against every budget (pass ``policy.budgets``); only ``kind`` traffic counts."""
    end = time.time() if now is None else now
    out: list[BudgetBurn] = []
    for budget in budgets:
        start = period_start(budget.period, end)
        scope = budget.scope
        filters = Filters(since=start, until=end, task=scope.task, team=scope.team, model=scope.model,
                          provider=scope.provider, kind=kind)
        spent = counts(db, filters).cost_usd
        out.append(BudgetBurn(budget.name, budget.period, start, spent, budget.limit_usd,
                              spent / budget.limit_usd, budget.action))
    return out
