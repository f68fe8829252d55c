"""``routedesk serve`` as a user runs it: a real process, the token in a real keyring, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from console.core.policy.save import save_policy
from tests.gateway.test_endpoint_openai import HELLO, sdk_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.support.keyring_daemon import KeyringSession

ROOT = Path(__file__).resolve().parents[2]


def routedesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_remote_host_needs_an_explicit_flag() -> None:
    done = subprocess.run([sys.executable, "-m", "console", "serve", "--host", "0.0.0.0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--allow-remote" in done.stderr


@pytest.mark.keyring
@pytest.mark.slow
def test_serve_routes_with_the_keyring_token_and_stops_on_ctrl_c(
    keyring_session: KeyringSession, fault_server: FaultServer, tmp_path: Path
) -> None:
    env = {**keyring_session.env, "ROUTEDESK_HOME": str(tmp_path / "home")}
    shown = routedesk("serve", "--show-token", env=env)
    assert shown.returncode == 0, shown.stderr
    token = shown.stdout.strip()
    assert len(token) >= 40 and routedesk("serve", "--show-token", env=env).stdout.strip() == token  # kept
    rotated = routedesk("serve", "--rotate-token", env=env).stdout.strip()
    assert rotated and rotated != token

    policy_path = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "console", "serve", "--policy", str(policy_path), "--port", "0",
         "--db", f"sqlite:///{tmp_path}/log.sqlite3"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("Routedesk endpoint: http://127.0.0.1:"), first + (server.stderr.read() if server.poll() else "")
        url = first.split(": ", 1)[1].strip()
        with openai.OpenAI(base_url=url, api_key=rotated, max_retries=0, timeout=30) as client:
            assert client.chat.completions.create(model="auto", messages=HELLO).model == "steady"
        with openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=30) as stale:
            with pytest.raises(openai.AuthenticationError):
                stale.models.list()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        # read through the same buffered file readline used (communicate() would skip its buffer)
        out, err = first + server.stdout.read(), server.stderr.read()  # type: ignore[union-attr]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()  # type: ignore[union-attr]
        server.stderr.close()  # type: ignore[union-attr]
    assert server.returncode == 0, err
    assert "token: in the keyring as 'routedesk-endpoint-token'" in out
    assert "stopped; 1 request(s) refused for a missing or wrong token" in err
    assert rotated not in out + err  # the token is never printed by serve itself
