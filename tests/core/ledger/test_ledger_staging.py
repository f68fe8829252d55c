"""The writer's staging file: records round-trip, committed rows leave it, dead writers are recovered.

Dead writers are real processes that exit without closing their writer (``os._exit``), so the lock
on their staging file is released by the OS exactly as after a crash.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from console.core.ledger.record_json import decode, encode
from console.core.ledger.rows import insert_batch
from console.core.ledger.staging import Staging, staging_dir_for
from console.core.ledger.staging_recovery import recover_staged
from console.core.ledger.store import open_ledger
from console.core.ledger.writer import LedgerClosedError, LedgerWriter
from console.core.outcomes import Outcome

from tests.core.ledger.records_factory import make_record

ROOT = Path(__file__).resolve().parents[3]


def _scalar(db, sql: str):  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.sqlite3")) if directory.is_dir() else []


def _die_after_staging(url: str, ids: list[str]) -> None:
    """A child process stages ``ids`` while the log is locked (so none is committed) and dies."""
    script = textwrap.dedent(f"""
        import os, sqlite3
        from console.core.ledger.writer import LedgerWriter
        from tests.core.ledger.records_factory import make_record
        writer = LedgerWriter({url!r})
        blocker = sqlite3.connect({url.removeprefix("sqlite:///")!r}, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the writer thread cannot commit: the records are only staged
        for rid in {ids!r}:
            assert writer.record(make_record(rid)).done()
        os._exit(0)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=60)


def _left_behind(directory: Path, records: list, *, also_logged: list | None = None, url: str = "") -> Path:
    """A staging file as a dead writer leaves it, made in this process: staged, closed, not removed."""
    staging = Staging(directory)
    for record in records:
        staging.stage(record.request_id, encode(record))
    assert staging.close() == len(records)
    if also_logged:
        db = open_ledger(url)
        with db.begin() as conn:
            insert_batch(conn, also_logged)
        db.dispose()
    return staging.path


def test_a_record_survives_its_staged_form_unchanged() -> None:
    record = make_record("x1", chain=(("a", Outcome.RATE_LIMITED, 0.0), ("b", Outcome.OK, 0.25)))
    assert decode(encode(record)) == record


def test_a_dead_writers_staged_requests_are_recovered_with_their_rollups(sqlite_url: str) -> None:
    _die_after_staging(sqlite_url, ["d0", "d1", "d2"])
    directory = staging_dir_for(sqlite_url)
    assert directory is not None and len(_files(directory)) == 1
    writer = LedgerWriter(sqlite_url)  # the next writer recovers them before anything else
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 3
    assert _scalar(writer.db, "SELECT SUM(attempts) FROM attempt_hour") == _scalar(writer.db, "SELECT COUNT(*) FROM attempt")
    assert _files(directory) == [writer.staging.path]
    writer.close()
    assert not list(directory.iterdir())


def test_recovery_skips_what_the_dead_writer_had_committed(sqlite_url: str) -> None:
    directory = staging_dir_for(sqlite_url)
    assert directory is not None
    records = [make_record(f"k{i}") for i in range(4)]
    _left_behind(directory, records, also_logged=records[:3], url=sqlite_url)
    db = open_ledger(sqlite_url)
    report = recover_staged(db, directory)
    assert (report.files, report.recovered, report.already_logged) == (1, 1, 3)
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 4
    assert not list(directory.iterdir())
    db.dispose()


def test_a_damaged_row_is_kept_aside_and_the_rest_recovered(sqlite_url: str) -> None:
    directory = staging_dir_for(sqlite_url)
    assert directory is not None
    path = _left_behind(directory, [make_record("fine")])
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO staged (request_id, body) VALUES ('bad', X'7b226e6f6e73656e7365223a747275657d')")
    conn.commit()
    conn.close()
    db = open_ledger(sqlite_url)
    report = recover_staged(db, directory)
    assert report.recovered == 1 and len(report.rejected) == 1
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 1
    conn = sqlite3.connect(report.rejected[0])
    [(rid, why)] = conn.execute("SELECT request_id, why FROM staged").fetchall()
    conn.close()
    assert rid == "bad" and "not a request record" in why
    assert not _files(directory)  # set aside: not tried again at every start
    db.dispose()


