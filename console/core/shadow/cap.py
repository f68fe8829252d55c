"""Each route's shadow spend for the UTC day, against its ``max_usd_per_day``.

A shadow call reserves what it may cost at most (its prompt's estimated tokens and the route's
output limit at the candidate's prices) before it starts, and settles to what it did cost when it
ends: calls in flight together can never take the day past the cap. The day starts from what the
log says shadows already spent on it (seeded once per route and day, before the first reservation),
so a restart does not reset the cap. One ``ShadowCaps`` is shared by every engine of a workspace
(the window and the endpoint spend one cap); it is locked, since their loops run on different threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from console.core.budget.period import period_bounds


@dataclass
class _Day:
    start: float  # the UTC day's first second
    seeded: bool = False
    settled_usd: float = 0.0  # logged before this process + settled here
    held_usd: float = 0.0  # reserved by shadow calls in flight
    exhausted: bool = False


class ShadowCaps:
    """Spend per route for today; ``exhausted`` is the cheap test the request path makes."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._days: dict[str, _Day] = {}

    def _today(self, route: str) -> _Day:
        start = period_bounds("day", self._clock())[0]
        day = self._days.get(route)
        if day is None or day.start != start:  # a new UTC day: the cap starts again
            day = self._days[route] = _Day(start)
        return day

    def day_start(self) -> float:
        return period_bounds("day", self._clock())[0]

    def exhausted(self, route: str) -> bool:
        """True once the route's cap was reached today (no lock: a stale read only delays the stop by a call)."""
        day = self._days.get(route)
        return day is not None and day.exhausted and day.start == self.day_start()

    def needs_seed(self, route: str) -> bool:
        with self._lock:
            return not self._today(route).seeded

    def seed(self, route: str, logged_usd: float) -> None:
        """What the log says shadows of ``route`` spent today; the first seed of the day counts."""
        with self._lock:
            day = self._today(route)
            if not day.seeded:
                day.seeded = True
                day.settled_usd += logged_usd

    def reserve(self, route: str, usd: float, cap_usd: float) -> bool:
        """Hold ``usd`` of today's cap; False when it does not fit. The day is marked spent only when
        it would not fit even once the calls in flight have settled (their holds are upper bounds)."""
        with self._lock:
            day = self._today(route)
            if day.settled_usd + day.held_usd + usd > cap_usd:
                if day.settled_usd + usd > cap_usd:
                    day.exhausted = True
                return False
            day.held_usd += usd
            return True

    def settle(self, route: str, reserved_usd: float, actual_usd: float, day_start: float) -> None:
        """Replace a reservation by the call's real cost (a call that began yesterday settles nothing today)."""
        with self._lock:
            day = self._days.get(route)
            if day is not None and day.start == day_start:
                day.held_usd = max(0.0, day.held_usd - reserved_usd)
                day.settled_usd += actual_usd

    def spent_today(self, route: str) -> float:
        """Settled spend today (calls in flight not included)."""
        with self._lock:
            return self._today(route).settled_usd
