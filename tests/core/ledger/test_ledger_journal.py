"""The log's journal: records round-trip, segments retire once committed, dead writers are replayed.

Dead writers are real processes that exit without closing their writer (``os._exit``), so their
lock is released by the OS exactly as after a crash.
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

from console.core.ledger.journal import Journal, decode, encode, journal_dir_for
from console.core.ledger.replay import replay_journals
from console.core.ledger.store import open_ledger
from console.core.ledger.writer import LedgerClosedError, LedgerWriter
from console.core.outcomes import Outcome

from tests.core.ledger.records_factory import make_record

ROOT = Path(__file__).resolve().parents[3]


def _scalar(db, sql: str):  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _die_after_journaling(url: str, ids: list[str], *, commit: bool = False, tail: bytes = b"") -> None:
    """A child process journals ``ids`` (committing them too when asked) and dies without closing."""
    script = textwrap.dedent(f"""
        import os, sqlite3
        from console.core.ledger.writer import LedgerClosedError, LedgerWriter
        from tests.core.ledger.records_factory import make_record
        writer = LedgerWriter({url!r})
        if not {commit!r}:  # another connection holds the write lock: the writer thread cannot commit
            blocker = sqlite3.connect({url.removeprefix("sqlite:///")!r}, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
        for rid in {ids!r}:
            assert writer.record(make_record(rid)).done()
        if {commit!r}:
            writer.flush(10)
        if {tail!r}:
            os.write(writer.journal._fd, {tail!r})
        os._exit(0)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=60)


