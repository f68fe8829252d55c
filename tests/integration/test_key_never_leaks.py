"""A recognisable key is driven through every failure outcome; it must appear nowhere we write.

The key reaches the provider (the fault server checks the Authorization header by digest) and
then must not show up in: route results and their error sentences, log records at DEBUG, the
ledger database files, the CLI's output (route, log, report), or formatted tracebacks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import traceback
from pathlib import Path

import yaml

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.workspace import Workspace
from tests.integration.test_fault_matrix import CASES
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
FAULTS = sorted({case.fault for case in CASES} | {"401", "403", "ok"})


def leak_policy(url: str) -> dict:
    models = {f"m{i}": {"provider": "faulty", "model": f"{fault}#leak", "prices": {"input": 1, "output": 2}}
              for i, fault in enumerate(FAULTS)}
    return {
        "name": "leak-check",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": url, "key": "env:ROUTEDESK_LEAK_KEY"}},
        "models": models,
        "tasks": {alias: {} for alias in models},
        "classification": {"default": "m0"},
        "routes": {
            alias: {
                "candidates": [alias],
                "retries": {"max": 1, "backoff_ms": 5},
                "timeouts": {"first_token_s": 0.4, "idle_s": 0.4, "total_s": 1.0},
            }
            for alias in models
        },
    }


def test_key_never_appears_in_results_logs_ledger_or_cli_output(
    fault_server: FaultServer, tmp_path: Path, monkeypatch, caplog
) -> None:
    key = "sk-LEAKCHECK-" + secrets.token_hex(12)
    monkeypatch.setenv("ROUTEDESK_LEAK_KEY", key)
    home = tmp_path / "home"
    monkeypatch.setenv("ROUTEDESK_HOME", str(home))
    data = leak_policy(fault_server.url)
    policy = Policy.model_validate(data)
    policy_file = tmp_path / "leak.yaml"
    policy_file.write_text(yaml.safe_dump(data))
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async def drive() -> None:
        workspace = Workspace()
        engine = workspace.engine(policy, policy_file)
        try:
            for task in policy.tasks:
                for streaming in (False, True):
                    request = Request.from_prompt("leak check", stream=streaming)
                    if streaming:
                        events = [e async for e in engine.route_stream(request, task=task)]
                        result = events[-1]
                        seen.extend(repr(e) for e in events)
                    else:
                        result = await engine.route(request, task=task)
                    seen.append(repr(result))
                    seen.append(result.error or "")
        finally:
            await workspace.aclose()

    asyncio.run(drive())
    outcomes = {line.split("outcome=<Outcome.")[1].split(":")[0] for line in seen if "outcome=<Outcome." in line}
    assert len(outcomes) >= 10, outcomes  # the run really went through many different failures
    assert fault_server.requests and all(
        r.secret_is("authorization", f"Bearer {key}") for r in fault_server.requests
    ), "the key must actually reach the provider"

    env = dict(os.environ, ROUTEDESK_LEAK_KEY=key, ROUTEDESK_HOME=str(home))
    for args in (
        ["route", "--policy", str(policy_file), "--task", "m1", "leak check"],
        ["route", "--policy", str(policy_file), "--task", "m2", "--json", "leak check"],
        ["log", "--since", "1h", "--json"],
        ["report", "--since", "1h", "--json"],
    ):
        done = subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        seen += [done.stdout, done.stderr]
    try:
        raise RuntimeError(seen[-1][:200])
    except RuntimeError:
        seen.append(traceback.format_exc())
    seen += [record.getMessage() for record in caplog.records]

    assert not [text for text in seen if key in text]
    assert not [text for text in seen if key[3:15] in text]  # not even a recognisable prefix
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in written)
    for path in written:
        assert key.encode() not in path.read_bytes(), f"key found in {path}"
