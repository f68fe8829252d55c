"""Circuit breakers and latency windows, with time driven by hand."""

from __future__ import annotations

from console.core.outcomes import Outcome
from console.core.policy.schema import Circuit
from console.core.routing.health import CircuitBreaker, CircuitState, HealthRegistry


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_n_failures_within_the_window_only() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(Circuit(failures=3, window_s=10, cooldown_s=5), clock)
    breaker.on_failure()
    clock.now += 11  # the first failure has left the window
    breaker.on_failure()
    breaker.on_failure()
    assert breaker.state() is CircuitState.CLOSED
    breaker.on_failure()
    assert breaker.state() is CircuitState.OPEN
    assert not breaker.allow()


def test_half_open_allows_one_probe_and_success_closes() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(Circuit(failures=1, window_s=10, cooldown_s=5), clock)
    breaker.on_failure()
    clock.now += 5
    assert breaker.state() is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # a second request waits for the probe's verdict
    breaker.on_success()
    assert breaker.state() is CircuitState.CLOSED and breaker.allow()


def test_failed_probe_reopens_with_doubled_cooldown_capped() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(Circuit(failures=1, window_s=10, cooldown_s=5, max_cooldown_s=12), clock)
    breaker.on_failure()
    for expected in (10, 12, 12):
        clock.now += breaker.cooldown_s
        assert breaker.allow()
        breaker.on_failure()
        assert breaker.state() is CircuitState.OPEN
        assert breaker.cooldown_s == expected
    clock.now += 12
    assert breaker.allow()
    breaker.on_success()
    assert breaker.cooldown_s == 5


def test_registry_only_counts_provider_trouble_and_tracks_p95() -> None:
    clock = ManualClock()
    registry = HealthRegistry(Circuit(failures=2), clock)
    registry.observe("a", Outcome.BAD_REQUEST, 10, None)
    registry.observe("a", Outcome.CONTEXT_OVERFLOW, 10, None)
    assert registry.snapshot()["a"].circuit is CircuitState.CLOSED
    registry.observe("a", Outcome.SERVER_ERROR, 10, None)
    registry.observe("a", Outcome.TIMEOUT, 10, None)
    assert registry.snapshot()["a"].circuit is CircuitState.OPEN
    for ms in range(1, 101):
        registry.observe("b", Outcome.OK, float(ms), ms / 10)
    view = registry.snapshot()["b"]
    assert view.samples == 100 and view.p95_ms == 95.0 and view.ttft_p95_ms == 9.5


def test_successes_in_between_do_not_hide_a_failure_rate() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(Circuit(failures=3, window_s=60, cooldown_s=5), clock)
    for _ in range(3):  # half the calls fail: three failures within the window open the circuit
        breaker.on_failure()
        breaker.on_success()
        clock.now += 1
    assert breaker.state() is CircuitState.OPEN


def test_a_probe_released_without_verdict_can_be_sent_again() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(Circuit(failures=1, cooldown_s=5), clock)
    breaker.on_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.release_probe()  # e.g. the caller cancelled the probe request
    assert breaker.allow()
