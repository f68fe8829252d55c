"""The demo policy routed for real through the in-process GGUF model: answers, model-based
classification constrained to the label set, and the answer's provenance."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.core.engine import Engine
from console.core.policy.loader import load_policy_or_raise
from console.core.policy.schema import ModelClassifier
from console.core.request import Request
from tests.support.parts import require_demo_gguf

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_engine_policy():
    require_demo_gguf()
    return load_policy_or_raise(DEMO)


def test_demo_policy_answers_from_the_bundled_model_without_keys(demo_engine_policy) -> None:
    async def scenario():
        engine = Engine(demo_engine_policy, policy_path=DEMO)
        try:
            return await engine.route(Request.from_prompt("Name one colour.", max_tokens=12))
        finally:
            await engine.aclose()

    result = asyncio.run(scenario())
    assert result.ok, result.error
    assert result.answered_by == "smollm2" and result.text.strip()
    [attempt] = result.attempts
    assert attempt.input_tokens > 5 and 0 < attempt.output_tokens <= 12 and not attempt.tokens_estimated


def test_model_classifier_only_ever_answers_a_task_label(demo_engine_policy) -> None:
    policy = demo_engine_policy.model_copy(deep=True)
    policy.classification.method = "model"
    # A generous deadline: this test is about the label grammar, and a loaded machine can take more than
    # the default 10 s to load the model and answer (the deadline itself is tested in tests/core).
    policy.classification.model = ModelClassifier(model="smollm2-cpu", timeout_s=300)

    async def scenario():
        engine = Engine(policy, policy_path=DEMO)
        try:
            return [
                await engine.classify(Request.from_prompt(p))
                for p in ("Please summarize the following article about whales in two lines.", "hi, how are you?")
            ]
        finally:
            await engine.aclose()

    verdicts = asyncio.run(scenario())
    for verdict in verdicts:
        assert verdict.task in policy.tasks  # the grammar allows nothing else
        assert verdict.reason.startswith("model smollm2-cpu chose"), verdict.reason
