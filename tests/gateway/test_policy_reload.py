"""Policy hot reload: a valid save applies to new requests; an invalid one is refused, the old policy serves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from console.core.policy.loader import load_policy
from console.core.policy.save import save_policy
from tests.gateway.endpoint import running_endpoint
from tests.gateway.test_endpoint_openai import HELLO, sdk_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the watcher did not react in time"
        time.sleep(0.02)


def test_valid_save_applies_and_invalid_save_is_refused(fault_server: FaultServer, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    policy = sdk_policy(fault_server)
    save_policy(policy, path)
    loaded = load_policy(path).policy
    assert loaded is not None
    with running_endpoint(loaded, path=path) as live:
        client = live.openai()
        before = live.state.engine.policy_hash
        assert client.chat.completions.create(model="chat", messages=HELLO).model == "steady"

        # a valid change: the chat route now tries 'jsonic' first
        changed = policy.model_copy(deep=True)
        changed.routes["chat"].candidates = ["jsonic", "steady"]
        save_policy(changed, path)
        wait_for(lambda: live.state.engine.policy_hash != before)
        assert live.state.policy_status.state == "reloaded"
        raw = client.chat.completions.with_raw_response.create(model="chat", messages=HELLO)
        assert raw.parse().model == "jsonic" and raw.headers["x-routedesk-policy-hash"] == live.state.engine.policy_hash

        # an invalid save: refused with located diagnostics, the previous policy keeps serving
        serving = live.state.engine.policy_hash
        text = path.read_text().replace("- jsonic", "- no-such-model", 1)
        path.write_text(text)
        wait_for(lambda: live.state.policy_status.state == "refused")
        status = live.state.policy_status
        assert status.policy_hash == serving == live.state.engine.policy_hash
        assert any(f"{path}:" in d and "no-such-model" in d for d in status.diagnostics), status.diagnostics
        assert client.chat.completions.create(model="chat", messages=HELLO).model == "jsonic"

        # fixing the file applies it again
        save_policy(policy, path)
        wait_for(lambda: live.state.policy_status.state != "refused")
        assert client.chat.completions.create(model="chat", messages=HELLO).model == "steady"
