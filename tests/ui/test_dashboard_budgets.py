"""The dashboard's budget section: it draws what ``console.core.budget.burn`` reads, not a sum of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from console.core.budget.burn import budget_burn
from console.core.budget.period import period_bounds
from console.core.ledger.bulk import write_records
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
