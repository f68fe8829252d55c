"""``routedesk rollout``: status, advance, rollback and check over the log, as a user types them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from console.core.policy.loader import load_policy_or_raise
from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]

POLICY = """\
name: rollout-cli
providers:
  faulty: {{kind: openai-compatible, base_url: '{url}'}}
models:
  premium: {{provider: faulty, model: 'ok#premium', prices: {{input: 5, output: 15}}}}
  cheap: {{provider: faulty, model: '500#cheap', prices: {{input: 0.1, output: 0.4}}}}
tasks: {{chat: {{}}, other: {{}}}}
classification: {{default: chat}}
routes:
  chat:
    candidates: [premium]
    retries: {{max: 0}}
    rollout:
      candidate: cheap
      replaces: premium
      steps: [50, 100]
      guardrails: {{failure_rate: {{min_requests: 20}}, p95_latency: null, cost_per_request: null}}
  other: {{candidates: [premium]}}
"""


def _policy_and_log(tmp_path: Path, fault_server: FaultServer) -> tuple[Path, str]:
    """The rollout policy written to a file, and the URL of a new log beside it."""
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY.format(url=fault_server.url))
    return policy, f"sqlite:///{tmp_path / 'log.sqlite3'}"


def _cli(*args: str, policy: Path, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args, "--policy", str(policy), "--db", db],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_status_advance_and_rollback_change_one_state_in_the_log(tmp_path: Path, fault_server: FaultServer) -> None:
    policy, db = _policy_and_log(tmp_path, fault_server)
    status = _cli("rollout", "status", policy=policy, db=db)
    assert status.returncode == 0, status.stderr
    assert "chat: active, step 1 of 2: 50% on cheap in place of premium" in status.stdout
    assert "failure rate: waiting" in status.stdout

    stale = _cli("rollout", "advance", "chat", "--from-step", "2", policy=policy, db=db)
    assert stale.returncode == 1 and "is at step 1, not 2" in stale.stderr
    advanced = _cli("rollout", "advance", "chat", "--from-step", "1", policy=policy, db=db)
    assert advanced.returncode == 0 and "complete, step 2 of 2: 100% on cheap" in advanced.stdout
    again = _cli("rollout", "advance", "chat", policy=policy, db=db)
    assert again.returncode == 1 and "last step" in again.stderr and "Traceback" not in again.stderr
    back = _cli("rollout", "rollback", "chat", policy=policy, db=db)
    assert back.returncode == 0 and "rolled back at step 2 of 2: 0% on cheap" in back.stdout

    as_json = json.loads(_cli("rollout", "status", "chat", "--json", policy=policy, db=db).stdout)
    assert as_json[0]["status"] == "rolled_back" and [e["action"] for e in as_json[0]["events"]] == [
        "start", "advance", "rollback"]
    assert as_json[0]["events"][-1]["by"] == "cli"


def test_a_route_without_rollout_or_a_missing_route_is_a_plain_error(tmp_path: Path, fault_server: FaultServer) -> None:
    policy, db = _policy_and_log(tmp_path, fault_server)
    other = _cli("rollout", "advance", "other", policy=policy, db=db)
    assert other.returncode == 1 and "route 'other' of policy 'rollout-cli' has no rollout; routes in rollout: chat" in other.stderr
    bare = _cli("rollout", "rollback", policy=policy, db=db)
    assert bare.returncode == 2 and "needs the ROUTE" in bare.stderr


def test_check_rolls_back_a_breached_rollout_with_the_numbers(tmp_path: Path, fault_server: FaultServer) -> None:
    policy, db = _policy_and_log(tmp_path, fault_server)

    async def traffic() -> None:  # B (cheap) answers 500 on the fault server: its arm fails every time
        workspace = Workspace(db)
        engine = workspace.engine(load_policy_or_raise(policy))
        for i in range(80):
            await engine.route(Request.from_prompt(f"hello {i}"))
        await workspace.aclose()

    asyncio.run(traffic())
    checked = _cli("rollout", "check", "chat", policy=policy, db=db)
    assert checked.returncode == 0, checked.stderr
    assert "rolled back" in checked.stdout and "now: rollback" in checked.stdout
    assert "failure_rate B−A +1.0000" in checked.stdout  # the event's numbers, as printed
