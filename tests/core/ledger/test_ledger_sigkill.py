"""SIGKILL under load: the log stays intact and holds every request whose answer was returned.

With staging (the default) the answer is returned once the request is in the process's staging
file; the killed process's last requests may be only there, and the next writer to open the log
recovers them. Without it the answer waits for the commit. Both must lose nothing that was
acknowledged, and a reader opening the log in between must not recover (or write) anything.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.core.ledger.staging import staging_dir_for
from console.core.ledger.store import open_ledger_readonly
from console.core.ledger.writer import LedgerWriter

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


@pytest.mark.parametrize("staging", ["staging", "commit"])
def test_sigkill_mid_run_loses_no_acknowledged_request(tmp_path: Path, staging: str) -> None:
    db_path = tmp_path / "killed.sqlite3"
    url = f"sqlite:///{db_path}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    acknowledged: list[str] = []
    with subprocess.Popen([sys.executable, str(HERE / "sigkill_child.py"), url, staging],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True) as child:
        assert child.stdout is not None and child.stderr is not None
        try:
            for line in child.stdout:  # kill while it is busy writing, well past start-up
                acknowledged.append(line.strip())
                if len(acknowledged) >= 3000:
                    child.send_signal(signal.SIGKILL)
                    break
            acknowledged.extend(line.strip() for line in child.stdout)  # what was already in the pipe
        finally:
            child.kill()
            child.wait(timeout=30)
        errors = child.stderr.read()
    assert child.returncode == -signal.SIGKILL, errors
    acknowledged = [rid for rid in acknowledged if rid]
    assert len(acknowledged) >= 3000
    with sqlite3.connect(db_path) as conn:  # the file as the killed process left it
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    staging_dir = staging_dir_for(url)
    assert staging_dir is not None
    left = sorted(staging_dir.glob("*.sqlite3"))
    if staging == "staging":
        assert left, "the killed writer left no staging file behind"
    reader = open_ledger_readonly(url)  # reading recovers nothing
    with reader.connect() as conn:
        before = set(conn.exec_driver_sql("SELECT request_id FROM request").scalars())
    reader.dispose()
    assert sorted(staging_dir.glob("*.sqlite3")) == left
    if staging == "staging":  # the judge has something to judge: answered requests that were only staged
        assert set(acknowledged) - before, "every acknowledged request was committed before the kill"
    LedgerWriter(url).close()  # what the next Routedesk process that writes the log does first
    assert not any(staging_dir.glob("*.sqlite3*")), "a recovered staging file was left behind"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT request_id FROM request")}
        attempts = conn.execute("SELECT COUNT(*) FROM attempt").fetchone()[0]
        rollup = conn.execute("SELECT SUM(attempts) FROM attempt_hour").fetchone()[0]
    missing = [rid for rid in acknowledged if rid not in stored]
    assert not missing, f"{len(missing)} acknowledged requests lost, e.g. {missing[:5]}"
    assert attempts == len(stored) == rollup  # raw rows and rollups committed together
