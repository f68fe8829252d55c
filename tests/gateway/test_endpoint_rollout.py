"""The endpoint splits a route in rollout, and follows the rollout's state in the log: one state for every process."""

from __future__ import annotations

import time
from pathlib import Path

from console.core.app.rollout import open_rollouts
from console.core.policy.loader import load_policy_or_raise
from tests.gateway.endpoint import running_endpoint
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

POLICY = """\
name: endpoint-rollout
providers:
  faulty: {{kind: openai-compatible, base_url: '{url}'}}
models:
  premium: {{provider: faulty, model: 'ok#premium', prices: {{input: 5, output: 15}}}}
  cheap: {{provider: faulty, model: 'ok#cheap', prices: {{input: 0.1, output: 0.4}}}}
tasks: {{chat: {{}}}}
classification: {{default: chat}}
routes:
  chat:
    candidates: [premium]
    rollout: {{candidate: cheap, replaces: premium, steps: [50, 100], sticky_by: meta.customer}}
"""


def _answered_by(client, customers: range) -> set[str]:  # noqa: ANN001 - the OpenAI SDK client
    seen = set()
    for i in customers:
        answer = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": f"hello {i}"}], metadata={"customer": f"c{i}"})
        seen.add(answer.model)
    return seen


def test_the_endpoint_splits_and_follows_a_rollback_made_by_another_process(tmp_path: Path,
                                                                            fault_server: FaultServer) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.format(url=fault_server.url))
    policy = load_policy_or_raise(path)
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with running_endpoint(policy, path=path, log_url=url) as live:
        client = live.openai()
        assert _answered_by(client, range(40)) == {"premium", "cheap"}  # 50 %: both arms answer
        with open_rollouts(url) as rollouts:  # `routedesk rollout rollback chat` in another process
            rollouts.rollback(policy, "chat", by="cli")
        deadline = time.monotonic() + 15
        while live.state.engine.rollout_shares.share(policy.name, "chat") != 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # the endpoint reads the state each second
        assert _answered_by(client, range(40)) == {"premium"}
