"""Circuit breakers and latency windows, with time driven by hand."""

from __future__ import annotations

import pytest

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
    breaker = CircuitBreaker(Circuit(failures=1, window_s=10, cooldown_s=5, cooldown_multiplier=2, max_cooldown_s=12), clock)
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


def recovery_delay(circuit: Circuit, down_s: float, every_s: float = 1.0) -> float:
    """A model down for ``down_s`` then healthy, asked every ``every_s`` (fake time): seconds from its
    recovery until a request reaches it and succeeds."""
    clock = ManualClock()
    registry = HealthRegistry(circuit, clock)
    start = clock.now
    while True:
        if registry.breaker("m").allow():
            healthy = clock.now - start >= down_s
            registry.observe("m", Outcome.OK if healthy else Outcome.SERVER_ERROR, 100.0, 50.0)
            if healthy:
                return clock.now - start - down_s
        clock.now += every_s


@pytest.mark.parametrize("down_s", [20, 60, 61, 300, 3600])
def test_traffic_returns_within_30_s_of_recovery_by_default(down_s: float) -> None:
    assert recovery_delay(Circuit(), down_s) <= 30


def test_a_dead_model_is_probed_at_most_once_per_cooldown() -> None:
    clock = ManualClock()
    registry = HealthRegistry(Circuit(), clock)
    probes = 0
    for _ in range(3600):  # an hour of one request a second to a model that never answers
        if registry.breaker("m").allow():
            probes += 1
            registry.observe("m", Outcome.SERVER_ERROR, 100.0, None)
        clock.now += 1
    assert probes <= Circuit().failures + 3600 / Circuit().cooldown_s  # never hammered
    assert probes >= 3600 / 30 - 1  # but probed at least every max_cooldown_s


def test_the_numbers_are_settable_and_a_longer_cap_means_a_later_return() -> None:
    patient = Circuit(cooldown_s=30, cooldown_multiplier=2, max_cooldown_s=600)
    assert recovery_delay(patient, 60) > 30  # the old defaults: 30 s, doubling, 600 s cap
    assert recovery_delay(Circuit(max_cooldown_s=5, cooldown_s=5), 600) <= 5
