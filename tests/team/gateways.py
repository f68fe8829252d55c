"""Start ``routedesk serve --config`` processes for the team tests and stop them like a service manager does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def routedesk(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, env=env or gateway_env(),
                          capture_output=True, text=True, timeout=timeout)


def gateway_env(home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if home is not None:
        env["ROUTEDESK_HOME"] = str(home)
    return env


class GatewayProcess:
    """One ``routedesk serve --config FILE`` process; its stdout and stderr go to files beside the config.

    It runs with ``-X importtime``: the import log on stderr shows whether Qt was ever imported."""

    def __init__(self, config: Path, home: Path, extra: list[str] | None = None) -> None:
        self.config = config
        self.stdout = config.with_suffix(".out")
        self.stderr = config.with_suffix(".err")
        self.url = ""
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-X", "importtime", "-m", "console", "serve", "--config", str(config), *(extra or [])],
                cwd=ROOT, env=gateway_env(home), stdout=out, stderr=err)

    def wait_ready(self, timeout_s: float = 60) -> "GatewayProcess":
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.stdout.read_text(errors="replace").splitlines():
                if line.startswith("Routedesk endpoint: "):
                    self.url = line.split(": ", 1)[1].strip()
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.config.name} did not start:\n{self.output()}")

    @property
    def root(self) -> str:
        return self.url.rsplit("/v1", 1)[0]

    def output(self) -> str:
        err = "\n".join(line for line in self.stderr.read_text(errors="replace").splitlines()
                        if not line.startswith("import time:"))
        return self.stdout.read_text(errors="replace") + "\n--- stderr ---\n" + err

    def imported(self) -> str:
        return self.stderr.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C and `systemctl stop` (KillSignal=SIGINT) send
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode
