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
