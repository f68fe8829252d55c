"""What the router knows about each model's recent behaviour: circuit breakers and latency windows.

The clock is injected (a callable returning seconds, monotonic), so tests drive time by hand.
``HealthRegistry.snapshot()`` gives the planner an immutable view; the planner stays pure.

Circuit: closed → (``failures`` failures within ``window_s``) → open for ``cooldown``; after the
cooldown the next request may send one probe (half-open). A successful probe closes the circuit and
resets the cooldown; a failed one reopens it with the cooldown times ``cooldown_multiplier``, up to
``max_cooldown_s``. As in gRPC's connection backoff (1 s × 1.6, capped) and Envoy's outlier
ejection (base time × ejections, capped by max_ejection_time), the cap is what bounds recovery: a
model that comes back is probed, and gets traffic again, within ``max_cooldown_s`` (30 s by
default), however long it was down, while a dead one sees at most one probe per cooldown.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping

from console.core.outcomes import Outcome
from console.core.policy.schema import Circuit

Clock = Callable[[], float]

#: Outcomes that say the model (not the request) is in trouble.
COUNTS_AGAINST_HEALTH = frozenset(
    {
        Outcome.RATE_LIMITED,
        Outcome.UNAVAILABLE,
        Outcome.SERVER_ERROR,
        Outcome.TIMEOUT,
        Outcome.FIRST_TOKEN_TIMEOUT,
        Outcome.STREAM_CUT,
        Outcome.AUTH,
    }
)


class CircuitState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """One model's breaker.

    Attributes:
        settings: thresholds and cooldowns from the policy.
        cooldown_s: the cooldown that the next opening will use.
    """

    def __init__(self, settings: Circuit, clock: Clock) -> None:
        self.settings = settings
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self.cooldown_s = min(settings.cooldown_s, settings.max_cooldown_s)
        self._probe_in_flight = False

    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown_s:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def reopens_in(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self._clock())

    def allow(self) -> bool:
        """May a request be sent now? In half-open, only one probe at a time is allowed."""
        state = self.state()
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def on_success(self) -> None:
        if self._opened_at is None:
            return  # closed: successes do not erase recent failures ("N failures within the window")
        if self._probe_in_flight:  # the half-open probe answered: close and start afresh
            self._failures.clear()
            self._opened_at = None
            self._probe_in_flight = False
            self.cooldown_s = min(self.settings.cooldown_s, self.settings.max_cooldown_s)

    def on_failure(self) -> bool:
        """Count a failure; True when it opened the circuit (what a team gateway tells the others)."""
        now = self._clock()
        if self._opened_at is not None:
            if self._probe_in_flight:  # the half-open probe failed: reopen, wait longer
                self._probe_in_flight = False
                self.cooldown_s = min(self.cooldown_s * self.settings.cooldown_multiplier, self.settings.max_cooldown_s)
                self._opened_at = now
                return True
            return False  # a late failure of a request sent before the circuit opened changes nothing
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.settings.window_s:
            self._failures.popleft()
        if len(self._failures) >= self.settings.failures:
            self._opened_at = now
            self._failures.clear()
            return True
        return False

    def trip(self, cooldown_s: float) -> None:
        """Open now because another gateway instance saw the model fail (``health_signals``).

        An open circuit stays as it is: its own cooldown already holds traffic back."""
        if self._opened_at is not None and self.state() is CircuitState.OPEN:
            return
        self._opened_at = self._clock()
        self._failures.clear()
        self._probe_in_flight = False
        self.cooldown_s = min(max(cooldown_s, 0.0), self.settings.max_cooldown_s)

    def release_probe(self) -> None:
        """A probe ended without a verdict on the model (e.g. cancelled)."""
        self._probe_in_flight = False


class LatencyWindow:
    """The last ``size`` latencies and times to first token of one model, for p95 checks.

    p95 is recomputed at most every ``REFRESH_EVERY`` additions: the planner reads it on every
    request, and sorting 200 samples per request would be most of the router's own cost.
    """

    REFRESH_EVERY = 10

    def __init__(self, size: int = 200) -> None:
        self.latency_ms: deque[float] = deque(maxlen=size)
        self.ttft_ms: deque[float] = deque(maxlen=size)
        self._cached: tuple[float | None, float | None] | None = None
        self._since_refresh = 0

    def add(self, latency_ms: float, ttft_ms: float | None) -> None:
        self.latency_ms.append(latency_ms)
        if ttft_ms is not None:
            self.ttft_ms.append(ttft_ms)
        self._since_refresh += 1
        if self._since_refresh >= self.REFRESH_EVERY or len(self.latency_ms) <= MIN_LATENCY_SAMPLES:
            self._cached = None

    def seed_ttft(self, values: "list[float] | tuple[float, ...]") -> None:
        """Start from times to first token measured before (the log's, oldest first)."""
        self.ttft_ms.extend(values)
        self._cached = None

    def p95s(self) -> tuple[float | None, float | None]:
        if self._cached is None:
            self._cached = (self.p95(self.latency_ms), self.p95(self.ttft_ms))
            self._since_refresh = 0
        return self._cached

    @staticmethod
    def p95(values: deque[float]) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


@dataclass(frozen=True)
class ModelHealth:
    """A frozen view of one model for the planner."""

    circuit: CircuitState = CircuitState.CLOSED
    reopens_in_s: float = 0.0
    p95_ms: float | None = None
    ttft_p95_ms: float | None = None
    samples: int = 0
    ttft_samples: int = 0  # streamed answers behind ttft_p95_ms (the log's, then this process's)


#: Fewer samples than this and latency requirements are not enforced (nothing to judge by yet).
MIN_LATENCY_SAMPLES = 20

HealthSnapshot = Mapping[str, ModelHealth]


class HealthRegistry:
    """Breakers and latency windows for every model alias, created on first sight."""

    def __init__(self, settings: Circuit, clock: Clock, latency: "dict[str, LatencyWindow] | None" = None) -> None:
        """``latency``: windows to keep (a new policy's breakers start afresh; what was measured stays)."""
        self.settings = settings
        self.clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._latency: dict[str, LatencyWindow] = latency if latency is not None else {}
        #: called with (alias, cooldown_s) when a breaker opens here (a team gateway publishes it)
        self.on_opened: Callable[[str, float], None] | None = None

    @property
    def latency_windows(self) -> dict[str, LatencyWindow]:
        return self._latency

    def seed_ttft(self, history: Mapping[str, "list[float] | tuple[float, ...]"]) -> None:
        """Times to first token per alias from the routing log, oldest first: the first-token
        deadlines fit each model from the first request, not only after this process measured it."""
        for alias, values in history.items():
            if values:
                self._latency.setdefault(alias, LatencyWindow()).seed_ttft(values)

    def breaker(self, alias: str) -> CircuitBreaker:
        found = self._breakers.get(alias)
        if found is None:
            found = self._breakers[alias] = CircuitBreaker(self.settings, self.clock)
        return found

    def observe(self, alias: str, outcome: Outcome, latency_ms: float, ttft_ms: float | None) -> None:
        """Feed one finished attempt (``ttft_ms`` None unless it was streamed)."""
        if outcome is Outcome.OK:
            self.breaker(alias).on_success()
            self._latency.setdefault(alias, LatencyWindow()).add(latency_ms, ttft_ms)
        elif outcome in COUNTS_AGAINST_HEALTH:
            breaker = self.breaker(alias)
            if breaker.on_failure() and self.on_opened is not None:
                self.on_opened(alias, breaker.cooldown_s)
        else:
            self.breaker(alias).release_probe()

    def trip(self, alias: str, cooldown_s: float) -> None:
        """Open ``alias``'s circuit for ``cooldown_s`` on another instance's word (not re-announced)."""
        self.breaker(alias).trip(cooldown_s)

    def snapshot(self) -> dict[str, ModelHealth]:
        aliases = set(self._breakers) | set(self._latency)
        view = {}
        for alias in aliases:
            breaker = self._breakers.get(alias)
            window = self._latency.get(alias)
            p95, ttft_p95 = window.p95s() if window else (None, None)
            view[alias] = ModelHealth(
                circuit=breaker.state() if breaker else CircuitState.CLOSED,
                reopens_in_s=breaker.reopens_in() if breaker else 0.0,
                p95_ms=p95,
                ttft_p95_ms=ttft_p95,
                samples=len(window.latency_ms) if window else 0,
                ttft_samples=len(window.ttft_ms) if window else 0,
            )
        return view
