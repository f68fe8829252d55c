"""A damaged or unwritable log: clear words naming the file, never a traceback, and routing goes on.

Before, a corrupt log file gave ``log``, ``report``, ``route`` and ``serve`` 37-115-line SQLAlchemy
tracebacks and routing was refused although it does not need the log; a read-only data directory
crashed ``route`` and ``serve`` with ``LedgerOpenError``. Commands run as real processes here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from console.core.ledger.store import open_ledger, open_ledger_readonly
from console.core.ledger.writer import LedgerWriter
from console.core.policy.save import save_policy
from tests.gateway.endpoint import running_endpoint
from tests.gateway.test_endpoint_openai import sdk_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.support.keyring_daemon import KeyringSession
from tests.support.parts import require_part

ROOT = Path(__file__).resolve().parents[2]
GARBAGE = b"SQLite format 2? no: this file was overwritten by something else\n" * 200


def routedesk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def _damaged(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    path.write_bytes(GARBAGE)
    return path


def _count(url: str) -> int:
    db = open_ledger_readonly(url)
    try:
        with db.connect() as conn:
            return int(conn.exec_driver_sql("SELECT COUNT(*) FROM request").scalar_one())
    finally:
        db.dispose()


@pytest.mark.parametrize("command", [["log"], ["report"]])
def test_reading_a_damaged_log_names_it_and_says_how_to_move_it_aside(tmp_path: Path, command: list[str]) -> None:
    path = _damaged(tmp_path)
    done = routedesk(*command, "--db", f"sqlite:///{path}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert f"the routing log {path} is damaged" in done.stderr and f"mv '{path}' '{path}.damaged'" in done.stderr
    assert path.read_bytes() == GARBAGE  # reading never touches it


def test_route_answers_with_a_damaged_log_and_its_request_is_logged_once_it_is_moved_aside(
        fault_server: FaultServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy)
    path = _damaged(tmp_path)
    url = f"sqlite:///{path}"
    done = routedesk("route", "--policy", str(policy), "--db", url, "hello while the log is damaged")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello while the log is damaged"  # the fault server echoes the prompt
    assert "Traceback" not in done.stderr, done.stderr
    assert "ALARM: the routing log cannot be written" in done.stderr and f"mv '{path}'" in done.stderr
    assert "stay in" in done.stderr  # the request is staged beside the log, not lost
    assert path.read_bytes() == GARBAGE

    path.rename(path.with_name("log.sqlite3.damaged"))  # what the message says to do
    LedgerWriter(url).close()  # the next process that writes the log
    assert _count(url) == 1


@pytest.mark.keyring
@pytest.mark.slow
def test_serve_answers_with_a_damaged_log_and_shows_the_alarm(
        keyring_session: KeyringSession, fault_server: FaultServer, tmp_path: Path) -> None:
    env = {**keyring_session.env, "ROUTEDESK_HOME": str(tmp_path / "home")}
    token = routedesk("serve", "--show-token", env=env).stdout.strip()
    policy = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy)
    path = _damaged(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "console", "serve", "--policy", str(policy), "--port", "0", "--db", f"sqlite:///{path}"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stderr is not None
        first = server.stdout.readline()
        assert first.startswith("Routedesk endpoint: "), first + (server.stderr.read() if server.poll() else "")
        url = first.split(": ", 1)[1].strip()
        answer = httpx.post(f"{url}/chat/completions", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
        assert answer.status_code == 200, answer.text
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        err = server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for stream in (server.stdout, server.stderr):
            if stream is not None:
                stream.close()
    assert "Traceback" not in err, err
    assert "ALARM: the routing log cannot be written" in err and f"the routing log {path} is damaged" in err


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    """A data directory holding a log, that nobody may write (a read-only mount where we are root)."""
    home = tmp_path / "home"
    home.mkdir()
    mounted = False
    if os.geteuid() == 0:  # root writes through any mode bits: only a read-only mount stops it
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(home)]).returncode == 0
        require_part(mounted, "cannot mount a tmpfs (root without CAP_SYS_ADMIN): no read-only directory to test")
    open_ledger(f"sqlite:///{home / 'routedesk-log.sqlite3'}").dispose()
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
    else:
        home.chmod(0o500)
        (home / "routedesk-log.sqlite3").chmod(0o400)
    try:
        yield home
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(home)], check=False)
        else:
            home.chmod(0o700)
            shutil.rmtree(home, ignore_errors=True)


def test_route_in_a_read_only_data_directory_answers_and_says_the_log_is_unwritable(
        fault_server: FaultServer, tmp_path: Path, read_only_home: Path) -> None:
    policy = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy)
    done = routedesk("route", "--policy", str(policy), "hello read-only", env={"ROUTEDESK_HOME": str(read_only_home)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello read-only"
    assert "Traceback" not in done.stderr and "LedgerOpenError" not in done.stderr, done.stderr
    assert "ALARM: the routing log cannot be written" in done.stderr
    assert "could not be written to the routing log and are lost" in done.stderr  # said, not silent
    log_view = routedesk("log", env={"ROUTEDESK_HOME": str(read_only_home)})  # reading still works
    assert log_view.returncode == 0, log_view.stderr


def test_the_endpoint_in_a_read_only_data_directory_answers(fault_server: FaultServer, read_only_home: Path) -> None:
    url = f"sqlite:///{read_only_home / 'routedesk-log.sqlite3'}"
    with running_endpoint(sdk_policy(fault_server), log_url=url) as live:
        health = live.state.workspace.watch_log_health(lambda _h: None)
        answer = httpx.post(f"{live.url}/chat/completions", headers={"Authorization": f"Bearer {live.token}"},
                            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
        assert answer.status_code == 200, answer.text
    assert health is not None and not health.ok and health.kept == 0


def test_a_db_url_that_is_a_mistake_is_an_error_not_an_endless_alarm(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text((ROOT / "policies" / "demo.yaml").read_text())
    done = routedesk("route", "--policy", str(policy), "--db", "nonsense", "hi",
                     env={"ROUTEDESK_HOME": str(tmp_path / "home")})
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --db: not a database URL: 'nonsense' "
                                   "(Could not parse SQLAlchemy URL from given URL string)")


def test_route_with_an_unusable_data_directory_answers_and_says_why(fault_server: FaultServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy)
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the data directory's parent should be")
    done = routedesk("route", "--policy", str(policy), "hello anyway", env={"ROUTEDESK_HOME": str(blocked / "home")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello anyway"
    assert "Traceback" not in done.stderr, done.stderr
    assert "ALARM: the routing log cannot be written" in done.stderr and "data directory" in done.stderr
