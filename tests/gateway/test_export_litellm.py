"""``routedesk export litellm``: the config LiteLLM's own Router loads and routes through, never a key value.

The routing test loads the exported ``model_list`` and ``router_settings`` into ``litellm.Router``
and sends a request whose first model is unreachable; LiteLLM falls back, by the exported chain,
to the real llama.cpp server (fixture ``llama_server``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from console.core.export_litellm import LOCAL_PLACEHOLDER_BASE, env_var_for, litellm_config_text
from console.core.policy.loader import load_policy_or_raise
from console.core.policy.schema import Policy
from tests.support.llama_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-routedesk-test-secret-value-1234"


def two_model_policy(good_url: str, dead_url: str) -> Policy:
    return Policy.model_validate(
        {
            "name": "export",
            "providers": {
                "dead": {"kind": "openai-compatible", "base_url": dead_url, "key": "env:ROUTEDESK_EXPORT_TEST_KEY"},
                "llama": {"kind": "openai-compatible", "base_url": good_url, "key": "keyring:llama-box"},
                "local": {"kind": "local-gguf"},
            },
            "models": {
                "gone": {"provider": "dead", "model": "gone-model", "prices": {"input": 3, "output": 15}},
                "smol": {"provider": "llama", "model": "smollm2", "prices": {"input": 0.1, "output": 0.2}},
                "inproc": {"provider": "local", "model": "bundled:smollm2-135m", "region": "on-prem"},
            },
            "tasks": {"chat": {}, "offline": {}},
            "classification": {"default": "chat", "rules": [{"task": "offline", "when": {"keywords": ["local"]}}]},
            "routes": {
                "chat": {"candidates": ["gone", "smol"], "retries": {"max": 0},
                         "timeouts": {"connect_s": 1, "first_token_s": 30, "total_s": 60}, "max_cost_usd": 1},
                "offline": {"candidates": ["inproc"], "output": {"json": True}},
            },
            "budgets": [
                {"name": "gone-daily", "scope": {"model": "gone"}, "limit_usd": 5, "action": "block"},
                {"name": "team", "scope": {"team": "support"}, "limit_usd": 9, "action": "fallback", "fallback_model": "smol"},
            ],
            "residency": {"eu": {"allow": ["eu"]}},
        }
    )


def test_export_maps_models_prices_chains_and_budgets_and_lists_what_it_cannot() -> None:
    text = litellm_config_text(two_model_policy("http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"))
    config = yaml.safe_load(text)
    entries = {e["model_name"]: e["litellm_params"] for e in config["model_list"]}
    assert entries["gone"] == {
        "model": "openai/gone-model", "api_base": "http://127.0.0.1:2/v1",
        "api_key": "os.environ/ROUTEDESK_EXPORT_TEST_KEY", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
        "timeout": 60.0, "stream_timeout": 30.0, "max_budget": 5.0, "budget_duration": "1d",
    }
    assert entries["smol"]["api_key"] == "os.environ/ROUTEDESK_LLAMA_BOX_API_KEY"
    assert entries["inproc"]["model"] == "openai/inproc" and entries["inproc"]["api_base"] == LOCAL_PLACEHOLDER_BASE
    assert entries["chat"]["model"] == "openai/gone-model" and "max_budget" not in entries["chat"]
    assert {"chat": ["smol"]} in config["router_settings"]["fallbacks"]
    assert {"gone": ["smol"]} in config["router_settings"]["fallbacks"]
    assert config["router_settings"]["num_retries"] == 1  # the offline route's default
    header = text.split("model_list:")[0]
    for expected in ("ROUTEDESK_LLAMA_BOX_API_KEY  <- keyring:llama-box", "Task classification", "Data-residency rules (eu)",
                     "cost ceiling $1.0", "JSON output checks", "Budget 'team'", "WARNING", "llama_cpp.server"):
        assert expected in header, expected
    assert env_var_for("keyring:my.key-2") == "ROUTEDESK_MY_KEY_2_API_KEY" and env_var_for("env:X") == "X"


def test_export_command_writes_a_file_and_never_a_key(tmp_path: Path) -> None:
    out = tmp_path / "litellm.yaml"
    env = {**os.environ, "GEMINI_API_KEY": SECRET, "ROUTEDESK_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "console", "export", "litellm", "--policy", "policies/support-desk.yaml",
                           "-o", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert SECRET not in text and "os.environ/GEMINI_API_KEY" in text
    assert yaml.safe_load(text)["model_list"]
    assert not list(tmp_path.glob(".litellm.yaml.*"))  # no temp file left behind
    bad = subprocess.run([sys.executable, "-m", "console", "export", "litellm", "--policy", str(tmp_path / "none.yaml")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "no such file" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
@pytest.mark.gguf
def test_litellm_router_loads_the_export_and_falls_back_to_the_llama_server(
    llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
    monkeypatch.setenv("ROUTEDESK_EXPORT_TEST_KEY", SECRET)
    monkeypatch.setenv("ROUTEDESK_LLAMA_BOX_API_KEY", "unused-by-llama")
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    text = litellm_config_text(two_model_policy(llama_server, dead))
    assert SECRET not in text
    config = yaml.safe_load(text)
    from litellm import Router

    async def route() -> object:
        # LiteLLM's budget limiter (the exported max_budget) starts a task: build the Router in a loop.
        router = Router(model_list=config["model_list"], fallbacks=config["router_settings"]["fallbacks"], num_retries=0)
        return await router.acompletion(model="chat", messages=[{"role": "user", "content": "Say hi."}], max_tokens=8)

    with warnings.catch_warnings():
        # pydantic warns about ReadOnly TypedDict items in openai's types when LiteLLM builds its schemas
        warnings.filterwarnings("ignore", message=".*ReadOnly.*", category=UserWarning)
        response = asyncio.run(route())
    assert response.choices[0].message.content.strip()
    hidden = getattr(response, "_hidden_params", {})
    assert hidden.get("api_base", "").rstrip("/").startswith(llama_server.rsplit("/v1", 1)[0]), hidden.get("api_base")


def test_a_routes_learned_router_is_named_among_what_litellm_cannot_express() -> None:
    from console.core.policy.schema import RouterRef

    policy = two_model_policy("http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1")
    task = next(iter(policy.routes))
    policy.routes[task].router = RouterRef(file="chat.router", target=0.9)
    header = litellm_config_text(policy).split("model_list:")[0]
    assert "the learned router chat.router (the static candidate order is exported)" in header
