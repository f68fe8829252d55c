"""The fault matrix: every fault the fault server can play, through a real Engine, streaming and not.

Each case puts the fault first in a chain whose last model answers, and asserts the outcome of the
request, the exact chain of attempt outcomes, and that the time taken fits the configured timeouts.
Faults are chosen by model name on one real loopback HTTP server (tests/support/fault_server.py).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

import pytest

from console.core.engine import Engine
from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.events import Delta, Discarded, RouteResult
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

FIRST_TOKEN_S = 0.6
IDLE_S = 0.6
TOTAL_S = 3.0
_tags = itertools.count()


@dataclass(frozen=True)
class Case:
    fault: str
    chain: tuple[str, ...]  # attempt outcomes in order, the fallback's "ok" included
    final: str = "ok"
    max_s: float = 2.0  # wall time the request may take at most
    route: tuple[tuple[str, object], ...] = ()
    streaming_only: bool = False
    plain_only: bool = False
    answered_by: str = "fallback"


CASES = [
    Case("ok", ("ok",), max_s=1.0, answered_by="first"),
    Case("slow-ok:ms=300", ("ok",), max_s=1.5, answered_by="first"),
    Case("429:retry_after=0.3", ("rate_limited", "rate_limited", "ok"), max_s=2.0),
    Case("429:retry_after=30", ("rate_limited", "ok"), max_s=1.0, route=(("latency", {"p95_ms": 5000}),)),
    Case("429:retry_after_date=30", ("rate_limited", "ok"), max_s=1.0, route=(("latency", {"p95_ms": 5000}),)),
    Case("500", ("server_error", "server_error", "ok")),
    Case("502", ("server_error", "server_error", "ok")),
    Case("503", ("unavailable", "unavailable", "ok")),
    Case("401", ("auth", "ok")),
    Case("400", ("bad_request",), final="bad_request", route=(("fallback_on", ["rate_limited"]),)),
    Case("400-context", ("context_overflow", "ok")),
    Case("400-content-policy", ("content_policy",), final="content_policy"),
    Case("content-filter", ("content_policy",), final="content_policy"),
    Case("hang", ("first_token_timeout", "ok"), max_s=FIRST_TOKEN_S + 1.0, streaming_only=True),
    Case("hang", ("timeout", "ok"), max_s=TOTAL_S + 1.0, plain_only=True),
    Case("hang-first-token:s=30", ("first_token_timeout", "ok"), max_s=FIRST_TOKEN_S + 1.0, streaming_only=True),
    Case("stall:after=3", ("timeout", "ok"), max_s=IDLE_S + 1.0, streaming_only=True),
    Case("cut:after=3", ("stream_cut", "stream_cut", "ok"), streaming_only=True),
    Case("no-done", ("ok",), answered_by="first", streaming_only=True),
    Case("no-finish", ("stream_cut", "stream_cut", "ok"), streaming_only=True),
    Case("malformed-sse", ("invalid_output", "ok")),
    Case("empty", ("empty_output", "ok")),
    Case("invalid-json", ("invalid_output", "ok"), route=(("output", {"json": True}),)),
    Case("reset", ("unavailable", "unavailable", "ok"), route=(("retries", {"max": 0, "backoff_ms": 10}),)),
    Case("seq:500,ok", ("server_error", "ok"), answered_by="first"),
]


def policy_for(server: FaultServer, fault: str, tag: str, route_overrides: dict) -> Policy:
    route = {
        "candidates": ["first", "fallback"],
        "retries": {"max": 1, "backoff_ms": 20, "max_backoff_ms": 100},
        "timeouts": {"connect_s": 1, "first_token_s": FIRST_TOKEN_S, "idle_s": IDLE_S, "total_s": TOTAL_S},
        "fallback_on": [o for o in Outcome if o not in (Outcome.OK, Outcome.CONTENT_POLICY, Outcome.BAD_REQUEST)],
    }
    route.update(route_overrides)
    return Policy.model_validate(
        {
            "name": "fault-matrix",
            "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
            "models": {
                "first": {"provider": "faulty", "model": f"{fault}#{tag}", "context_window": 4096,
                          "prices": {"input": 1, "output": 2}},
                "fallback": {"provider": "faulty", "model": f"{'ok-json' if 'output' in route_overrides else 'ok'}#{tag}",
                             "context_window": 100000,
                             "prices": {"input": 1, "output": 2}},
            },
            "tasks": {"t": {}},
            "classification": {"default": "t"},
            "routes": {"t": route},
        }
    )


async def run_case(engine: Engine, streaming: bool) -> tuple[RouteResult, list, float]:
    request = Request.from_prompt("tell me about the fault matrix", stream=streaming)
    t0 = time.monotonic()
    events = []
    if streaming:
        async for event in engine.route_stream(request):
            events.append(event)
        result = events[-1]
    else:
        result = await engine.route(request)
    elapsed = time.monotonic() - t0
    await engine.aclose()
    return result, events, elapsed


# A hang is a first-token timeout when streaming and a total timeout when not; such faults have
# one case per wire mode instead of a skipped twin.
MATRIX = [
    pytest.param(case, streaming, id=f"{case.fault}-{'stream' if streaming else 'plain'}")
    for case in CASES
    for streaming in (True, False)
    if not (case.streaming_only and not streaming) and not (case.plain_only and streaming)
]


@pytest.mark.parametrize(("case", "streaming"), MATRIX)
def test_fault_through_the_engine(fault_server: FaultServer, case: Case, streaming: bool) -> None:
    tag = f"c{next(_tags)}"
    engine = Engine(policy_for(fault_server, case.fault, tag, dict(case.route)))
    result, events, elapsed = asyncio.run(run_case(engine, streaming))

    assert [a.outcome.value for a in result.attempts] == list(case.chain), result.error
    assert result.outcome.value == case.final
    assert elapsed <= case.max_s, f"took {elapsed:.2f}s, limit {case.max_s}s"
    if case.final == "ok":
        assert result.answered_by == case.answered_by
        assert result.text.strip()
        assert result.attempts[-1].answered_model_id
    else:
        assert result.error and case.final in result.error  # the caller sees why, with the chain
        assert "first" in result.error
    # failed attempts are charged only for what the provider bills (usage it reported, or output that
    # streamed before a failure); one that produced nothing billable costs nothing
    for attempt in result.attempts[:-1] if case.final == "ok" else result.attempts:
        if attempt.outcome is not Outcome.OK and attempt.output_tokens == 0 and attempt.input_tokens == 0:
            assert attempt.cost_usd == 0
    if streaming and any(isinstance(e, Delta) and e.model == "first" for e in events) and case.answered_by != "first":
        discarded = [e for e in events if isinstance(e, Discarded)]
        assert discarded and discarded[0].model == "first"  # the caller is told the partial text is void


def test_retry_after_is_honoured_and_retries_do_not_hammer(fault_server: FaultServer) -> None:
    engine = Engine(policy_for(fault_server, "seq:429:retry_after=0.4,ok", "spacing", {}))
    result, _, _ = asyncio.run(run_case(engine, False))
    assert [a.outcome.value for a in result.attempts] == ["rate_limited", "ok"]
    hits = fault_server.requests_for("seq:429:retry_after=0.4,ok#spacing")
    assert len(hits) == 2 and hits[1].at - hits[0].at >= 0.4


def test_retry_after_longer_than_what_is_left_of_the_latency_budget_falls_back(fault_server: FaultServer) -> None:
    # p95 700 ms: the first Retry-After (0.4 s) fits and is waited for; the second comes 0.4 s in,
    # when only 0.3 s are left, so the chain moves on instead of waiting (it would then have got
    # "ok" from the first model, well past the requirement).
    fault = "seq:429:retry_after=0.4,429:retry_after=0.4,ok"
    route = {"retries": {"max": 3, "backoff_ms": 20, "max_backoff_ms": 100}, "latency": {"p95_ms": 700}}
    engine = Engine(policy_for(fault_server, fault, "budget-left", route))
    result, _, elapsed = asyncio.run(run_case(engine, False))
    assert [(a.model_alias, a.outcome.value) for a in result.attempts] == [
        ("first", "rate_limited"), ("first", "rate_limited"), ("fallback", "ok")]
    assert 0.4 <= elapsed < 0.7


def test_circuit_opens_then_recovers_through_a_probe(fault_server: FaultServer) -> None:
    clock = [0.0]
    policy = policy_for(fault_server, "seq:500,500,500,500,ok", "breaker", {"retries": {"max": 0}})
    policy.circuit.failures = 2
    policy.circuit.cooldown_s = 30
    policy.circuit.cooldown_multiplier = 2
    policy.circuit.max_cooldown_s = 120
    engine = Engine(policy, clock=lambda: clock[0])

    async def scenario() -> list[list[str]]:
        chains = []
        for step in range(4):
            if step == 3:
                clock[0] += 31  # cooldown over: the next request probes the first model again
            result = await engine.route(Request.from_prompt("hi"))
            chains.append([f"{a.model_alias}:{a.outcome.value}" for a in result.attempts])
        await engine.aclose()
        return chains

    chains = asyncio.run(scenario())
    assert chains[0] == ["first:server_error", "fallback:ok"]
    assert chains[1] == ["first:server_error", "fallback:ok"]
    assert chains[2] == ["fallback:ok"]  # open: the plan drops it, no request sent
    assert chains[3] == ["first:server_error", "fallback:ok"]  # half-open probe (3rd fault), fails
    plan = engine.explain(Request.from_prompt("hi"))
    assert "circuit open" in plan.candidates[0].reason
    assert engine.health.breaker("first").cooldown_s == 60  # reopened with a longer cooldown
