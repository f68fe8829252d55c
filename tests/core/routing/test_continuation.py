"""Which models can continue a broken answer: the model's setting, else its provider's, else the protocol's."""

from __future__ import annotations

import pytest

from console.core.policy.schema import Policy
from console.core.request import Message
from console.core.routing.continuation import accepts_prefill, continuation_max_tokens, continuation_messages


def policy(provider_prefill: bool | None = None, model_prefill: bool | None = None, kind: str = "openai-compatible") -> Policy:
    provider: dict = {"kind": kind, "base_url": "http://127.0.0.1:9/v1"}
    model: dict = {"provider": "p", "model": "m"}
    if provider_prefill is not None:
        provider["prefill"] = provider_prefill
    if model_prefill is not None:
        model["prefill"] = model_prefill
    return Policy.model_validate({
        "name": "t", "providers": {"p": provider}, "models": {"m": model}, "tasks": {"t": {}},
        "classification": {"default": "t"}, "routes": {"t": {"candidates": ["m"]}},
    })


@pytest.mark.parametrize(("kind", "default"), [
    ("openai-compatible", False), ("anthropic", True), ("gemini", False), ("local-gguf", False)])
def test_protocol_defaults(kind: str, default: bool) -> None:
    assert accepts_prefill(policy(kind=kind), "m") is default


def test_the_provider_overrides_the_protocol_and_the_model_overrides_both() -> None:
    assert accepts_prefill(policy(provider_prefill=True), "m") is True
    assert accepts_prefill(policy(provider_prefill=True, model_prefill=False), "m") is False
    assert accepts_prefill(policy(kind="anthropic", model_prefill=False), "m") is False
    assert accepts_prefill(policy(), "missing") is False


def test_the_continuation_ends_with_the_text_sent_and_keeps_the_output_cap() -> None:
    messages = (Message("user", "hi"),)
    assert continuation_messages(messages, "Hello the") == (Message("user", "hi"), Message("assistant", "Hello the"))
    prefilled = (Message("user", "hi"), Message("assistant", "{"))  # the caller's own prefill
    assert continuation_messages(prefilled, '"a": 1') == (Message("user", "hi"), Message("assistant", '{"a": 1'))
    assert continuation_max_tokens(100, "word " * 10) < 100
    assert continuation_max_tokens(3, "word " * 50) == 1