def test_a_record_survives_the_journal_line_unchanged() -> None:
    record = make_record("x1", chain=(("a", Outcome.RATE_LIMITED, 0.0), ("b", Outcome.OK, 0.25)))
    record.attempts[0].error_message = "slow down — ünïcode\nsecond line"
    record.attempts[0].http_status = 429
    record.attempts[1].ttft_ms = 12.5
    record.prompt_text = "hello"
    line = encode(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == record


def test_a_dead_writers_journal_is_replayed_with_its_rollups(sqlite_url: str) -> None:
    _die_after_journaling(sqlite_url, [f"j{i}" for i in range(50)])
    directory = journal_dir_for(sqlite_url)
    assert directory is not None and len(list(directory.glob("*.jsonl"))) == 1
    db = open_ledger(sqlite_url)  # replays
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 50
    assert _scalar(db, "SELECT SUM(attempts) FROM attempt_hour") == 50
    assert _scalar(db, "SELECT SUM(requests) FROM request_day") == 50
    assert not list(directory.iterdir())  # segments and the lock file are gone
    db.dispose()


def test_replay_skips_what_the_dead_writer_had_committed(sqlite_url: str) -> None:
    _die_after_journaling(sqlite_url, [f"c{i}" for i in range(20)], commit=True)
    db = open_ledger(sqlite_url)
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 20
    assert _scalar(db, "SELECT SUM(attempts) FROM attempt_hour") == 20  # not counted twice
    db.dispose()


def test_an_unfinished_last_line_is_dropped_and_a_bad_line_is_kept_aside(sqlite_url: str) -> None:
    good = encode(make_record("good")).decode()
    _die_after_journaling(sqlite_url, ["j0"], tail=b'{"v": 1, "nonsense": true}\n' + good.encode() + b'{"v":1,"req')
    db = open_ledger(sqlite_url)
    ids = {r for r in db.connect().execute(text("SELECT request_id FROM request")).scalars()}
    assert ids == {"j0", "good"}
    directory = journal_dir_for(sqlite_url)
    assert directory is not None
    rejected = list(directory.glob("rejected-*.jsonl"))
    assert len(rejected) == 1
    kept = rejected[0].read_text()
    assert "not a journal record" in kept and '"nonsense": true' in kept
    assert not list(directory.glob("*.lock")) and len(list(directory.glob("*.jsonl"))) == 1
    db.dispose()


def test_a_live_writers_journal_is_left_alone(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer thread cannot commit: the record is only journaled
    assert writer.record(make_record("live")).done()
    db = open_ledger(sqlite_url)
    assert replay_journals(db, journal_dir_for(sqlite_url)).segments == 0
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 0
    blocker.rollback()
    blocker.close()
    writer.flush(20)  # the writer gets through once the lock is gone
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 1
    writer.close()
    db.dispose()


def test_full_segments_are_deleted_once_committed_and_close_leaves_nothing(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    assert writer.journal is not None
    writer.journal.segment_bytes = 2_000  # a few records per segment
    for i in range(200):
        writer.record(make_record(f"s{i}"))
    writer.flush(10)
    directory = writer.journal.directory
    assert len(list(directory.glob("*.jsonl"))) <= 2  # the current one, and one the writer may not have retired yet
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 200
    writer.close()
    assert not list(directory.iterdir())


def test_a_record_that_fails_to_commit_keeps_its_segment_for_the_next_open(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    writer = LedgerWriter(sqlite_url, max_delay_s=0.05)
    writer.record(make_record("same"))
    writer.record(make_record("same"))  # primary-key clash: fails at commit, after the caller was answered
    writer.record(make_record("other"))
    writer.flush(10)
    directory = writer.journal.directory if writer.journal else None
    writer.close()
    assert any("same" in r.getMessage() for r in caplog.records)
    assert directory is not None and list(directory.glob("*.jsonl"))  # kept: something failed
    db = open_ledger(sqlite_url)  # the replay finds both ids logged and removes the segment
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 2
    assert not list(directory.glob("*.jsonl"))
    db.dispose()


def test_a_journal_that_cannot_be_written_falls_back_to_waiting_for_the_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    (tmp_path / "log.sqlite3.journal").write_text("a file where the directory should be")
    writer = LedgerWriter(url)
    assert writer.journal is None
    future = writer.record(make_record("r"))
    future.result(10)  # resolves after its commit
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 1
    writer.close()


def test_no_journal_for_a_log_in_memory() -> None:
    assert journal_dir_for("sqlite://") is None
    assert journal_dir_for("sqlite:///:memory:") is None
    assert Journal  # the class exists on this platform (fcntl), which the tests above rely on


def test_records_racing_close_are_either_refused_or_kept(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def hammer(worker: int) -> None:
        for i in range(2000):
            try:
                writer.record(make_record(f"h{worker}-{i}")).result(10)
            except LedgerClosedError:
                return
            with lock:
                acknowledged.append(f"h{worker}-{i}")

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    writer.close()
    for thread in threads:
        thread.join(30)
    writer.flush(1)  # after close: returns at once
    db = open_ledger(sqlite_url)
    stored = set(db.connect().execute(text("SELECT request_id FROM request")).scalars())
    assert acknowledged and set(acknowledged) <= stored
    db.dispose()


def test_a_segment_that_cannot_be_started_falls_back_without_closing_other_files(
        sqlite_url: str, tmp_path: Path) -> None:
    writer = LedgerWriter(sqlite_url)
    assert writer.journal is not None
    writer.journal.segment_bytes = 1  # every record starts a new segment
    writer.record(make_record("before"))
    bystander = (tmp_path / "bystander.txt").open("w")
    directory = writer.journal.directory
    directory.rename(directory.with_name("moved-away"))  # the journal's directory disappears
    future = writer.record(make_record("after"))
    future.result(10)  # resolved by the commit instead
    bystander.write("still open")
    bystander.close()
    assert (tmp_path / "bystander.txt").read_text() == "still open"
    assert _scalar(writer.db, "SELECT COUNT(*) FROM request") == 2
    writer.close()


def test_a_busy_database_postpones_replay_instead_of_rejecting(sqlite_url: str) -> None:
    from sqlalchemy import create_engine

    _die_after_journaling(sqlite_url, ["p0", "p1"])
    directory = journal_dir_for(sqlite_url)
    assert directory is not None
    path = sqlite_url.removeprefix("sqlite:///")
    impatient = create_engine(sqlite_url, connect_args={"timeout": 0.2})
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    report = replay_journals(impatient, directory)
    assert report.postponed == 1 and report.replayed == 0 and not report.rejected
    assert len(list(directory.glob("*.jsonl"))) == 1 and len(list(directory.glob("*.lock"))) == 1
    blocker.rollback()
    blocker.close()
    assert replay_journals(impatient, directory).replayed == 2
    assert not list(directory.iterdir())
    impatient.dispose()


def test_a_damaged_line_never_stops_the_log_from_opening(sqlite_url: str) -> None:
    _die_after_journaling(sqlite_url, ["fine"], tail=b'{"v":1,"request_id":"x","attempts":[1]}\n{"v":1,"request_id":[1]}\n')
    db = open_ledger(sqlite_url)
    assert _scalar(db, "SELECT COUNT(*) FROM request") == 1
    directory = journal_dir_for(sqlite_url)
    assert directory is not None
    [rejected] = directory.glob("rejected-*.jsonl")
    assert rejected.read_text().count("not a journal record") == 2
    db.dispose()


def test_a_running_writer_adopts_the_journal_of_a_process_that_died(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.core.ledger import writer as writer_module

    monkeypatch.setattr(writer_module, "ORPHAN_SCAN_S", 0.2)
    survivor = LedgerWriter(sqlite_url)
    _die_after_journaling(sqlite_url, ["orphan-1", "orphan-2"])
    deadline = time.monotonic() + 10
    while _scalar(survivor.db, "SELECT COUNT(*) FROM request") < 2:
        assert time.monotonic() < deadline, "the survivor never replayed the dead process's journal"
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
    writer.close()
    assert writer.journal is not None and not list(writer.journal.directory.iterdir())  # nothing left dirty
    release.join()
    blocker.close()
    impatient.dispose()
