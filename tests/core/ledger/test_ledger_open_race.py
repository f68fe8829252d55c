"""Threads that open a new log at the same moment: one creates it, the others (and readers) wait."""

from __future__ import annotations

import threading
from pathlib import Path

from console.core.ledger.migrations import LedgerVersionError
from console.core.ledger.store import LedgerMissingError, open_ledger, open_ledger_readonly


def test_writers_and_readers_opening_a_new_log_at_once_never_see_it_half_made(tmp_path: Path) -> None:
    for round_ in range(12):
        url = f"sqlite:///{tmp_path / f'log-{round_}.sqlite3'}"
        start = threading.Barrier(6)
        problems: list[str] = []

        def write() -> None:
            start.wait()
            try:
                open_ledger(url).dispose()
            except Exception as err:  # noqa: BLE001 - any failure is the finding
                problems.append(f"writer: {err}")

        def read() -> None:
            start.wait()
            try:
                open_ledger_readonly(url).dispose()
            except LedgerMissingError:
                pass  # before the creator's commit there is simply no log yet: that is fine
            except (LedgerVersionError, Exception) as err:  # noqa: BLE001 - a half-made log is the bug
                problems.append(f"reader: {err}")

        threads = [threading.Thread(target=write) for _ in range(4)] + [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not problems, problems


def test_processes_opening_a_new_postgres_log_at_once_all_open_it(postgres_server) -> None:  # type: ignore[no-untyped-def]
    """Three team gateways starting together on an empty database (tests/team/test_team_processes.py
    hit this): PostgreSQL fails the second concurrent CREATE TABLE of a name with a unique violation
    on its catalog (pg_type), which no in-process lock can prevent."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    opener = ("import sys, time; from console.core.ledger.store import open_ledger\n"
              "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"  # all start at one moment
              "open_ledger(sys.argv[1]).dispose()")
    import time

    for round_ in range(4):
        url = postgres_server.create_database(f"race_{round_}_{int(time.time() * 1000) % 10**8}")
        at = str(time.time() + 2.0)  # past every interpreter's start-up
        processes = [subprocess.Popen([sys.executable, "-c", opener, url, at], cwd=root, stderr=subprocess.PIPE,
                                      text=True) for _ in range(4)]
        finished = [(p.communicate(timeout=120)[1], p.returncode) for p in processes]
        failures = [err for err, code in finished if code != 0]
        assert not failures, failures[0][-2000:]
