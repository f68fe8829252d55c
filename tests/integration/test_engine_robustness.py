"""The Engine under the awkward timings reviewers found: cancelled probes, policies swapped mid-request."""

from __future__ import annotations

import asyncio

from console.core.engine import Engine
from console.core.outcomes import Outcome
from console.core.request import Request
from tests.integration.test_fault_matrix import policy_for
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.support.waiting import until


def test_a_cancelled_half_open_probe_does_not_lock_the_model_out(fault_server: FaultServer) -> None:
    clock = [0.0]
    policy = policy_for(fault_server, "seq:500,hang-first-token:s=30,ok", "probe", {"retries": {"max": 0}})
    policy.circuit.failures = 1
    engine = Engine(policy, clock=lambda: clock[0])

    async def scenario() -> list[str]:
        first = await engine.route(Request.from_prompt("hi"))
        clock[0] += 31  # cooldown over: the next request is the half-open probe
        probe = asyncio.ensure_future(engine.route(Request.from_prompt("hi")))
        await until(lambda: len(fault_server.requests) == 3, "the probe to reach the model")
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
        later = await engine.route(Request.from_prompt("hi"))
        await engine.aclose()
        return [a.model_alias + ":" + a.outcome.value for a in first.attempts + later.attempts]

    chain = asyncio.run(scenario())
    assert chain == ["first:server_error", "fallback:ok", "first:ok"]  # probed again, and closed by it


def test_a_policy_swapped_mid_request_does_not_change_that_request(fault_server: FaultServer) -> None:
    old = policy_for(fault_server, "slow-ok:ms=400", "swap", {})
    engine = Engine(old)
    new = old.model_copy(deep=True)
    new.models["first"].prices.input = 0.0
    new.models["first"].prices.output = 0.0
    del new.models["fallback"]
    new.routes["t"].candidates = ["first"]

    async def scenario():
        running = asyncio.ensure_future(engine.route(Request.from_prompt("price me")))
        await until(lambda: fault_server.requests, "the request to reach the model")  # it answers 400 ms later
        engine.set_policy(new)
        result = await running
        after = await engine.route(Request.from_prompt("price me"))
        await engine.aclose()
        return result, after

    during, after = asyncio.run(scenario())
    assert during.outcome is Outcome.OK and during.total_cost_usd > 0  # priced as planned, not at the new $0
    assert during.attempts[0].price_input == 1.0
    assert after.total_cost_usd == 0 and after.attempts[0].price_input == 0.0


def test_a_failover_after_a_reload_binds_by_the_requests_own_policy(fault_server: FaultServer) -> None:
    old = policy_for(fault_server, "hang-first-token:s=30", "rebind", {"retries": {"max": 0}})
    engine = Engine(old)
    new = old.model_copy(deep=True)
    del new.models["fallback"]
    new.routes["t"].candidates = ["first"]

    async def scenario():
        running = asyncio.ensure_future(engine.route(Request.from_prompt("x", stream=True)))
        await until(lambda: fault_server.requests, "the first model to be silent on the request")
        engine.set_policy(new)  # removes the fallback while the first model is still silent
        result = await running
        await engine.aclose()
        return result

    result = asyncio.run(scenario())
    assert [a.outcome.value for a in result.attempts] == ["first_token_timeout", "ok"]
    assert result.answered_by == "fallback"


def test_a_caller_that_cannot_take_back_text_ends_with_the_real_failure(fault_server: FaultServer) -> None:
    from console.core.records import MemoryRecorder
    from console.core.routing.events import Discarded, RouteResult

    recorder = MemoryRecorder()
    engine = Engine(policy_for(fault_server, "cut:after=3", "nodiscard", {}), recorder=recorder)

    async def scenario():
        events = [e async for e in engine.route_stream(Request.from_prompt("x"), stop_after_discard=True)]
        await engine.aclose()
        return events

    events = asyncio.run(scenario())
    assert any(isinstance(e, Discarded) for e in events)
    result = events[-1]
    assert isinstance(result, RouteResult)
    assert [a.outcome.value for a in result.attempts] == ["stream_cut"]  # no retry, no fallback after text
    assert recorder.requests[0].outcome is Outcome.STREAM_CUT  # logged as the failure it was, not "cancelled"
