"""``routedesk keys`` end to end: a subprocess CLI against a real gnome-keyring on a private bus.

The key is piped in; afterwards neither any output nor any file under ROUTEDESK_HOME contains it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.keyring_daemon import KeyringSession

pytestmark = [pytest.mark.keyring, pytest.mark.slow]
SECRET = "sk-routedesk-cli-8d1e77-NEVER-PRINT"

POLICY = """\
version: 1
name: keys-test
providers:
  hosted: {kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", key: "keyring:hosted-test-key"}
  viaenv: {kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", key: "env:ROUTEDESK_TEST_ENV_KEY"}
  local: {kind: local-gguf}
models:
  cloud: {provider: hosted, model: some-model, prices: {input: 1, output: 2}}
  tiny: {provider: local, model: "bundled:smollm2-135m", region: on-prem, prices: {input: 0, output: 0}}
tasks:
  general: {}
classification: {default: general}
routes:
  general: {candidates: [cloud, tiny]}
"""


def routedesk(session: KeyringSession, home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**session.env, "ROUTEDESK_HOME": str(home)}
    env.pop("ROUTEDESK_TEST_ENV_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "console", "keys", *args], input=stdin, capture_output=True, text=True,
        env=env, timeout=60,
    )


def test_set_list_delete_through_the_real_keyring(keyring_session: KeyringSession, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    runs = [
        routedesk(keyring_session, home, "set", "hosted", "--policy", str(policy), stdin=SECRET + "\n"),
        routedesk(keyring_session, home, "list", "--policy", str(policy)),
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert "keyring:hosted-test-key" in runs[0].stdout
    listing = runs[1].stdout
    assert runs[1].returncode == 0, runs[1].stderr
    rows = {line.split(None, 2)[0]: line.split(None, 2)[2].strip() for line in listing.splitlines()[1:]}
    assert rows["hosted"] == "set in keyring" and rows["viaenv"] == "env var not set" and listing.count("no key needed") == 1

    from keyring.backends import SecretService

    assert SecretService.Keyring().get_password("routedesk", "hosted-test-key") == SECRET

    runs.append(routedesk(keyring_session, home, "delete", "hosted", "--policy", str(policy)))
    runs.append(routedesk(keyring_session, home, "list", "--policy", str(policy)))
    assert runs[2].returncode == 0 and "missing" in runs[3].stdout.splitlines()[1]
    assert SecretService.Keyring().get_password("routedesk", "hosted-test-key") is None

    for run in runs:
        assert SECRET not in run.stdout and SECRET not in run.stderr
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the key leaked into {path}"


def test_test_verb_reports_an_unreachable_provider_without_the_key(
    keyring_session: KeyringSession, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    home = tmp_path / "home"
    home.mkdir()
    routedesk(keyring_session, home, "set", "hosted", "--policy", str(policy), stdin=SECRET)
    result = routedesk(keyring_session, home, "test", "hosted", "--policy", str(policy))
    assert result.returncode == 1
    assert "test failed for hosted" in result.stderr and SECRET not in result.stderr + result.stdout
    routedesk(keyring_session, home, "delete", "hosted", "--policy", str(policy))


def test_refuses_env_providers_and_empty_input(keyring_session: KeyringSession, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    env_provider = routedesk(keyring_session, tmp_path, "set", "viaenv", "--policy", str(policy), stdin="x\n")
    assert env_provider.returncode == 1 and "ROUTEDESK_TEST_ENV_KEY" in env_provider.stderr
    empty = routedesk(keyring_session, tmp_path, "set", "plainname", stdin="\n")
    assert empty.returncode == 1 and "no key was given" in empty.stderr
    assert "Traceback" not in env_provider.stderr + empty.stderr


def test_without_a_keyring_the_cli_says_so_plainly(tmp_path: Path) -> None:
    env = {**os.environ, "ROUTEDESK_HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run(
        [sys.executable, "-m", "console", "keys", "set", "openai"], input=SECRET, capture_output=True, text=True,
        env=env, timeout=60,
    )
    assert result.returncode == 1
    assert "cannot store keys" in result.stderr and "Traceback" not in result.stderr
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_keys_test_makes_one_authenticated_call(keyring_session: KeyringSession, tmp_path: Path) -> None:
    from tests.support.fault_server import FaultServer

    server = FaultServer().start()
    try:
        home = tmp_path / "home"
        home.mkdir()
        policy = tmp_path / "policy.yaml"
        policy.write_text(POLICY.replace("http://127.0.0.1:9/v1", server.url))
        stored = routedesk(keyring_session, home, "set", "hosted", "--policy", str(policy), stdin=SECRET + "\n")
        assert stored.returncode == 0, stored.stderr
        tested = routedesk(keyring_session, home, "test", "hosted", "--policy", str(policy))
        assert tested.returncode == 0, tested.stdout + tested.stderr
        calls = server.requests
        assert len(calls) == 1 and calls[0].method == "GET" and calls[0].path.endswith("/models")
        assert calls[0].secret_is("authorization", f"Bearer {SECRET}")  # the stored key was the one sent
        assert SECRET not in tested.stdout + tested.stderr
    finally:
        server.stop()
