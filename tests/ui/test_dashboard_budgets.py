"""The dashboard's budget section: it draws what ``console.core.budget.burn`` reads, not a sum of its own."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from console.core.budget.burn import budget_burn
from console.core.budget.period import period_bounds
from console.core.ledger.bulk import write_records
from console.core.ledger.filters import Filters
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import generate
from console.core.policy.schema import Budget, BudgetScope
from console.ui.pages.dashboard.loaders import load_budgets

END = 1_790_000_000.0  # 2026-09-21 14:13 UTC: three weeks into its month, so day and month periods differ


def test_budget_views_end_at_the_core_burn_and_chart_it(qtbot: Any, tmp_path: Path) -> None:
    db = open_ledger(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    try:
        write_records(db, generate(1200, days=30, seed=3, end=END), batch_requests=600)
        budgets = [Budget(name="all", limit_usd=2.0),
                   Budget(name="growth-openai", period="month", limit_usd=40.0,
                          scope=BudgetScope(team="growth", provider="openai"))]
        views = load_budgets(db, budgets, END, None)
        burns = budget_burn(db, budgets, now=END)
    finally:
        db.dispose()
    assert [v.burn for v in views] == burns
    for view, budget in zip(views, budgets):
        start, end = period_bounds(budget.period, END)
        assert (view.burn.period_start, view.period_end) == (start, end)
        assert view.times[0] == start and view.times[-1] <= END and np.all(np.diff(view.times) > 0)
        assert view.cumulative[-1] == pytest.approx(view.burn.spent_usd, abs=1e-9)  # the steps add up to the burn
        assert view.filters.team == budget.scope.team and view.filters.provider == budget.scope.provider
        assert view.projected_usd >= view.burn.spent_usd > 0

    from console.ui.pages.dashboard.budget_chart import BudgetChart

    chart = BudgetChart()
    qtbot.addWidget(chart)
    chart.show_budgets(views)
    _header, rows = chart.csv_table()
    assert [(r[0], float(r[5])) for r in rows] == [(v.burn.name, pytest.approx(v.projected_usd, abs=1e-6)) for v in views]


def test_spend_ceilings_share_a_budget_over_its_real_period(qtbot: Any) -> None:
    from console.core.ledger.series import StackedSeries
    from console.ui.pages.dashboard.spend_chart import SpendChart

    february = datetime(2026, 2, 10, 12, tzinfo=timezone.utc).timestamp()  # a 28-day month
    series = StackedSeries(np.array([february - 3600.0]), ["m"], np.array([[1.0]]), 3600)
    budgets = [Budget(name="daily", limit_usd=24.0), Budget(name="monthly", period="month", limit_usd=672.0),
               Budget(name="growth", limit_usd=5.0, scope=BudgetScope(team="growth"))]
    chart = SpendChart()
    qtbot.addWidget(chart)
    chart.show_spend(series, "model", Filters(until=february), february, budgets)
    # $24 a day and $672 over February's 28 days are both $1 an hour; the team's budget is not this chart's scope.
    assert chart._ceilings == [pytest.approx(1.0), pytest.approx(1.0)]
