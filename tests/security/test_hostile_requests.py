"""Hostile or broken input gets a clear error saying what and where, never a 500 or a traceback.

- JSON nested 100,000 deep and a ``role`` that is a list: 400 with a message, not 500;
- ``max_tokens`` 10^12: 400 (the request fits no model's context), not 503;
- an upstream redirect: reported with its ``Location`` ("HTTP 307 to https://..."), not followed;
- a key with a non-ASCII character: ``keys test`` says where in the key, without a traceback and
  without printing the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from console.cli.main import run
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import CannedResponse, FaultServer, fault_server  # noqa: F401 - fixture

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def live(fault_server: FaultServer) -> Iterator[LiveEndpoint]:
    policy = Policy.model_validate({
        "name": "hostile",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": fault_server.url}},
        "models": {"small": {"provider": "faulty", "model": "ok", "context_window": 8192,
                             "prices": {"input": 1, "output": 2}}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["small"], "retries": {"max": 0}}},
    })
    with running_endpoint(policy) as endpoint:
        yield endpoint


def _post(live: LiveEndpoint, body: bytes | dict[str, Any]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{live.url}/chat/completions", content=content, timeout=30,
                      headers={"authorization": f"Bearer {live.token}", "content-type": "application/json"})


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deeply_nested_json_is_a_400(live: LiveEndpoint, depth: int) -> None:
    for nested in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        reply = _post(live, b'{"model": "auto", "messages": ' + nested + b"}")
        assert reply.status_code == 400, reply.text
        assert "nested too deeply" in reply.json()["error"]["message"]


@pytest.mark.parametrize("role", [["user"], {"a": 1}, 7, None])
def test_a_role_that_is_not_a_string_is_a_400(live: LiveEndpoint, role: Any) -> None:
    reply = _post(live, {"model": "auto", "messages": [{"role": role, "content": "hi"}]})
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["param"] == "messages[0].role" and "is not supported" in error["message"]


def test_max_tokens_beyond_every_context_is_a_400(live: LiveEndpoint) -> None:
    reply = _post(live, {"model": "auto", "messages": HELLO, "max_tokens": 10**12})
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["routedesk_outcome"] == "context_overflow"
    assert "fits no candidate's context window" in error["message"] and "model has 8192" in error["message"]


def test_an_upstream_redirect_is_reported_with_its_location(live: LiveEndpoint, fault_server: FaultServer) -> None:
    moved = "https://api.example.net/v2/chat/completions"
    fault_server.replay(CannedResponse(307, "", headers={"location": moved}))
    reply = _post(live, {"model": "auto", "messages": HELLO})
    message = reply.json()["error"]["message"]
    assert f"HTTP 307 to {moved}" in message and "base_url" in message
    assert reply.status_code == 400
    assert len(fault_server.requests) == 1  # not followed


POLICY = """\
name: keys
providers:
  hosted: {{kind: openai-compatible, base_url: "{url}", key: "env:ROUTEDESK_HOSTILE_KEY"}}
models:
  m: {{provider: hosted, model: ok, prices: {{input: 1, output: 2}}}}
tasks: {{chat: {{}}}}
classification: {{default: chat}}
routes: {{chat: {{candidates: [m]}}}}
"""


def test_keys_test_explains_a_non_ascii_key(
    fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(url=fault_server.url))
    key = "sk-proj-\u201cABCDEFGHIJKLMNOP"  # a curly quote pasted with the key
    monkeypatch.setenv("ROUTEDESK_HOSTILE_KEY", key)
    assert run(["keys", "test", "hosted", "--policy", str(policy)]) == 1
    err = capsys.readouterr().err
    assert "position 9 of 25" in err and "U+201C LEFT DOUBLE QUOTATION MARK" in err
    assert "Traceback" not in err and "ABCDEFGH" not in err
    assert fault_server.requests == []  # nothing went out
    monkeypatch.setenv("ROUTEDESK_HOSTILE_KEY", "sk-proj-ABCDEFGHIJKLMNOP")
    assert run(["keys", "test", "hosted", "--policy", str(policy)]) == 0  # the same key, cleaned, works
