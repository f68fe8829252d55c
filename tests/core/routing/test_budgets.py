"""Budget spend per period, and its effect on plans through the Engine's tracker."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from console.core.budget.tracker import BudgetTracker
from tests.core.routing.policies import base_policy


class WallClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_spend_counts_only_in_scope_and_resets_each_day() -> None:
    clock = WallClock()
    tracker = BudgetTracker(base_policy(), now=clock, seed={"frontier-daily": 10.0})
    tracker.add(5.0, task="escalation", team=None, provider="hosted", model="frontier")
    tracker.add(7.0, task="routine", team="growth", provider="hosted", model="mid")
    spent = tracker.snapshot()
    assert spent["frontier-daily"] == 15.0
    assert spent["team-growth"] == 7.0
    assert spent["all-warn"] == 12.0
    clock.now += timedelta(hours=2)  # past midnight UTC: daily budgets start again
    assert tracker.snapshot()["frontier-daily"] == 0.0
    tracker.add(1.0, task="escalation", team=None, provider="hosted", model="frontier")
    assert tracker.snapshot()["frontier-daily"] == 1.0
