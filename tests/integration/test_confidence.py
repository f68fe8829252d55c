"""Low-confidence answers fall back, and escalate to another task's route when the chain runs out."""

from __future__ import annotations

import asyncio

from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.request import Request
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def policy(url: str, tag: str) -> Policy:
    return Policy.model_validate(
        {
            "name": "confidence",
            "providers": {"p": {"kind": "openai-compatible", "base_url": url}},
            "models": {
                "unsure": {"provider": "p", "model": f"ok:logprob=-3#{tag}"},
                "sure": {"provider": "p", "model": f"ok:logprob=-0.1#{tag}"},
                "chatty": {"provider": "p", "model": f"ok#{tag}"},
                "frontier": {"provider": "p", "model": f"ok:logprob=-0.05#{tag}f"},
            },
            "tasks": {"cheap": {}, "careful": {}, "checked": {}},
            "classification": {"default": "cheap"},
            "routes": {
                "cheap": {"candidates": ["unsure", "sure"], "confidence": {"min_mean_logprob": -1.0}},
                "careful": {
                    "candidates": ["unsure"],
                    "confidence": {"min_mean_logprob": -1.0, "escalate_to": "checked"},
                },
                "checked": {"candidates": ["frontier"]},
            },
        }
    )


def route(engine: Engine, task: str, prompt: str = "how sure are you"):
    async def go():
        try:
            return await engine.route(Request.from_prompt(prompt), task=task)
        finally:
            await engine.aclose()

    return asyncio.run(go())


def test_low_mean_logprob_falls_back_to_a_surer_model(fault_server: FaultServer) -> None:
    result = route(Engine(policy(fault_server.url, "a")), "cheap")
    assert [a.outcome.value for a in result.attempts] == ["low_confidence", "ok"]
    assert result.answered_by == "sure"
    assert "mean token log-probability -3.000 below -1" in result.attempts[0].error_message


def test_unsure_chain_escalates_to_the_named_task(fault_server: FaultServer) -> None:
    result = route(Engine(policy(fault_server.url, "b")), "careful")
    assert [(a.model_alias, a.outcome.value) for a in result.attempts] == [("unsure", "low_confidence"), ("frontier", "ok")]
    assert result.ok and result.answered_by == "frontier"


def test_validator_rejection_is_low_confidence(fault_server: FaultServer) -> None:
    p = policy(fault_server.url, "c")
    p.routes["cheap"] = p.routes["cheap"].model_copy(
        update={"candidates": ["chatty", "sure"], "confidence": p.routes["cheap"].confidence.model_copy(
            update={"min_mean_logprob": None, "validator_regex": r"^\d+$"})}
    )
    result = route(Engine(p), "cheap")
    assert [a.outcome.value for a in result.attempts] == ["low_confidence", "low_confidence"]
    assert not result.ok and "validator" in result.error


def test_an_escalated_route_skips_models_the_prompt_already_overflowed(fault_server: FaultServer) -> None:
    p = Policy.model_validate(
        {
            "name": "escalate-after-overflow",
            "providers": {"p": {"kind": "openai-compatible", "base_url": fault_server.url}},
            "models": {
                "small": {"provider": "p", "model": "400-context#d", "context_window": 2048},
                "unsure": {"provider": "p", "model": "ok:logprob=-3#d", "context_window": 8192},
                "frontier": {"provider": "p", "model": "ok:logprob=-0.05#d", "context_window": 200000},
            },
            "tasks": {"careful": {}, "checked": {}},
            "classification": {"default": "careful"},
            "routes": {
                "careful": {"candidates": ["small", "unsure"], "retries": {"max": 0},
                            "confidence": {"min_mean_logprob": -1.0, "escalate_to": "checked"}},
                # the escalated route lists the small model first: the prompt is as long as before
                "checked": {"candidates": ["small", "frontier"], "retries": {"max": 0}},
            },
        }
    )
    result = route(Engine(p), "careful")
    assert [(a.model_alias, a.outcome.value) for a in result.attempts] == [
        ("small", "context_overflow"), ("unsure", "low_confidence"), ("frontier", "ok")]
    assert len(fault_server.requests_for("400-context#d")) == 1
