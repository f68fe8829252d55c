"""A route's ``router:`` entry in plans and real requests: its order, its reasons, and its failures."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from console.core.engine import Engine
from console.core.learned_router import router_file
from console.core.learned_router.training import train
from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route
from tests.support import graded_history
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def router_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    router, _ = train(graded_history.history(), seed=1)
    return router_file.save(router, tmp_path_factory.mktemp("routers") / "made-up.router")


def policy(file: str | Path, url: str = "http://127.0.0.1:9/v1", target: float = 0.99) -> Policy:
    models = {name: {"provider": "p", "model": f"ok#{name}", "prices": {"input": price, "output": price}}
              for name, price in (("small", 0.1), ("medium", 1.0), ("large", 10.0))}
    models["cheap"] = {"provider": "p", "model": "small", "prices": {"input": 0.1, "output": 0.1}}
    return Policy.model_validate({
        "name": "router-test", "providers": {"p": {"kind": "openai-compatible", "base_url": url}},
        "models": models, "tasks": {"t": {}}, "classification": {"default": "t"},
        "routes": {"t": {"candidates": ["large", "medium", "small"], "retries": {"max": 0},
                         "router": {"file": str(file), "target": target}}}})


def prompts() -> tuple[str, str]:
    rng = random.Random(42)
    return graded_history.prompt(0, rng), graded_history.prompt(2, rng)


def test_the_router_orders_candidates_per_prompt_and_says_why(router_path: Path) -> None:
    easy, hard = prompts()
    p = policy(router_path)
    easy_plan = plan_route(Request.from_prompt(easy), p)
    hard_plan = plan_route(Request.from_prompt(hard), p)
    def rank(plan, model: str) -> int:  # type: ignore[no-untyped-def]
        return [c.model for c in plan.kept].index(model)

    # clear margins only (small and medium are both likely to pass an easy prompt)
    assert rank(easy_plan, "small") < rank(easy_plan, "large") and easy_plan.kept[0].model != "large"
    assert hard_plan.kept[0].model == "large" and rank(hard_plan, "large") < rank(hard_plan, "small")
    assert [c.position for c in hard_plan.candidates] == [0, 1, 2]
    for decision in easy_plan.candidates:
        assert decision.pass_probability is not None and "router: P(pass)" in decision.reason
    assert easy_plan.router_note and "made-up.router" in easy_plan.router_note and "target 99%" in easy_plan.router_note
    assert not easy_plan.warnings


def test_a_model_is_matched_by_its_provider_id_and_unknown_ones_go_last(router_path: Path) -> None:
    p = policy(router_path)
    p.models["other"] = p.models["medium"].model_copy(update={"model": "not-in-the-router"})
    p.routes["t"].candidates = ["other", "cheap", "large"]
    plan = plan_route(Request.from_prompt(prompts()[0]), p)
    assert [c.model for c in plan.kept] == ["cheap", "large", "other"]
    assert "not in the router" in plan.kept[-1].reason


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated"])
def test_a_missing_or_broken_router_keeps_the_static_order_with_a_warning(router_path: Path, tmp_path: Path,
                                                                           damage: str) -> None:
    broken = tmp_path / "broken.router"
    if damage == "garbage":
        broken.write_bytes(b"not a router at all")
    elif damage == "truncated":
        broken.write_bytes(router_path.read_bytes()[:200])
    plan = plan_route(Request.from_prompt(prompts()[1]), policy(broken))
    assert [c.model for c in plan.kept] == ["large", "medium", "small"]
    assert all(c.pass_probability is None for c in plan.candidates) and plan.router_note is None
    [warning] = plan.warnings
    assert warning.startswith("router not used, static order kept") and str(broken) in warning


def test_a_router_file_replaced_on_disk_is_read_again(router_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "swap.router"
    path.write_bytes(b"broken")
    assert plan_route(Request.from_prompt(prompts()[0]), policy(path)).warnings
    path.write_bytes(router_path.read_bytes())
    import os

    os.utime(path, (1e9, 1e9))  # a new mtime even on coarse clocks
    plan = plan_route(Request.from_prompt(prompts()[0]), policy(path))
    assert not plan.warnings and plan.kept[0].model != "large"


def test_requests_are_answered_with_and_without_a_usable_router(router_path: Path, fault_server: FaultServer,
                                                                tmp_path: Path) -> None:
    easy, hard = prompts()

    async def go(p: Policy, prompt: str):  # type: ignore[no-untyped-def]
        engine = Engine(p)
        try:
            return await engine.route(Request.from_prompt(prompt))
        finally:
            await engine.aclose()

    routed = asyncio.run(go(policy(router_path, fault_server.url), hard))
    assert routed.outcome is Outcome.OK and routed.answered_by == "large"
    routed = asyncio.run(go(policy(router_path, fault_server.url), easy))
    assert routed.outcome is Outcome.OK and routed.answered_by in ("small", "medium")
    fallback = asyncio.run(go(policy(tmp_path / "gone.router", fault_server.url), easy))
    assert fallback.outcome is Outcome.OK and fallback.answered_by == "large"  # the static order's first
    assert any("router not used" in w for w in fallback.plan.warnings)


def test_validation_warns_about_an_unusable_router_but_keeps_the_policy_valid(router_path: Path, tmp_path: Path) -> None:
    from console.core.policy.loader import load_policy_text
    from console.core.policy.save import policy_data

    import yaml

    def warnings_for(file: Path, candidates: list[str]) -> list[tuple[str, str]]:
        p = policy(file)
        p.routes["t"].candidates = candidates
        result = load_policy_text(yaml.safe_dump(policy_data(p)), "policy.yaml")
        assert result.ok
        return [(d.code, d.message) for d in result.warnings]

    assert warnings_for(router_path, ["large", "medium", "small"]) == []
    [(code, message)] = warnings_for(tmp_path / "none.router", ["large", "small"])
    assert code == "router-unusable" and "no such router file" in message and "static order" in message
    [(code, message)] = warnings_for(router_path, ["large"])
    assert code == "router-models" and "knows 1 of this route's candidates" in message


def test_validation_warns_when_the_route_offers_a_subset_of_the_routers_models(router_path: Path) -> None:
    from console.core.policy.check_report import CheckReport
    from console.core.policy.check_router import check_routers

    p = policy(router_path)
    p.routes["t"].candidates = ["large", "small"]
    report = CheckReport(file="policy.yaml", source=None)
    check_routers(p, report)
    [warning] = report.diagnostics
    assert warning.code == "router-subset" and "offers 2 of them" in warning.message
