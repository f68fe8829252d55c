"""A private, real Secret Service for tests: a session D-Bus plus an unlocked gnome-keyring.

Everything lives in a temp folder (HOME, XDG dirs, the keyring file), so tests never touch the
user's own keyring. The fixture exports ``DBUS_SESSION_BUS_ADDRESS`` into
``os.environ`` for the session (``KeyringSession.env`` adds the private HOME/XDG dirs for
subprocesses), so both in-process ``keyring`` and CLI subprocesses find the
SecretService backend; both daemons are killed at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.parts import require_part

KEYRING_PASSWORD = b"routedesk-test-keyring"


@dataclass(frozen=True)
class KeyringSession:
    """Where the private keyring lives and the environment that reaches it."""

    home: Path
    env: dict[str, str]


def _start_bus(env: dict[str, str]) -> tuple[str, int]:
    output = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env, capture_output=True, text=True, timeout=10, check=True,
    ).stdout.split()
    return output[0], int(output[1])


def _wait_for_secrets(env: dict[str, str], daemon: subprocess.Popen[bytes]) -> None:
    """Poll until org.freedesktop.secrets has an owner on the bus (the daemon registered)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"gnome-keyring-daemon exited with {daemon.returncode}")
        probe = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"],
            env=env, capture_output=True, text=True, timeout=5,
        )
        if "boolean true" in probe.stdout:
            return
        time.sleep(0.05)
    raise RuntimeError("gnome-keyring-daemon did not register org.freedesktop.secrets within 10 s")


def _detect_keyring_again() -> None:
    import keyring.backend
    import keyring.core

    once = keyring.backend.get_all_keyring
    if "saved_result" in vars(once):  # jaraco.functools.once: reset() raises KeyError before a first call
        once.reset()
    keyring.core.init_backend()


@pytest.fixture(scope="session")
def keyring_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyringSession]:
    """A running, unlocked gnome-keyring on a private session bus; os.environ points at it."""
    for tool in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon"):
        require_part(shutil.which(tool) is not None, f"{tool} is missing (apt-get install dbus gnome-keyring)")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    overrides = {
        "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"), "XDG_RUNTIME_DIR": str(runtime),
    }
    env = {**os.environ, **overrides}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    address, bus_pid = _start_bus(env)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # Only the bus address is exported to this process: HOME and XDG stay as other tests expect.
    exported = {"DBUS_SESSION_BUS_ADDRESS": address}
    saved = {name: os.environ.get(name) for name in exported}
    try:
        assert daemon.stdin is not None
        daemon.stdin.write(KEYRING_PASSWORD)  # --unlock reads the login password from stdin
        daemon.stdin.close()
        _wait_for_secrets(env, daemon)
        os.environ.update(exported)
        # keyring decides once per process which backends are viable (get_all_keyring is a
        # jaraco.functools.once) and which one to use: a test that read a key before this session (a
        # window opening a policy with keyring: keys) would leave the fail backend chosen for good.
        _detect_keyring_again()
        yield KeyringSession(home=home, env=env)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _detect_keyring_again()  # and the next test must not keep this session's backend
        daemon.terminate()
        try:
            daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        try:
            os.kill(bus_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
