"""Budget reservations: spend is claimed at the estimated cost before a call and settled at the real cost after it.

A ``BudgetBook`` is what the Engine asks for spend (the planner's snapshot), reserves against
before each attempt and settles after it. Two kinds:

* ``LocalBudgetBook``: today's single-desk behaviour, no server. Spend lives in the engines'
  ``BudgetTracker``s (fed by the workspace's ``SpendFeed``); a reservation holds nothing, and the
  real cost is counted when the attempt is settled.
* ``SharedBudgetBook``: spend lives in a ``SpendStore`` that several gateway processes share
  (``redis_store.RedisSpendStore``, ``postgres_store.PostgresSpendStore``). Reserving adds the
  estimate to every covering budget's total in one atomic step, so the snapshot any instance
  plans with already counts every call in flight on every instance; settling replaces the
  estimate by the real cost. Two instances can still both pass the planner's check just before
  a budget is reached, so the overshoot is bounded by the reservations in flight at that moment,
  never by N times the budget.

Store keys are ``<budget name>@<period key>`` ('daily@2026-12-06'): a new period starts at zero
by itself, and a policy that renames a budget starts a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping, Protocol, Sequence

from console.core.budget.period import period_key
from console.core.budget.scope import scope_covers
from console.core.budget.tracker import BudgetTracker, SpendFeed
from console.core.policy.schema import Policy

log = logging.getLogger(__name__)

WallClock = Callable[[], datetime]


@dataclass(frozen=True)
class Reservation:
    """What one attempt holds: ``amount`` dollars on each of ``keys`` (none for a local book).

    The call's task, team, provider and model ride along so that settling counts the real cost
    against the same budgets, even if the policy changed meanwhile."""

    keys: tuple[str, ...]
    amount: float
    task: str
    team: str | None
    provider: str
    model: str


class SpendStore(Protocol):
    """Shared totals per store key: settled spend plus what is reserved and not yet settled."""

    def totals(self, keys: Sequence[str]) -> list[float]: ...

    def reserve(self, keys: Sequence[str], amount: float) -> list[float]:
        """Add ``amount`` to each key's total and held amount, atomically; the new totals."""

    def settle(self, keys: Sequence[str], reserved: float, cost: float) -> None:
        """Replace a reservation of ``reserved`` by the real ``cost`` on each key, atomically."""

    def held(self, keys: Sequence[str]) -> list[float]:
        """What is reserved and not yet settled on each key (the calls in flight)."""

    def seed(self, key: str, value: float) -> None:
        """Set a key's total unless it exists (the first instance of a period seeds it from the log)."""

    def close(self) -> None: ...


class SharedStateError(RuntimeError):
    """The shared store could not be reached or answered wrongly (what and where in the message)."""


class BudgetBook(Protocol):
    def snapshot(self, policy: Policy) -> dict[str, float]: ...

    def reserve(self, policy: Policy, estimate_usd: float, *, task: str, team: str | None, provider: str,
                model: str) -> Reservation: ...

    def settle(self, reservation: Reservation, cost_usd: float) -> None: ...


class LocalBudgetBook:
    """In-process spend (one desk): the engine's tracker, fed through the workspace's feed."""

    def __init__(self, tracker: Callable[[], BudgetTracker], feed: SpendFeed) -> None:
        self._tracker = tracker
        self._feed = feed

    def snapshot(self, policy: Policy) -> dict[str, float]:
        return self._tracker().snapshot()

    def reserve(self, policy: Policy, estimate_usd: float, *, task: str, team: str | None, provider: str,
                model: str) -> Reservation:
        return Reservation((), 0.0, task, team, provider, model)

    def settle(self, reservation: Reservation, cost_usd: float) -> None:
        self._feed.add(cost_usd, task=reservation.task, team=reservation.team, provider=reservation.provider,
                       model=reservation.model)


def covering_keys(policy: Policy, stamp: datetime, *, task: str, team: str | None, provider: str,
                  model: str) -> tuple[str, ...]:
    """Store keys of the budgets whose scope covers the call, in their current period (sorted)."""
    return tuple(sorted(
        f"{b.name}@{period_key(b.period, stamp)}" for b in policy.budgets
        if scope_covers(b.scope, task=task, team=team, provider=provider, model=model)
    ))


@dataclass
class SharedBudgetBook:
    """Spend that every gateway instance sees, in a ``SpendStore``.

    A store that cannot be reached does not stop routing: the planner keeps the last totals it
    read, an attempt goes ahead unreserved, and each failure is logged (``failures`` counts them).
    """

    store: SpendStore
    now: WallClock = field(default=lambda: datetime.now(timezone.utc))
    failures: int = 0
    _last: dict[str, float] = field(default_factory=dict)

    def keys(self, policy: Policy) -> dict[str, str]:
        stamp = self.now()
        return {b.name: f"{b.name}@{period_key(b.period, stamp)}" for b in policy.budgets}

    def snapshot(self, policy: Policy) -> dict[str, float]:
        if not policy.budgets:
            return {}
        names = self.keys(policy)
        try:
            totals = self.store.totals(list(names.values()))
        except SharedStateError as err:
            self._failed("read budget totals", err)
            return {name: self._last.get(key, 0.0) for name, key in names.items()}
        view = dict(zip(names, totals))
        self._last.update(zip(names.values(), totals))
        return view

    def reserve(self, policy: Policy, estimate_usd: float, *, task: str, team: str | None, provider: str,
                model: str) -> Reservation:
        keys = covering_keys(policy, self.now(), task=task, team=team, provider=provider, model=model)
        amount = max(0.0, estimate_usd)
        if keys:
            try:
                self.store.reserve(keys, amount)
            except SharedStateError as err:
                self._failed("reserve", err)
                amount = 0.0  # nothing held; settling still counts the real cost if the store is back
        return Reservation(keys, amount, task, team, provider, model)

    def settle(self, reservation: Reservation, cost_usd: float) -> None:
        if not reservation.keys:
            return
        try:
            self.store.settle(reservation.keys, reservation.amount, max(0.0, cost_usd))
        except SharedStateError as err:
            self._failed("settle", err)

    def seed(self, policy: Policy, spend: Mapping[str, float]) -> None:
        """Start each budget's period from the log's figure, unless another instance already did."""
        for name, key in self.keys(policy).items():
            try:
                self.store.seed(key, float(spend.get(name, 0.0)))
            except SharedStateError as err:
                self._failed("seed", err)

    def held(self, policy: Policy) -> dict[str, float]:
        names = self.keys(policy)
        return dict(zip(names, self.store.held(list(names.values())))) if names else {}

    def _failed(self, what: str, err: Exception) -> None:
        self.failures += 1
        log.warning("shared budget store: could not %s (%s); routing goes on with the last known spend", what, err)