def test_a_live_writers_staging_file_is_left_alone(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer thread cannot commit: the record is only staged
    assert writer.record(make_record("live")).done()
    db = open_ledger(sqlite_url)
    assert recover_staged(db, staging_dir_for(sqlite_url)).files == 0
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 0
    blocker.rollback()
    blocker.close()
    writer.flush(30)  # the writer gets through once the lock is gone
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 1
    writer.close()
    db.dispose()


def test_committed_rows_leave_the_staging_file_and_close_leaves_nothing(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    assert writer.staging is not None
    for i in range(200):
        writer.record(make_record(f"s{i}"))
    writer.flush(10)
    assert writer.staging.pending() == 0
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 200
    directory = writer.staging.path.parent
    writer.close()
    assert not list(directory.iterdir())


def test_a_record_that_fails_to_commit_stays_staged_for_the_next_start(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    writer = LedgerWriter(sqlite_url, max_delay_s=0.05)
    writer.record(make_record("same"))
    writer.record(make_record("same"))  # primary-key clash: fails at commit, after the caller was answered
    writer.record(make_record("other"))
    writer.flush(10)
    directory = writer.staging.path.parent if writer.staging else None
    writer.close()
    assert any("same" in r.getMessage() for r in caplog.records)
    assert directory is not None and _files(directory)  # kept: something failed
    LedgerWriter(sqlite_url).close()  # the next writer finds the id logged and removes the file
    db = open_ledger(sqlite_url)
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 2
    assert not _files(directory)
    db.dispose()


def test_a_staging_file_that_cannot_be_made_falls_back_to_waiting_for_the_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    (tmp_path / "log.sqlite3.staging").write_text("a file where the directory should be")
    writer = LedgerWriter(url)
    assert writer.staging is None
    future = writer.record(make_record("r"))
    future.result(10)  # resolves after its commit
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 1
    writer.close()


def test_no_staging_for_a_log_in_memory() -> None:
    assert staging_dir_for("sqlite://") is None
    assert staging_dir_for("sqlite:///:memory:") is None


def test_records_racing_close_are_either_refused_or_kept(sqlite_url: str) -> None:
    for _round in range(3):
        writer = LedgerWriter(sqlite_url)
        acknowledged: list[str] = []
        lock = threading.Lock()
        started = threading.Barrier(7)

        def hammer(worker: int) -> None:
            started.wait()
            for i in range(2000):
                try:
                    writer.record(make_record(f"h{_round}-{worker}-{i}")).result(10)
                except LedgerClosedError:
                    return
                with lock:
                    acknowledged.append(f"h{_round}-{worker}-{i}")

        threads = [threading.Thread(target=hammer, args=(w,)) for w in range(6)]
        for thread in threads:
            thread.start()
        started.wait()
        while len(acknowledged) < 50:  # close while they are recording, not before they start
            time.sleep(0.001)
        writer.close()
        for thread in threads:
            thread.join(30)
        writer.flush(1)  # after close: returns at once
        db = open_ledger(sqlite_url)
        with db.connect() as conn:
            stored = set(conn.execute(text("SELECT request_id FROM request")).scalars())
        assert acknowledged and set(acknowledged) <= stored
        db.dispose()


def test_a_busy_database_postpones_recovery_instead_of_rejecting(sqlite_url: str) -> None:
    from sqlalchemy import create_engine

    _die_after_staging(sqlite_url, ["p0", "p1"])
    directory = staging_dir_for(sqlite_url)
    assert directory is not None
    path = sqlite_url.removeprefix("sqlite:///")
    impatient = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    report = recover_staged(impatient, directory)
    assert report.postponed == 1 and report.recovered == 0 and not report.rejected
    assert len(_files(directory)) == 1
    blocker.rollback()
    blocker.close()
    assert recover_staged(impatient, directory).recovered == 2
    assert not list(directory.iterdir())
    impatient.dispose()


def test_a_running_writer_adopts_the_staging_file_of_a_process_that_died(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.core.ledger import writer as writer_module

    monkeypatch.setattr(writer_module, "ORPHAN_SCAN_S", 0.2)
    survivor = LedgerWriter(sqlite_url)
    _die_after_staging(sqlite_url, ["orphan-1", "orphan-2"])
    deadline = time.monotonic() + 10
    while _scalar(survivor.db, "SELECT COUNT(*) FROM request") < 2:
        assert time.monotonic() < deadline, "the survivor never recovered the dead process's staging file"
        time.sleep(0.05)
    survivor.close()


def test_a_writer_waits_out_a_database_locked_past_its_busy_timeout(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy import create_engine

    open_ledger(sqlite_url).dispose()  # the schema exists; the writer below gives up on locks after 0.2 s
    impatient = create_engine(sqlite_url, connect_args={"timeout": 0.2, "check_same_thread": False})
    writer = LedgerWriter(db=impatient)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # e.g. another process's long bulk import
    release = threading.Timer(1.5, blocker.rollback)
    release.start()
    for i in range(3):
        assert writer.record(make_record(f"busy{i}")).done()
    writer.flush(30)
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 3
    assert any("busy" in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records)
    assert writer.health.ok
    directory = writer.staging.path.parent if writer.staging else None
    writer.close()
    assert directory is not None and not list(directory.iterdir())  # nothing left staged
    release.join()
    blocker.close()
    impatient.dispose()


def test_a_staging_file_being_created_is_not_taken_for_a_damaged_one(sqlite_url: str) -> None:
    directory = staging_dir_for(sqlite_url)
    assert directory is not None
    directory.mkdir(parents=True)
    starting = directory / "123-abc.sqlite3"
    starting.touch()  # a writer between creating its file and its first write
    db = open_ledger(sqlite_url)
    report = recover_staged(db, directory)
    assert not report.rejected and starting.exists()
    os.utime(starting, (time.time() - 3600, time.time() - 3600))  # ...or one that died right there
    recover_staged(db, directory)
    assert not starting.exists()
    db.dispose()
