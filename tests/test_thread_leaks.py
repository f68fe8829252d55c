"""The suite's leak fixture fails a test that leaves a thread running, daemon threads included.

Run on a throwaway test file with this suite's conftest as a plugin: a test that opens a ledger
writer (a daemon thread) and never closes it must fail, naming the thread; closing it passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LEAKY = '''
from console.core.ledger.writer import LedgerWriter


def test_leaves_the_writer_running(tmp_path):
    LedgerWriter(f"sqlite:///{tmp_path / 'log.sqlite3'}")


def test_closes_the_writer(tmp_path):
    LedgerWriter(f"sqlite:///{tmp_path / 'log.sqlite3'}").close()
'''


def test_a_daemon_thread_left_running_fails_the_test(tmp_path: Path) -> None:
    test_file = tmp_path / "test_leaky.py"
    test_file.write_text(LEAKY)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), str(test_file)],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert done.stdout.rstrip().splitlines()[-1].startswith("2 passed, 1 error"), done.stdout[-3000:]  # in teardown
    assert "ERROR" in done.stdout and "test_leaky.py::test_leaves_the_writer_running" in done.stdout
    assert "test left threads running: ['routedesk-ledger-writer (daemon)']" in done.stdout
