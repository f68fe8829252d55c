"""Image parts through the endpoint with the official SDK: a model without ``vision: true`` is passed
over (the log says why), the vision model of an OpenAI-compatible upstream gets the parts as sent, and
Anthropic and Gemini (played back from the recorded transcripts) get them in their own shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import openai
import pytest

from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import CannedResponse, FaultServer
from tests.support.fault_server import module_fault_server as server  # noqa: F401 - fixture

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "core" / "providers" / "transcripts"
PIXEL = "data:image/png;base64,iVBORw0KGgo="
LINK = "https://example.com/cat.png"


def canned(name: str) -> CannedResponse:
    response = json.loads((TRANSCRIPTS / f"{name}.json").read_text())["response"]
    return CannedResponse(response["status"], response["body"], response.get("headers", {}), response.get("chunked", False))


def look(url: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image_url", "image_url": {"url": url, "detail": "low"}}]}]


@pytest.fixture(scope="module")
def live(server: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEndpoint]:
    policy = Policy.model_validate({
        "name": "images",
        "providers": {"up": {"kind": "openai-compatible", "base_url": server.url},
                      "claude": {"kind": "anthropic", "base_url": server.root_url},
                      "gemini": {"kind": "gemini", "base_url": server.root_url + "/v1beta"}},
        "models": {"text-only": {"provider": "up", "model": "ok#text"},
                   "seeing": {"provider": "up", "model": "ok#seeing", "vision": True},
                   "claude": {"provider": "claude", "model": "claude-sonnet-4-5", "vision": True},
                   "gemini": {"provider": "gemini", "model": "gemini-2.5-flash", "vision": True}},
        "tasks": {"o": {}, "c": {}, "g": {}, "blind": {}}, "classification": {"default": "o"},
        "routes": {"o": {"candidates": ["text-only", "seeing"], "retries": {"max": 0}},
                   "c": {"candidates": ["claude"], "retries": {"max": 0}},
                   "g": {"candidates": ["gemini"], "retries": {"max": 0}},
                   "blind": {"candidates": ["text-only"], "retries": {"max": 0}}},
    })
    log_url = f"sqlite:///{tmp_path_factory.mktemp('images') / 'log.db'}"
    with running_endpoint(policy, log_url=log_url) as endpoint:
        yield endpoint


def test_the_vision_model_gets_the_parts_and_the_text_only_one_is_passed_over(live: LiveEndpoint,
                                                                            server: FaultServer) -> None:
    reply = live.openai().chat.completions.create(model="o", messages=look(PIXEL))
    assert reply.choices[0].message.content  # the fault server echoes the parts it was sent
    sent = server.requests[-1]
    assert sent.model == "ok#seeing" and sent.body["messages"] == look(PIXEL)
    assert not [r for r in server.requests if r.model == "ok#text"]
    assert live.ledger_requests()[-1]["answered_by"] == "seeing"


def test_a_route_with_no_vision_model_says_why(live: LiveEndpoint) -> None:
    with pytest.raises(openai.APIStatusError) as refused:
        live.openai().chat.completions.create(model="blind", messages=look(LINK))
    assert "cannot read images (set vision: true on the model if it can)" in refused.value.body["message"]


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_gets_base64_and_url_image_blocks(live: LiveEndpoint, server: FaultServer, stream: bool) -> None:
    server.replay(canned("anthropic_stream_ok" if stream else "anthropic_whole_ok"))
    messages = look(PIXEL)
    messages[0]["content"].append({"type": "image_url", "image_url": {"url": LINK}})
    reply = live.openai().chat.completions.create(model="c", messages=messages, stream=stream)
    text = "".join(c.choices[0].delta.content or "" for c in reply if c.choices) if stream else reply.choices[0].message.content
    assert text
    assert server.requests[-1].body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": LINK}}]}]


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_gets_inline_data(live: LiveEndpoint, server: FaultServer, stream: bool) -> None:
    server.replay(canned("gemini_stream_ok" if stream else "gemini_whole_ok"))
    reply = live.openai().chat.completions.create(model="g", messages=look(PIXEL), stream=stream)
    text = "".join(c.choices[0].delta.content or "" for c in reply if c.choices) if stream else reply.choices[0].message.content
    assert text
    assert server.requests[-1].body["contents"] == [{"role": "user", "parts": [
        {"text": "what is this?"}, {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]}]
