"""A full disk under the log: requests are still answered, kept in memory, alarmed, and written later.

Before, "database or disk is full" was taken for a busy database and retried inside each request
(7 s), then the record was dropped: 41 of 83 answered requests were lost. The log lives on a small
tmpfs here; a filler file takes the rest of its space, then is deleted to "free the disk".
Mounting needs root (or CAP_SYS_ADMIN): skipped with the reason elsewhere, required under CI.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from console.core.ledger import writer as writer_module
from console.core.ledger.health import DISK_FULL, LedgerHealth, is_disk_full
from console.core.ledger.store import open_ledger_readonly
from console.core.ledger.writer import LedgerWriter
from tests.core.ledger.records_factory import make_record
from tests.support.parts import require_part

BIG_PROMPT = "x" * 40_000  # each request needs new pages: a full disk cannot hide in free ones


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small-disk"
    mounted = _mount_tmpfs(where, "3m")
    require_part(mounted, "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): the disk-full test needs one")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Take every free byte of ``disk`` with one file; returns it (delete it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):  # big writes, then the last crumbs
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as err:
                    assert err.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def _logged(url: str) -> set[str]:
    db = open_ledger_readonly(url)
    try:
        with db.connect() as conn:
            return set(conn.exec_driver_sql("SELECT request_id FROM request").scalars())
    finally:
        db.dispose()


def test_a_full_disk_keeps_requests_answered_alarmed_and_written_once_space_is_back(
        small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "RETRY_S", 0.2)
    url = f"sqlite:///{small_disk / 'log.sqlite3'}"
    seen: list[LedgerHealth] = []
    writer = LedgerWriter(url, keep_limit=1000)
    writer.watch_health(seen.append)
    writer.record(make_record("before")).result(10)
    writer.flush(10)
    filler = _fill(small_disk)

    ids = [f"full-{i}" for i in range(40)]
    for rid in ids:
        record = make_record(rid)
        record.prompt_text = BIG_PROMPT
        writer.record(record).result(10)  # answered: resolved, not failed, not held for retries
    writer.flush(10)
    alarm = writer.health
    assert alarm.state == DISK_FULL and "full" in alarm.detail
    assert alarm.kept >= 1 and alarm.not_kept == 0
    assert "ALARM" in alarm.summary() and f"{alarm.kept} kept in memory" in alarm.summary()
    assert any(h.state == DISK_FULL for h in seen)  # the alarm was published to listeners

    filler.unlink()  # space comes back: the writer's next try writes what it kept
    deadline = time.monotonic() + 20
    while not writer.health.ok:  # the fact waited for: the writer's retry got through
        assert time.monotonic() < deadline, f"still {writer.health}"
        writer.flush(10)
        time.sleep(0.05)
    assert writer.health.ok and writer.health.written_late == alarm.kept
    assert seen[-1].ok
    writer.close()
    assert set(ids) | {"before"} <= _logged(url)


def test_past_the_memory_bound_requests_are_counted_not_silently_dropped(
        small_disk: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(writer_module, "RETRY_S", 60.0)  # no retry during the test: the disk stays full
    url = f"sqlite:///{small_disk / 'log.sqlite3'}"
    writer = LedgerWriter(url, keep_limit=5, staging=False)
    writer.record(make_record("before")).result(10)
    _fill(small_disk)
    for i in range(12):
        record = make_record(f"over-{i}")
        record.prompt_text = BIG_PROMPT
        writer.record(record).result(10)
    health = writer.health
    assert health.state == DISK_FULL and health.kept == 5 and health.not_kept >= 1
    assert health.kept + health.not_kept + writer.committed_requests - 1 == 12
    assert f"{health.not_kept} more past the memory bound are answered but NOT kept" in health.summary()
    writer.close()
    assert any("could not be written to the routing log and are lost" in r.getMessage() for r in caplog.records)


def test_disk_full_is_recognised_as_sqlite_and_the_os_report_it() -> None:
    import sqlite3

    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))
