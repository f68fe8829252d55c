"""plan_route: reasons for every drop, budgets, residency, health; properties with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.request import Request
from console.core.routing.health import CircuitState, ModelHealth
from console.core.routing.plan import plan_route
from tests.core.routing.policies import base_policy


def reasons(plan) -> dict[str, str]:
    return {c.model: c.reason for c in plan.candidates}


def test_plain_plan_keeps_the_route_in_order() -> None:
    plan = plan_route(Request.from_prompt("where is my parcel"), base_policy())
    assert plan.task == "routine"
    assert [c.model for c in plan.kept] == ["mid", "mid-eu", "local"]
    assert plan.estimated_input_tokens > 0 and plan.max_output_tokens == 512


def test_eu_request_never_leaves_eu_or_on_prem() -> None:
    plan = plan_route(Request.from_prompt("refund please", metadata={"region": "eu"}), base_policy())
    assert [c.model for c in plan.kept] == ["mid-eu", "local"]
    assert "region us not allowed for eu data" in reasons(plan)["frontier"]


def test_unlisted_request_region_is_strict() -> None:
    plan = plan_route(Request.from_prompt("hello", metadata={"region": "apac"}), base_policy())
    assert [c.model for c in plan.kept] == ["local"]


def test_cost_ceiling_drops_with_estimate() -> None:
    policy = base_policy()
    policy.routes["routine"].max_cost_usd = 0.0005
    plan = plan_route(Request.from_prompt("hello"), policy)
    # mid: 512 output tokens * $1.5/M = $0.000768 > ceiling
    assert "over the ceiling $0.000500" in reasons(plan)["mid"]
    assert [c.model for c in plan.kept] == ["local"]


def test_context_too_small() -> None:
    plan = plan_route(Request.from_prompt("word " * 2000, task_hint="escalation"), base_policy())
    assert "context too small" in reasons(plan)["local"]
    assert plan.candidates[0].kept


def test_open_circuit_and_slow_model_are_dropped() -> None:
    health = {
        "mid": ModelHealth(circuit=CircuitState.OPEN, reopens_in_s=12),
        "mid-eu": ModelHealth(p95_ms=9000, samples=50),
    }
    policy = base_policy()
    policy.routes["routine"].latency.p95_ms = 2000
    plan = plan_route(Request.from_prompt("hi"), policy, health=health)
    assert reasons(plan)["mid"] == "circuit open (retry in 12s)"
    assert "p95 latency 9000 ms over the requirement 2000 ms" in reasons(plan)["mid-eu"]
    assert [c.model for c in plan.kept] == ["local"]


def test_too_few_latency_samples_are_not_judged() -> None:
    policy = base_policy()
    policy.routes["routine"].latency.p95_ms = 2000
    plan = plan_route(Request.from_prompt("hi"), policy, health={"mid": ModelHealth(p95_ms=9000, samples=3)})
    assert plan.candidates[0].kept


def test_budget_fallback_appends_the_cheaper_model() -> None:
    plan = plan_route(Request.from_prompt("refund!"), base_policy(), spend={"frontier-daily": 50.01})
    assert not plan.candidates[0].kept
    assert "budget 'frontier-daily' reached: $50.01 of $50.00 this day" in plan.candidates[0].reason
    appended = plan.candidates[-1]
    assert appended.model == "mid" and appended.kept and appended.via_budget == "frontier-daily"


def test_budget_block_stops_everything_and_warn_only_warns() -> None:
    blocked = plan_route(Request.from_prompt("hi", metadata={"team": "growth"}), base_policy(), spend={"team-growth": 6})
    assert blocked.blocked_by == "team-growth" and not blocked.kept
    warned = plan_route(Request.from_prompt("hi"), base_policy(), spend={"all-warn": 1200})
    assert warned.kept and any("all-warn" in w for w in warned.warnings)


def test_unknown_task_route_is_a_warning_not_a_crash() -> None:
    policy = base_policy()
    del policy.routes["triage"]
    plan = plan_route(Request.from_prompt("x", task_hint="triage"), policy)
    assert plan.candidates == () and "no route for task 'triage'" in plan.warnings[0]


# --- properties ------------------------------------------------------------------------------

words = st.sampled_from(["refund", "hello", "invoice", "lawyer", "unacceptable", "parcel", "cancel", "word"])
requests = st.builds(
    lambda ws, region, team, tier, hint, max_tokens: Request.from_prompt(
        " ".join(ws),
        metadata={k: v for k, v in {"region": region, "team": team, "tier": tier}.items() if v},
        task_hint=hint,
        max_tokens=max_tokens,
    ),
    st.lists(words, min_size=1, max_size=60),
    st.sampled_from([None, "eu", "us", "apac"]),
    st.sampled_from([None, "growth", "support"]),
    st.sampled_from([None, "vip"]),
    st.sampled_from([None, "triage", "escalation", "long_thread", "bogus"]),
    st.sampled_from([None, 16, 512, 4000]),
)
healths = st.dictionaries(
    st.sampled_from(["frontier", "mid", "mid-eu", "long", "local"]),
    st.builds(
        ModelHealth,
        circuit=st.sampled_from(list(CircuitState)),
        reopens_in_s=st.floats(0, 100),
        p95_ms=st.one_of(st.none(), st.floats(1, 20000)),
        ttft_p95_ms=st.one_of(st.none(), st.floats(1, 5000)),
        samples=st.integers(0, 100),
    ),
)
spends = st.dictionaries(st.sampled_from(["frontier-daily", "team-growth", "all-warn"]), st.floats(0, 2000))
POLICY = base_policy()
POLICY.routes["routine"].latency.p95_ms = 3000


@settings(max_examples=300, deadline=None)
@given(requests, healths, spends)
def test_plan_is_deterministic(request, health, spend) -> None:
    assert plan_route(request, POLICY, health=health, spend=spend) == plan_route(request, POLICY, health=health, spend=spend)


@settings(max_examples=300, deadline=None)
@given(requests, healths, spends)
def test_kept_candidates_pass_every_check(request, health, spend) -> None:
    plan = plan_route(request, POLICY, health=health, spend=spend)
    for c in plan.kept:
        assert c.reason in ("passes every check",) or c.reason.startswith("fallback for budget")
        assert health.get(c.model, ModelHealth()).circuit is not CircuitState.OPEN
        model = POLICY.models[c.model]
        assert plan.estimated_input_tokens + plan.max_output_tokens <= model.context_window
    for c in plan.dropped:
        assert c.reason  # every drop says why
    if plan.blocked_by:
        assert not plan.kept


@settings(max_examples=300, deadline=None)
@given(requests, healths, spends)
def test_region_tagged_requests_never_leave_their_region(request, health, spend) -> None:
    plan = plan_route(request, POLICY, health=health, spend=spend)
    region = request.metadata.get("region")
    if region:
        allowed = POLICY.allowed_regions_for(region)
        assert all(POLICY.models[c.model].region in allowed for c in plan.kept)
