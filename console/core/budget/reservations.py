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
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping, Protocol, Sequence

from console.core.budget.period import period_bounds, period_key
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

    def change(self, deltas: Mapping[str, tuple[float, float]], read: Sequence[str]) -> list[float]:
        """Add (total, held) deltas to their keys in one atomic step; the new totals of ``read``."""

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

    def add(self, policy: Policy, cost_usd: float, *, task: str, team: str | None, provider: str,
            model: str) -> None:
        """Count a cost that had no reservation (a classifier call, a shadow copy)."""


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

    def add(self, policy: Policy, cost_usd: float, *, task: str, team: str | None, provider: str,
            model: str) -> None:
        self._feed.add(cost_usd, task=task, team=team, provider=provider, model=model)


def _merged(a: Mapping[str, tuple[float, float]], b: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Deltas (total, held) per key, added up: a statement may change each row once."""
    out = dict(a)
    for key, (total, held) in b.items():
        was = out.get(key, (0.0, 0.0))
        out[key] = (was[0] + total, was[1] + held)
    return out


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

    Settlements wait in ``_pending`` (merged per key) and ride along with this instance's next
    read or reservation, in its one round trip; when no request comes within ``linger_s`` a worker
    thread sends them. Until one lands the store still counts the estimate, which is never less than the real
    cost, so a late settlement only makes the others more careful. ``flush()`` sends what is
    pending now; ``close()`` flushes, stops the worker and closes the store.

    A store that cannot be reached does not stop routing: the planner keeps the last totals it
    read, an attempt goes ahead unreserved, and each failure is logged (``failures`` counts them).
    Settlements that failed to send are kept and sent again (a refused connection applied nothing).
    """

    store: SpendStore
    now: WallClock = field(default=lambda: datetime.now(timezone.utc))
    linger_s: float = 0.05
    failures: int = 0
    _last: dict[str, float] = field(default_factory=dict)
    _pending: dict[str, tuple[float, float]] = field(default_factory=dict)
    _pending_lock: threading.Lock = field(default_factory=threading.Lock)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)  # one batch of settlements in flight
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _worker: threading.Thread | None = None
    _worker_lock: threading.Lock = field(default_factory=threading.Lock)
    # Store keys only change when a period ends or the policy changes: worked out once per
    # (policy, period), not per request (it is most of what the book costs besides the round trip).
    _cached_for: tuple[Policy | None, float] = (None, 0.0)
    _names: dict[str, str] = field(default_factory=dict)
    _covering: dict[tuple[str, str | None, str, str], tuple[str, ...]] = field(default_factory=dict)

    def _fresh(self, policy: Policy) -> datetime:
        stamp = self.now()
        held, until = self._cached_for
        if held is not policy or stamp.timestamp() >= until:
            at = stamp.timestamp()
            ends = [period_bounds(b.period, at)[1] for b in policy.budgets]
            self._names = {b.name: f"{b.name}@{period_key(b.period, stamp)}" for b in policy.budgets}
            self._covering = {}
            self._cached_for = (policy, min(ends, default=float("inf")))
        return stamp

    def _covering_keys(self, policy: Policy, *, task: str, team: str | None, provider: str,
                       model: str) -> tuple[str, ...]:
        """``covering_keys`` for this period, from the per-(policy, period) cache."""
        stamp = self._fresh(policy)
        keys = self._covering.get((task, team, provider, model))
        if keys is None:
            keys = covering_keys(policy, stamp, task=task, team=team, provider=provider, model=model)
            if len(self._covering) < 10_000:  # teams and tasks are few; made-up team names must not grow it forever
                self._covering[(task, team, provider, model)] = keys
        return keys

    def keys(self, policy: Policy) -> dict[str, str]:
        self._fresh(policy)
        return self._names

    def snapshot(self, policy: Policy) -> dict[str, float]:
        if not policy.budgets:
            return {}
        names = self.keys(policy)
        read = list(names.values())
        # This instance's pending settlements go with the read, in its one round trip: a plan here
        # never sees an estimate this instance already knows the real cost of.
        riding = self._send_lock.acquire(blocking=False)
        pending = self._take_pending() if riding else {}
        try:
            totals = self.store.change(pending, read) if pending else self.store.totals(read)
        except SharedStateError as err:
            self._failed("read budget totals", err)
            self._put_back(pending)
            return {name: self._last.get(key, 0.0) for name, key in names.items()}
        finally:
            if riding:
                self._send_lock.release()
        self._last = dict(zip(read, totals))
        return dict(zip(names, totals))

    def reserve(self, policy: Policy, estimate_usd: float, *, task: str, team: str | None, provider: str,
                model: str) -> Reservation:
        keys = self._covering_keys(policy, task=task, team=team, provider=provider, model=model)
        amount = max(0.0, estimate_usd)
        if keys:
            mine = {key: (amount, amount) for key in keys}
            # Pending settlements ride along, unless a batch of them is being sent right now (the
            # request never waits for the worker).
            riding = self._send_lock.acquire(blocking=False)
            try:
                pending = self._take_pending() if riding else {}
                try:
                    self.store.change(_merged(pending, mine), keys)
                except SharedStateError as err:
                    self._failed("reserve", err)
                    self._put_back(pending)
                    amount = 0.0  # nothing held; settling still counts the real cost if the store is back
            finally:
                if riding:
                    self._send_lock.release()
        return Reservation(keys, amount, task, team, provider, model)

    def settle(self, reservation: Reservation, cost_usd: float) -> None:
        if reservation.keys:
            cost = max(0.0, cost_usd)
            self._defer({key: (cost - reservation.amount, -reservation.amount) for key in reservation.keys})

    def add(self, policy: Policy, cost_usd: float, *, task: str, team: str | None, provider: str,
            model: str) -> None:
        if cost_usd <= 0:
            return
        keys = self._covering_keys(policy, task=task, team=team, provider=provider, model=model)
        if keys:
            self._defer({key: (cost_usd, 0.0) for key in keys})

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Send every settlement handed in so far; True once none is left pending."""
        if not self._send_lock.acquire(timeout=timeout_s):
            return False
        try:
            self._send_pending()
        finally:
            self._send_lock.release()
        with self._pending_lock:
            return not self._pending

    def close(self) -> None:
        """Send what is pending, stop the worker, close the store."""
        with self._worker_lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._stop.set()
            self._wake.set()
            worker.join(30)
        self.flush()
        self.store.close()

    def _defer(self, deltas: dict[str, tuple[float, float]]) -> None:
        self._put_back(deltas)
        self._ensure_worker()
        self._wake.set()

    def _take_pending(self) -> dict[str, tuple[float, float]]:
        with self._pending_lock:
            taken, self._pending = self._pending, {}
        return taken

    def _put_back(self, deltas: dict[str, tuple[float, float]]) -> None:
        if deltas:
            with self._pending_lock:
                self._pending = _merged(self._pending, deltas)

    def _send_pending(self) -> None:
        """With ``_send_lock`` held: one round trip for everything pending."""
        pending = self._take_pending()
        if not pending:
            return
        try:
            self.store.change(pending, ())
        except SharedStateError as err:
            self._failed("settle", err)
            self._put_back(pending)

    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        with self._worker_lock:
            if self._worker is None and not self._stop.is_set():
                self._worker = threading.Thread(target=self._settle_lingering, name="routedesk-budget-settle",
                                                daemon=True)
                self._worker.start()

    def _settle_lingering(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.wait(self.linger_s):  # give the next reservation the chance to carry them
                return
            with self._send_lock:
                self._send_pending()

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
