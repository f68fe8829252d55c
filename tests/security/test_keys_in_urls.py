"""Keys in the wrong places: in a base_url, over plain http, echoed back in a provider's model field."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli.main import run
from console.core.export_litellm import litellm_config_text
from console.core.policy.loader import load_policy_text
from console.core.policy.schema import Policy
from console.core.policy.url_secrets import credential_in_url, redact_url, sends_key_in_clear
from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import CannedResponse, FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-live-" + "7f3a9c2e5b1d8f4a6c0e2b9d"


def _policy(base_url: str, key: str | None = "keyring:hosted") -> dict[str, Any]:
    provider: dict[str, Any] = {"kind": "openai-compatible", "base_url": base_url}
    if key is not None:
        provider["key"] = key
    return {
        "version": 1,
        "name": "keys",
        "providers": {"hosted": provider},
        "models": {"m": {"provider": "hosted", "model": "gpt-4.1", "prices": {"input": 2, "output": 8}}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["m"]}},
    }


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))


KEYED_URLS = [
    f"https://user:{KEY}@api.example.com/v1",
    f"https://{KEY}@api.example.com/v1",
    f"https://api.example.com/v1?api_key={KEY}",
    f"https://api.example.com/v1?key={KEY}",
    f"https://api.example.com/v1?token={KEY}",
    f"https://api.example.com/v1?region=eu&X-API-KEY={KEY}",
]


@pytest.mark.parametrize("url", KEYED_URLS)
def test_validate_refuses_a_key_in_base_url_and_never_prints_it(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_policy(url), sort_keys=False))
    url_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "base_url:" in line)
    assert run(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    error = next(line for line in out.splitlines() if "secret" in line or "credential" in line)
    assert error.startswith(f"{path}:{url_line}:") and "providers.hosted.base_url" in error
    assert "carries a credential" in error and "key: keyring:NAME" in error
    assert KEY not in out + err and KEY[:12] not in out + err
    assert run(["validate", "--json", str(path)]) == 1
    assert KEY not in capsys.readouterr().out


def test_the_credential_check_names_the_part_and_leaves_plain_urls_alone() -> None:
    assert credential_in_url(f"https://u:{KEY}@h/v1") == "the user:password@ part"
    assert credential_in_url(f"https://h/v1?api-key={KEY}") == "the query parameter 'api-key'"
    for clean in ("https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "https://h/v1?api-version=2024-06-01",
                  "https://h/openai/deployments/x?region=eu"):
        assert credential_in_url(clean) is None, clean
    assert redact_url(f"https://u:{KEY}@h/v1?api_key={KEY}&api-version=1") == "https://***@h/v1?api_key=***&api-version=1"


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.example.com/v1", True),
        ("http://10.0.0.7:8000/v1", True),
        ("HTTP://gpu-box.lan/v1", True),
        ("https://api.example.com/v1", False),
        ("http://localhost:8080/v1", False),
        ("http://127.0.0.1:8080/v1", False),
        ("http://127.1.2.3/v1", False),
        ("http://[::1]:8080/v1", False),
    ],
)
def test_plain_http_to_another_machine_with_a_key_is_warned(url: str, warned: bool) -> None:
    result = load_policy_text(yaml.safe_dump(_policy(url), sort_keys=False), "p.yaml")
    assert result.policy is not None, [d.format() for d in result.diagnostics]
    found = [d for d in result.warnings if d.code == "key-over-http"]
    assert bool(found) is warned
    assert sends_key_in_clear(url) is warned
    if warned:
        assert found[0].path == "providers.hosted.base_url" and found[0].line is not None
        assert "unencrypted" in found[0].message and "https://" in (found[0].expected or "")


def test_plain_http_without_a_key_is_not_the_key_warning() -> None:
    result = load_policy_text(yaml.safe_dump(_policy("http://api.example.com/v1", key=None), sort_keys=False))
    assert "key-over-http" not in [d.code for d in result.diagnostics]


def test_export_litellm_refuses_a_policy_with_a_key_in_base_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_policy(KEYED_URLS[0]), sort_keys=False))
    target = tmp_path / "litellm.yaml"
    assert run(["export", "litellm", "--policy", str(path), "-o", str(target)]) == 1
    out, err = capsys.readouterr()
    assert not target.exists()
    assert KEY not in out + err


@pytest.mark.parametrize("url", KEYED_URLS)
def test_export_never_copies_a_key_out_of_a_policy_built_in_memory(url: str) -> None:
    text = litellm_config_text(Policy.model_validate(_policy(url)))
    assert KEY not in text and KEY[:12] not in text
    config = yaml.safe_load(text)
    api_base = config["model_list"][0]["litellm_params"]["api_base"]
    assert api_base.startswith("https://api.example.com/v1") and credential_in_url(api_base) is None
    assert "carries a credential" in text


def _echoing_answer(model: str, *, stream: bool) -> CannedResponse:
    if stream:
        events = [
            {"model": model, "choices": [{"index": 0, "delta": {"content": "fine"}, "finish_reason": None}]},
            {"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}},
        ]
        body = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        return CannedResponse(200, body, {"content-type": "text/event-stream"}, chunked=True)
    body = json.dumps({
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    })
    return CannedResponse(200, body, {"content-type": "application/json"})


def test_a_key_echoed_in_the_model_field_is_neither_stored_nor_printed(
    fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    key = "sk-ECHO-" + secrets.token_hex(16)
    monkeypatch.setenv("ROUTEDESK_ECHO_KEY", key)
    home = tmp_path / "home"
    monkeypatch.setenv("ROUTEDESK_HOME", str(home))
    data = _policy(fault_server.url, key="env:ROUTEDESK_ECHO_KEY")
    policy_file = tmp_path / "echo.yaml"
    policy_file.write_text(yaml.safe_dump(data, sort_keys=False))
    policy = Policy.model_validate(data)
    seen: list[str] = []

    async def drive() -> None:
        workspace = Workspace()
        engine = workspace.engine(policy, policy_file)
        try:
            fault_server.replay(_echoing_answer(f"gpt-4.1 (key {key})", stream=False))
            result = await engine.route(Request.from_prompt("hello", stream=False))
            seen.append(repr(result))
            fault_server.replay(_echoing_answer(key, stream=True))
            events = [event async for event in engine.route_stream(Request.from_prompt("hello", stream=True))]
            seen.extend(repr(event) for event in events)
        finally:
            await workspace.aclose()

    asyncio.run(drive())
    assert all(r.secret_is("authorization", f"Bearer {key}") for r in fault_server.requests)
    assert "[redacted]" in seen[0], seen[0]  # the served model was recorded, with the key hidden
    env = dict(os.environ, ROUTEDESK_ECHO_KEY=key, ROUTEDESK_HOME=str(home))
    for args in (["route", "--policy", str(policy_file), "--json", "hello"],
                 ["route", "--policy", str(policy_file), "hello"],
                 ["log", "--since", "1h", "--json"]):
        if args[0] == "route":
            fault_server.replay(_echoing_answer(key, stream=False))
        done = subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        seen += [done.stdout, done.stderr]
    assert "[redacted]" in seen[-2]  # the log holds the served model, redacted
    assert not [text for text in seen if key in text or key[:12] in text]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in written)
    for path in written:
        assert key.encode() not in path.read_bytes(), f"key found in {path}"
