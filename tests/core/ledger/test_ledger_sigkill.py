"""SIGKILL under load: the log stays intact and holds every request whose answer was returned.

With the journal (the default) the answer is returned once the request is journaled; the killed
process's last requests may be only there, and the next ``open_ledger`` replays them. Without it
the answer waits for the commit. Both must lose nothing that was acknowledged.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.core.ledger.journal import journal_dir_for
from console.core.ledger.store import open_ledger

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


@pytest.mark.parametrize("journal", ["journal", "commit"])
def test_sigkill_mid_run_loses_no_acknowledged_request(tmp_path: Path, journal: str) -> None:
    db_path = tmp_path / "killed.sqlite3"
    url = f"sqlite:///{db_path}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    acknowledged: list[str] = []
    with subprocess.Popen([sys.executable, str(HERE / "sigkill_child.py"), url, journal],
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
    journal_dir = journal_dir_for(url)
    assert journal_dir is not None
    if journal == "journal":
        assert any(journal_dir.glob("*.jsonl")), "the killed writer left no journal behind"
    open_ledger(url).dispose()  # what any Routedesk process does first: replays the dead writer's journal
    assert not any(journal_dir.glob("*.jsonl")) if journal_dir.exists() else True
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT request_id FROM request")}
        attempts = conn.execute("SELECT COUNT(*) FROM attempt").fetchone()[0]
        rollup = conn.execute("SELECT SUM(attempts) FROM attempt_hour").fetchone()[0]
    missing = [rid for rid in acknowledged if rid not in stored]
    assert not missing, f"{len(missing)} acknowledged requests lost, e.g. {missing[:5]}"
    assert attempts == len(stored) == rollup  # raw rows and rollups committed together
