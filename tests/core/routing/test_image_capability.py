"""Image parts go only to models marked ``vision: true``: the others are dropped from the plan with
the reason, Gemini is not sent an image link, GGUF models are given text only; each protocol gets
the parts in its own shape, in the caller's order."""

from __future__ import annotations

import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.providers.base import ProviderError
from console.core.providers.images import anthropic_blocks, gemini_parts, openai_content
from console.core.request import ImagePart, Message, Request
from console.core.routing.plan import plan_route

PIXEL = "data:image/png;base64,iVBORw0KGgo="
LINK = "https://example.com/cat.png"


def policy() -> Policy:
    return Policy.model_validate({
        "name": "vision",
        "providers": {"oa": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9"},
                      "gm": {"kind": "gemini", "base_url": "http://127.0.0.1:9"},
                      "local": {"kind": "local-gguf"}},
        "models": {"text-only": {"provider": "oa", "model": "t"},
                   "seeing": {"provider": "oa", "model": "v", "vision": True},
                   "gemini": {"provider": "gm", "model": "g", "vision": True},
                   "gguf": {"provider": "local", "model": "m.gguf", "vision": True}},
        "tasks": {"t": {}},
        "classification": {"default": "t"},
        "routes": {"t": {"candidates": ["text-only", "gemini", "gguf", "seeing"]}},
    })


def image_request(url: str) -> Request:
    return Request(messages=(Message("user", "what is this?", parts=("what is this?", ImagePart(url, "low"))),))


def reasons(request: Request) -> dict[str, str | None]:
    plan = plan_route(request, policy())
    return {c.model: None if c.kept else c.reason for c in plan.candidates}


def test_only_vision_models_are_planned_for_images() -> None:
    got = reasons(image_request(PIXEL))
    assert got["text-only"] == "cannot read images (set vision: true on the model if it can)"
    assert got["gguf"] == "cannot read images (in-process GGUF models are given text only)"
    assert got["gemini"] is None and got["seeing"] is None
    linked = reasons(image_request(LINK))
    assert linked["gemini"] == "Gemini takes images inline only; this request links one by URL"
    assert linked["seeing"] is None
    text = reasons(Request.from_prompt("what is this?"))
    assert text["text-only"] is None and text["seeing"] is None  # no image: vision is not asked for


def test_each_protocol_gets_the_parts_in_its_own_shape_and_order() -> None:
    message = Message("user", "ab", parts=("a", ImagePart(PIXEL), "b", ImagePart(LINK, "high")))
    assert openai_content(message) == [
        {"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": PIXEL}},
        {"type": "text", "text": "b"}, {"type": "image_url", "image_url": {"url": LINK, "detail": "high"}}]
    assert anthropic_blocks(message) == [
        {"type": "text", "text": "a"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "text", "text": "b"}, {"type": "image", "source": {"type": "url", "url": LINK}}]
    inline = Message("user", "a", parts=("a", ImagePart(PIXEL)))
    assert gemini_parts(inline, "gm") == [{"text": "a"}, {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]
    with pytest.raises(ProviderError) as refused:
        gemini_parts(message, "gm")
    assert refused.value.outcome is Outcome.BAD_REQUEST and "inline only" in refused.value.message
