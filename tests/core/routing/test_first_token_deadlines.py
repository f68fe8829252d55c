"""First-token deadlines that fit the model: a multiple of its measured p95, floored and capped, the
route's static value without history, the route's own settings over the policy's; pure, in the plan.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.health import HealthRegistry, ModelHealth
from console.core.routing.plan import plan_route


def policy(**route_extra: Any) -> Policy:
    return Policy.model_validate({
        "name": "deadlines",
        "providers": {"p": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9"}},
        "models": {"chat": {"provider": "p", "model": "c"}, "thinker": {"provider": "p", "model": "t"}},
        "tasks": {"t": {}},
        "classification": {"default": "t"},
        "routes": {"t": {"candidates": ["chat", "thinker"], "timeouts": {"first_token_s": 20}, **route_extra}},
        "first_token_deadline": {"p95_multiple": 3, "floor_s": 1, "ceiling_s": 120, "min_samples": 20},
    })


def deadlines(pol: Policy, health: dict[str, ModelHealth]) -> dict[str, tuple[float | None, str]]:
    plan = plan_route(Request.from_prompt("hi"), pol, health=health)
    return {c.model: (c.first_token_s, c.first_token_source) for c in plan.candidates}


def test_history_sets_each_models_deadline_between_floor_and_ceiling() -> None:
    got = deadlines(policy(), {
        "chat": ModelHealth(ttft_p95_ms=400, ttft_samples=50),  # 3 × 0.4 s = 1.2 s
        "thinker": ModelHealth(ttft_p95_ms=30_000, ttft_samples=50),  # 3 × 30 s = 90 s
    })
    assert got["chat"][0] == pytest.approx(1.2) and "3 × p95 first token 0.40 s over 50" in got["chat"][1]
    assert got["thinker"][0] == pytest.approx(90)
    floored = deadlines(policy(), {"chat": ModelHealth(ttft_p95_ms=50, ttft_samples=50),
                                   "thinker": ModelHealth(ttft_p95_ms=90_000, ttft_samples=50)})
    assert floored["chat"][0] == 1 and "raised to the policy's floor 1 s" in floored["chat"][1]
    assert floored["thinker"][0] == 120 and "lowered to the policy's ceiling 120 s" in floored["thinker"][1]


def test_without_enough_history_the_routes_static_value_applies() -> None:
    got = deadlines(policy(), {"chat": ModelHealth(ttft_p95_ms=400, ttft_samples=19)})
    assert got["chat"] == (20, "the route's first_token_s (first-token history: 19 of 20 streamed answers needed)")
    assert got["thinker"][0] == 20 and "0 of 20" in got["thinker"][1]


def test_the_route_overrides_the_policys_settings() -> None:
    history = {"chat": ModelHealth(ttft_p95_ms=400, ttft_samples=50)}
    off = deadlines(policy(first_token_deadline={"adaptive": False}), history)
    assert off["chat"] == (20, "the route's first_token_s (the route's adaptive deadlines are off)")
    own = deadlines(policy(first_token_deadline={"p95_multiple": 10, "floor_s": 0.5, "min_samples": 5}), history)
    assert own["chat"][0] == pytest.approx(4.0) and "10 × p95" in own["chat"][1]


def test_a_floor_above_the_ceiling_is_refused_with_its_place() -> None:
    with pytest.raises(ValidationError, match="floor_s .* is above ceiling_s"):
        policy(first_token_deadline={"floor_s": 10, "ceiling_s": 5})


def test_the_registry_counts_streamed_first_tokens_after_the_logs_and_keeps_them_across_breakers() -> None:
    registry = HealthRegistry(policy().circuit, lambda: 0.0)
    registry.seed_ttft({"chat": [100.0] * 18})
    assert registry.snapshot()["chat"].ttft_samples == 18
    registry.observe("chat", Outcome.OK, 900.0, None)  # a non-streamed answer: no first token to count
    registry.observe("chat", Outcome.OK, 900.0, 2000.0)
    registry.observe("chat", Outcome.OK, 900.0, 2000.0)
    view = registry.snapshot()["chat"]
    assert view.ttft_samples == 20 and view.ttft_p95_ms == 2000.0
    assert deadlines(policy(), registry.snapshot())["chat"][0] == 6.0
    again = HealthRegistry(registry.settings, lambda: 0.0, registry.latency_windows)
    assert again.snapshot()["chat"].ttft_samples == 20
