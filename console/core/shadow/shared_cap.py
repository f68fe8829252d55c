"""Each route's daily shadow cap kept in the team store, so every gateway instance spends one cap.

On a desk, ``ShadowCaps`` keeps the day's shadow spend in the process. Behind a load balancer, N
instances each holding their own would let shadows spend N times ``max_usd_per_day``. Here the day's
spend lives in the same store as the team's budgets (``SpendStore``: Redis or PostgreSQL), under a key
per route and UTC day: a reservation adds the call's most possible cost and is taken back at once when
the total passes the cap, so calls in flight on every instance together never take the day past it.
The first instance of the day seeds the key from the log (``seed`` sets it only where it is absent).
A store that cannot be reached stops shadowing (a shadow is never worth an unbounded spend) and
never the production request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from console.core.budget.reservations import SharedStateError, SpendStore
from console.core.shadow.cap import ShadowCaps

log = logging.getLogger(__name__)


class SharedShadowCaps(ShadowCaps):
    """``ShadowCaps`` with the day's totals in ``store``; only the 'spent' flag and seeding are local."""

    def __init__(self, store: SpendStore, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.store = store
        self._local = threading.Lock()
        self._seeded: set[str] = set()  # store keys this process has seeded
        self._spent: set[str] = set()  # store keys found past the cap

    def key(self, route: str, day_start: float | None = None) -> str:
        start = self.day_start() if day_start is None else day_start
        return f"shadow-cap:{route}:{int(start)}"

    def exhausted(self, route: str) -> bool:
        return self.key(route) in self._spent

    def needs_seed(self, route: str) -> bool:
        return self.key(route) not in self._seeded

    def seed(self, route: str, logged_usd: float) -> None:
        key = self.key(route)
        try:
            self.store.seed(key, logged_usd)  # the first instance of the day wins; the rest find it set
        except SharedStateError as err:
            log.warning("shadow cap of route '%s': %s", route, err)
            return
        with self._local:
            self._seeded.add(key)

    def reserve(self, route: str, usd: float, cap_usd: float) -> bool:
        key = self.key(route)
        try:
            [total] = self.store.reserve([key], usd)
            if total <= cap_usd:
                return True
            self.store.settle([key], usd, 0.0)  # it does not fit: take it back
            [held] = self.store.held([key])
        except SharedStateError as err:
            log.warning("route '%s' is not shadowed: its cap cannot be checked: %s", route, err)
            return False
        settled = total - usd - held  # the day's spend once every call in flight has settled (held are upper bounds)
        if settled + usd > cap_usd:  # it would not fit even then: the day is spent
            with self._local:
                self._spent.add(key)
        return False

    def settle(self, route: str, reserved_usd: float, actual_usd: float, day_start: float) -> None:
        try:
            self.store.settle([self.key(route, day_start)], reserved_usd, actual_usd)
        except SharedStateError as err:  # the reservation stays counted: the cap errs on the side of less
            log.warning("shadow cap of route '%s': could not settle: %s", route, err)

    def spent_today(self, route: str) -> float:
        key = self.key(route)
        try:
            [total], [held] = self.store.totals([key]), self.store.held([key])
        except SharedStateError:
            return 0.0
        return max(0.0, total - held)

