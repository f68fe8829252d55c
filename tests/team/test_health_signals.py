"""A circuit opened on one instance opens on the others within the stated bound, over real Redis
pub/sub and real PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import threading
import time

import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Circuit
from console.core.routing.health import CircuitState, HealthRegistry
from console.core.team.health_signals import (
    PROPAGATION_BOUND_S,
    CircuitSignal,
    HealthSignals,
    PostgresHealthSignals,
    RedisHealthSignals,
)


def signals_for(kind: str, request: pytest.FixtureRequest, instance: str) -> HealthSignals:
    if kind == "redis":
        return RedisHealthSignals(request.getfixturevalue("redis_url"), instance)
    return PostgresHealthSignals(request.getfixturevalue("postgres_url"), instance)


def test_an_opening_on_one_instance_trips_the_others_within_the_bound(
    store_kind: str, request: pytest.FixtureRequest
) -> None:
    settings = Circuit(failures=2, window_s=10, cooldown_s=5, max_cooldown_s=30)
    registries = {name: HealthRegistry(settings, time.monotonic) for name in ("a", "b", "c")}
    signals = {name: signals_for(store_kind, request, name) for name in registries}
    tripped: dict[str, float] = {}
    lock = threading.Lock()

    def receiver(name: str):  # type: ignore[no-untyped-def]
        def receive(signal: CircuitSignal) -> None:
            registries[name].trip(signal.alias, signal.cooldown_s)  # a gateway does this on its loop
            with lock:
                tripped[name] = time.monotonic()
        return receive

    for name, bus in signals.items():
        registries[name].on_opened = bus.publish
        bus.start(receiver(name))
    try:
        registries["a"].observe("primary", Outcome.SERVER_ERROR, 10, None)
        assert not tripped and signals["a"].published == 0  # one failure opens nothing
        registries["a"].observe("primary", Outcome.SERVER_ERROR, 10, None)
        opened = time.monotonic()
        while len(tripped) < 2 and time.monotonic() - opened < 5:
            time.sleep(0.005)
        assert set(tripped) == {"b", "c"}  # the instance that opened it does not hear itself
        assert max(tripped.values()) - opened <= PROPAGATION_BOUND_S
        for name in ("b", "c"):
            view = registries[name].snapshot()["primary"]
            assert view.circuit is CircuitState.OPEN and 4 < view.reopens_in_s <= 5
    finally:
        for bus in signals.values():
            bus.stop()


def test_a_tripped_breaker_recovers_by_a_probe_like_its_own() -> None:
    now = [100.0]
    registry = HealthRegistry(Circuit(failures=3, window_s=10, cooldown_s=1, max_cooldown_s=30), lambda: now[0])
    registry.trip("primary", 2.0)
    breaker = registry.breaker("primary")
    assert not breaker.allow()
    now[0] += 2.0
    assert breaker.allow() and not breaker.allow()  # half-open: one probe
    breaker.on_success()
    assert registry.snapshot()["primary"].circuit is CircuitState.CLOSED


def test_malformed_signals_are_ignored() -> None:
    assert CircuitSignal.decode(b"not json") is None
    assert CircuitSignal.decode('{"alias": "x"}') is None
    assert CircuitSignal.decode(CircuitSignal("i", "m", 1.5).encode()) == CircuitSignal("i", "m", 1.5)
