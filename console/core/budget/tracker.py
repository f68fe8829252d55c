"""Running spend against each budget of a policy, per day or month (UTC).

The Engine seeds it from the ledger at start (what was already spent this period) and adds each
finished request's attempts as they are priced. The planner only ever sees ``snapshot()``: a plain
mapping of budget name to dollars spent in the current period.

Engines of one process (the window's, the endpoint's) share a ``SpendFeed`` (the Workspace owns
it): every priced attempt is counted by every engine's tracker, each by its own policy's scopes, so
two engines cannot each spend the same budget once. Across processes, each engine learns the
others' spend from the log when it starts.
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from console.core.budget.period import period_key
from console.core.budget.scope import scope_covers
from console.core.policy.schema import Budget, Policy

WallClock = Callable[[], datetime]


class BudgetTracker:
    """Spend per budget in its current period.

    Attributes:
        policy: whose budgets are tracked.
    """

    def __init__(self, policy: Policy, now: WallClock | None = None, seed: Mapping[str, float] | None = None) -> None:
        self.policy = policy
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._spent: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()  # engines on other threads add through the shared feed
        stamp = self._now()
        for budget in policy.budgets:
            self._spent[budget.name] = (period_key(budget.period, stamp), float((seed or {}).get(budget.name, 0.0)))

    def add(self, cost_usd: float, *, task: str, team: str | None, provider: str, model: str) -> None:
        """Count one priced attempt against every budget whose scope covers it."""
        if cost_usd <= 0:
            return
        stamp = self._now()
        for budget in self.policy.budgets:
            if not scope_covers(budget.scope, task=task, team=team, provider=provider, model=model):
                continue
            key = period_key(budget.period, stamp)
            with self._lock:
                held_key, spent = self._spent.get(budget.name, (key, 0.0))
                self._spent[budget.name] = (key, (spent if held_key == key else 0.0) + cost_usd)

    def snapshot(self) -> dict[str, float]:
        stamp = self._now()
        view = {}
        with self._lock:
            held = dict(self._spent)
        for budget in self.policy.budgets:
            key, spent = held.get(budget.name, ("", 0.0))
            view[budget.name] = spent if key == period_key(budget.period, stamp) else 0.0
        return view

    def budgets(self) -> Iterable[Budget]:
        return self.policy.budgets


class SpendFeed:
    """Fans each priced attempt out to every subscribed tracker (one per engine of a workspace)."""

    def __init__(self) -> None:
        self._trackers: "weakref.WeakSet[BudgetTracker]" = weakref.WeakSet()
        self._lock = threading.Lock()

    def subscribe(self, tracker: BudgetTracker) -> None:
        with self._lock:
            self._trackers.add(tracker)

    def unsubscribe(self, tracker: BudgetTracker) -> None:
        with self._lock:
            self._trackers.discard(tracker)

    def add(self, cost_usd: float, *, task: str, team: str | None, provider: str, model: str) -> None:
        with self._lock:
            trackers = list(self._trackers)
        for tracker in trackers:
            tracker.add(cost_usd, task=task, team=team, provider=provider, model=model)
