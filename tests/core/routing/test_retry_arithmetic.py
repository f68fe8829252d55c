"""The retry arithmetic of the attempt chain, exactly: backoff, jitter, cap, Retry-After, the free retry.

The Engine's injectable ``sleep``, ``rng`` and ``clock`` make it exact and instant: the sleep
records each wait and moves the clock by it, the rng answers an edge of the jitter range, and
the latency requirement is measured on that clock. Failures are real HTTP answers from the fault
server (statuses, Retry-After headers, resets before any byte).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import pytest

from console.core.engine import Engine
from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.events import RouteResult
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

_tags = itertools.count()


class FakeTime:
    """A clock that only moves when the engine sleeps; every wait is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class EdgeRandom(random.Random):
    """Answers the low or the high end of every jitter range, and remembers the ranges asked."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.ranges.append((a, b))
        return b if self.high else a


def route_once(server: FaultServer, fault: str, route: dict[str, Any], *, high: bool = True) -> tuple[RouteResult, FakeTime, EdgeRandom]:
    tag = next(_tags)
    policy = Policy.model_validate({
        "name": "retries",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
        "models": {
            "first": {"provider": "faulty", "model": f"{fault}#r{tag}", "prices": {"input": 1, "output": 2}},
            "fallback": {"provider": "faulty", "model": f"ok#f{tag}", "prices": {"input": 1, "output": 2}},
        },
        "tasks": {"t": {}},
        "classification": {"default": "t"},
        "circuit": {"failures": 10},
        "routes": {"t": {"candidates": ["first", "fallback"], "fallback_on": [o.value for o in Outcome if o is not Outcome.OK],
                         **route}},
    })
    fake, rng = FakeTime(), EdgeRandom(high)
    engine = Engine(policy, clock=fake.clock, sleep=fake.sleep, rng=rng)

    async def go() -> RouteResult:
        try:
            return await engine.route(Request.from_prompt("retry me"))
        finally:
            await engine.aclose()

    return asyncio.run(go()), fake, rng


def chain(result: RouteResult) -> list[str]:
    return [f"{a.model_alias}:{a.outcome.value}:{a.retry_index}" for a in result.attempts]


@pytest.mark.parametrize("high, waits", [(True, [0.1, 0.2, 0.25]), (False, [0.05, 0.1, 0.2])])
def test_backoff_doubles_with_jitter_and_stops_at_the_cap(fault_server: FaultServer, high: bool, waits: list[float]) -> None:
    result, fake, rng = route_once(fault_server, "seq:500,500,500,ok",
                                   {"retries": {"max": 3, "backoff_ms": 100, "max_backoff_ms": 250}}, high=high)
    assert chain(result) == ["first:server_error:0", "first:server_error:1", "first:server_error:2", "first:ok:3"]
    assert rng.ranges == [(0.05, 0.1), (0.1, 0.2), (0.2, 0.4)]  # jitter within [base/2, base], base doubling
    assert fake.slept == pytest.approx(waits)  # the third wait is capped at max_backoff_ms


def test_retries_run_out_then_the_chain_falls_back(fault_server: FaultServer) -> None:
    result, fake, _ = route_once(fault_server, "500", {"retries": {"max": 2, "backoff_ms": 100, "max_backoff_ms": 1000}})
    assert chain(result) == ["first:server_error:0", "first:server_error:1", "first:server_error:2", "fallback:ok:0"]
    assert len(fake.slept) == 2


def test_timeouts_and_bad_requests_are_never_retried_on_the_same_model(fault_server: FaultServer) -> None:
    result, fake, _ = route_once(fault_server, "400", {"retries": {"max": 3}})
    assert chain(result) == ["first:bad_request:0", "fallback:ok:0"] and fake.slept == []


def test_retry_after_wins_over_a_shorter_backoff(fault_server: FaultServer) -> None:
    result, fake, _ = route_once(fault_server, "seq:429:retry_after=3,ok", {"retries": {"max": 1, "backoff_ms": 100}})
    assert chain(result) == ["first:rate_limited:0", "first:ok:1"]
    assert fake.slept == [3.0]


@pytest.mark.parametrize("backoff_ms, expected, waits", [
    # 1.5 s spent on the first backoff leaves 1.5 s of the 3 s requirement: Retry-After 2 s does not fit
    (1500, ["first:server_error:0", "first:rate_limited:1", "fallback:ok:0"], [1.5]),
    # 0.5 s spent leaves 2.5 s: the 2 s Retry-After is waited out and the same model answers
    (500, ["first:server_error:0", "first:rate_limited:1", "first:ok:2"], [0.5, 2.0]),
])
def test_retry_after_is_weighed_against_what_is_left_of_the_latency_requirement(
    fault_server: FaultServer, backoff_ms: int, expected: list[str], waits: list[float]
) -> None:
    route = {"retries": {"max": 3, "backoff_ms": backoff_ms, "max_backoff_ms": 10000}, "latency": {"p95_ms": 3000}}
    result, fake, _ = route_once(fault_server, "seq:500,429:retry_after=2,ok", route)
    assert chain(result) == expected
    assert fake.slept == pytest.approx(waits)


def test_retry_after_longer_than_the_route_can_wait_falls_back_at_once(fault_server: FaultServer) -> None:
    route = {"retries": {"max": 3}, "timeouts": {"total_s": 5}}
    result, fake, _ = route_once(fault_server, "429:retry_after=30", route)
    assert chain(result) == ["first:rate_limited:0", "fallback:ok:0"] and fake.slept == []


def test_a_failure_before_any_byte_gets_one_free_retry(fault_server: FaultServer) -> None:
    # No retries allowed, yet a reset before the first response byte is retried once...
    result, fake, _ = route_once(fault_server, "seq:reset,ok", {"retries": {"max": 0, "backoff_ms": 100}})
    assert chain(result) == ["first:unavailable:0", "first:ok:1"] and len(fake.slept) == 1
    # ...only once...
    result, fake, _ = route_once(fault_server, "seq:reset,reset,ok", {"retries": {"max": 0, "backoff_ms": 100}})
    assert chain(result) == ["first:unavailable:0", "first:unavailable:1", "fallback:ok:0"]
    # ...and on top of the route's own retries, which are spent first.
    result, fake, _ = route_once(fault_server, "seq:reset,reset,reset,ok", {"retries": {"max": 1, "backoff_ms": 100}})
    assert chain(result) == ["first:unavailable:0", "first:unavailable:1", "first:unavailable:2", "fallback:ok:0"]
    assert len(fake.slept) == 2


def test_an_answered_failure_gets_no_free_retry(fault_server: FaultServer) -> None:
    result, fake, _ = route_once(fault_server, "seq:500,ok", {"retries": {"max": 0}})
    assert chain(result) == ["first:server_error:0", "fallback:ok:0"] and fake.slept == []
