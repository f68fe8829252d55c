"""The split: within ±1 % of the target share over 10,000 requests, sticky per key, growing without reshuffling."""

from __future__ import annotations

import pytest

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.rollout.split import BASELINE, CANDIDATE, route_splits, variant_policy


def _policy(sticky_by: str = "request", candidates: list[str] | None = None) -> Policy:
    return Policy.model_validate({
        "name": "p",
        "providers": {"local": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": {m: {"provider": "local", "model": m} for m in ("premium", "cheap", "backup")},
        "tasks": {"chat": {}, "other": {}},
        "classification": {"default": "chat"},
        "routes": {
            "chat": {"candidates": candidates or ["premium", "backup"],
                     "rollout": {"candidate": "cheap", "replaces": "premium", "sticky_by": sticky_by}},
            "other": {"candidates": ["premium"]},
        },
    })


@pytest.mark.parametrize("share", [5.0, 25.0, 50.0, 90.0])
def test_the_split_is_within_one_percent_of_its_share_over_10000_requests(share: float) -> None:
    split = route_splits(_policy())["chat"]
    request = Request.from_prompt("hi")
    arms = [split.arm(request, f"{i:032x}", share) for i in range(10_000)]
    on_b = arms.count(CANDIDATE) / len(arms) * 100
    assert abs(on_b - share) <= 1.0, on_b


def test_the_split_is_sticky_per_key_and_only_adds_keys_as_the_share_grows() -> None:
    split = route_splits(_policy("meta.customer"))["chat"]
    customers = [f"customer-{i}" for i in range(10_000)]
    by_share = {}
    for share in (5.0, 25.0, 50.0, 100.0):
        arms = {}
        for customer in customers:
            first = split.arm(Request.from_prompt("a", metadata={"customer": customer}), "id-1", share)
            again = split.arm(Request.from_prompt("another prompt", metadata={"customer": customer}), "id-2", share)
            assert first == again  # the same customer, whatever the request: the same arm
            arms[customer] = first
        by_share[share] = {c for c, arm in arms.items() if arm == CANDIDATE}
        assert abs(len(by_share[share]) / 100 - share) <= 1.0
    assert by_share[5.0] <= by_share[25.0] <= by_share[50.0] <= by_share[100.0] == set(customers)
    assert split.arm(Request.from_prompt("a", metadata={"customer": "x"}), "id", 0.0) == BASELINE


def test_a_request_without_the_sticky_key_is_split_by_its_request_id() -> None:
    split = route_splits(_policy("meta.customer"))["chat"]
    bare = Request.from_prompt("no customer")
    arms = [split.arm(bare, f"{i:032x}", 50.0) for i in range(2_000)]
    assert 0.45 < arms.count(CANDIDATE) / len(arms) < 0.55


def test_rollouts_of_different_routes_or_candidates_split_independently() -> None:
    one = route_splits(_policy())["chat"]
    other_policy = _policy().model_copy(update={"name": "q"})
    two = route_splits(other_policy)["chat"]
    request = Request.from_prompt("hi")
    same = sum(one.arm(request, f"{i}", 50.0) == two.arm(request, f"{i}", 50.0) for i in range(4_000))
    assert 0.45 < same / 4_000 < 0.55  # unrelated, not the same buckets


def test_on_the_candidate_arm_b_takes_a_s_place_and_nothing_else_changes() -> None:
    policy = _policy()
    variant = variant_policy(policy, "chat", policy.routes["chat"].rollout)
    assert variant.routes["chat"].candidates == ["cheap", "backup"]
    assert variant.routes["other"] == policy.routes["other"] and policy.routes["chat"].candidates == ["premium", "backup"]
    already_there = _policy(candidates=["premium", "cheap"])
    assert variant_policy(already_there, "chat", already_there.routes["chat"].rollout).routes["chat"].candidates == ["cheap"]
