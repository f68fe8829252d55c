"""``routedesk serve`` on a machine with no keyring session: the token from a file or an environment
variable, with clear errors for a missing, empty, short or shared one. A real process, the real SDK."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from console.core.policy.save import save_policy
from console.gateway.token import TokenSourceError, token_from_env, token_from_file
from tests.gateway.test_endpoint_openai import HELLO, sdk_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "service-token-0123456789abcdef"


def no_keyring_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with no D-Bus session: any keyring call would fail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    return {**env, "ROUTEDESK_HOME": str(tmp_path / "home"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            **extra}


def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_token_file_is_read_and_checked(tmp_path: Path) -> None:
    assert token_from_file(token_file(tmp_path, TOKEN + "\n")) == TOKEN
    for text, mode, why in [("", 0o600, "is empty"), ("short", 0o600, "at least 16"), ("two words here ok", 0o600, "no spaces"),
                            (TOKEN, 0o644, "other users")]:
        with pytest.raises(TokenSourceError, match=why):
            token_from_file(token_file(tmp_path, text, mode))
    with pytest.raises(TokenSourceError, match="does not exist"):
        token_from_file(tmp_path / "missing")


def test_a_token_variable_is_read_and_checked() -> None:
    assert token_from_env("RD_TOKEN", {"RD_TOKEN": f" {TOKEN} "}) == TOKEN
    with pytest.raises(TokenSourceError, match="RD_TOKEN is not set"):
        token_from_env("RD_TOKEN", {})
    with pytest.raises(TokenSourceError, match="RD_TOKEN is empty"):
        token_from_env("RD_TOKEN", {"RD_TOKEN": ""})


@pytest.mark.slow
@pytest.mark.parametrize("source", ["file", "env"])
def test_serve_routes_with_a_token_from_a_file_or_the_environment(
    fault_server: FaultServer, tmp_path: Path, source: str
) -> None:
    policy_path = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy_path)
    flag = ["--token-file", str(token_file(tmp_path, TOKEN + "\n"))] if source == "file" else ["--token-env", "RD_TOKEN"]
    server = subprocess.Popen(
        [sys.executable, "-m", "console", "serve", "--policy", str(policy_path), "--port", "0", "--no-log", *flag],
        cwd=ROOT, env=no_keyring_env(tmp_path, RD_TOKEN=TOKEN), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("Routedesk endpoint: http://127.0.0.1:"), first + (server.stderr.read() if server.poll() else "")
        url = first.split(": ", 1)[1].strip()
        with openai.OpenAI(base_url=url, api_key=TOKEN, max_retries=0, timeout=30) as client:
            assert client.chat.completions.create(model="auto", messages=HELLO).model == "steady"
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        out = first + server.stdout.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()  # type: ignore[union-attr]
        server.stderr.close()  # type: ignore[union-attr]
    assert server.returncode == 0
    assert ("token: from the file" if source == "file" else "token: from $RD_TOKEN") in out
    assert TOKEN not in out


def test_serve_refuses_a_bad_token_source_clearly(tmp_path: Path) -> None:
    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console", "serve", *args], cwd=ROOT, env=no_keyring_env(tmp_path),
                              capture_output=True, text=True, timeout=60)

    unset = serve("--token-env", "RD_NOT_SET")
    assert unset.returncode == 1 and "error: environment variable RD_NOT_SET is not set" in unset.stderr
    shared = serve("--token-file", str(token_file(tmp_path, TOKEN, 0o644)))
    assert shared.returncode == 1 and "other users" in shared.stderr and "Traceback" not in shared.stderr
    rotate = serve("--token-env", "RD_TOKEN", "--rotate-token")
    assert rotate.returncode == 2 and "keyring" in rotate.stderr
