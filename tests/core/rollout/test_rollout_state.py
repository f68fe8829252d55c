"""Rollout state in the log: a restart resumes it; concurrent advances move it one step at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from console.core.ledger.store import open_ledger
from console.core.policy.rollout_schema import Rollout
from console.core.rollout.state import (
    ACTIVE, COMPLETE, HELD, ROLLED_BACK, RolloutConflict, RolloutError, advance, hold, read_events, read_state,
    rollback, start,
)

ROOT = Path(__file__).resolve().parents[3]


def _rollout(steps: list[float]) -> Rollout:
    return Rollout(candidate="cheap", replaces="premium", steps=steps)


def test_a_rollout_is_read_back_where_it_was_left(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    first = start(db, "p", "chat", _rollout([5, 25, 50, 100]), by="test", now=100.0)
    assert (first.step, first.share, first.status) == (0, 5, ACTIVE)
    advance(db, first, by="test", now=200.0)
    db.dispose()

    db = open_ledger(ledger_url)  # a restart: nothing in memory
    again = start(db, "p", "chat", _rollout([5, 25, 50, 100]), by="test", now=300.0)
    assert (again.step, again.share, again.step_ts) == (1, 25, 200.0)
    held = hold(db, again, by="test", now=310.0)
    assert (held.status, held.share, held.step_ts) == (HELD, 25, 200.0)  # a hold keeps the step's clock
    back = rollback(db, held, by="test", detail={"why": "test"}, now=320.0)
    assert (back.status, back.share) == (ROLLED_BACK, 0)
    with pytest.raises(RolloutError, match="already rolled back"):
        rollback(db, back, by="test")
    resumed = advance(db, back, by="test", now=330.0)
    assert (resumed.step, resumed.share, resumed.status) == (0, 5, ACTIVE)
    events = read_events(db, "p", "chat")
    assert [(e.action, e.share) for e in events] == [
        ("start", 5), ("advance", 25), ("hold", 25), ("rollback", 0), ("resume", 5)]
    assert events[3].detail == {"why": "test"}
    db.dispose()


def test_a_stale_read_cannot_change_the_rollout(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    seen = start(db, "p", "chat", _rollout([5, 25, 50, 100]), by="test")
    advance(db, seen, by="window")
    with pytest.raises(RolloutConflict, match="changed by another process") as conflict:
        advance(db, seen, by="serve")  # read at step 0: would have gone to step 1 again, or to step 2
    assert conflict.value.now is not None and conflict.value.now.step == 1
    last = advance(db, advance(db, conflict.value.now, by="test"), by="test")
    assert last.status == COMPLETE and last.share == 100
    with pytest.raises(RolloutError, match="last step"):
        advance(db, last, by="test")
    db.dispose()


def _assert_one_step_at_a_time(url: str, won: int, steps: int) -> None:
    db = open_ledger(url)
    state = read_state(db, "p", "chat")
    advances = [e for e in read_events(db, "p", "chat") if e.action == "advance"]
    assert state is not None and state.step == won == len(advances)
    assert [e.step for e in advances] == list(range(1, won + 1))  # every step once, in order, none skipped
    assert won == steps - 1  # and the contenders together still reached the end
    db.dispose()


def test_processes_advancing_at_once_never_skip_a_step(ledger_url: str) -> None:
    steps = [float(s) for s in range(1, 41)]
    db = open_ledger(ledger_url)
    start(db, "p", "chat", _rollout(steps), by="test")
    db.dispose()
    children = [subprocess.Popen([sys.executable, "-m", "tests.core.rollout.advance_child", ledger_url, "200"],
                                 cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    won = 0
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        won += int(out.strip())
    _assert_one_step_at_a_time(ledger_url, won, len(steps))


def test_threads_advancing_at_once_never_skip_a_step(ledger_url: str) -> None:
    steps = [float(s) for s in range(1, 61)]
    db = open_ledger(ledger_url)
    start(db, "p", "chat", _rollout(steps), by="test")
    wins: list[int] = []
    go = threading.Barrier(6)

    def contend() -> None:
        go.wait()
        won = 0
        while True:
            seen = read_state(db, "p", "chat")
            assert seen is not None
            try:
                advance(db, seen, by="thread")
                won += 1
            except RolloutConflict:
                continue
            except RolloutError:
                break
        wins.append(won)

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    db.dispose()
    _assert_one_step_at_a_time(ledger_url, sum(wins), len(steps))


def test_two_processes_starting_the_same_rollout_make_one_row(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    go = threading.Barrier(4)
    got = []

    def begin() -> None:
        go.wait()
        got.append(start(db, "p", "chat", _rollout([5, 100]), by="thread"))

    threads = [threading.Thread(target=begin) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(got) == 4 and len({g.revision for g in got}) == 1
    assert [e.action for e in read_events(db, "p", "chat")] == ["start"]
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM rollout_state")).scalar() == 1
    db.dispose()


def test_a_log_from_before_the_rollout_step_is_upgraded_with_its_tables_and_keeps_its_requests(ledger_url: str) -> None:
    from console.core.ledger.migrations import STEPS, _add_rollout_tables
    from console.core.ledger.rows import insert_batch
    from console.core.ledger.tables import SCHEMA_VERSION
    from tests.core.ledger.records_factory import make_record

    db = open_ledger(ledger_url)
    with db.begin() as conn:
        insert_batch(conn, [make_record("old-1"), make_record("old-2", ts=1_760_000_100.0)])
    [before] = [version for version, step in STEPS.items() if step is _add_rollout_tables]
    with db.begin() as conn:  # what a log of the version before the rollout step looks like
        for table in ("rollout_arm", "rollout_event", "rollout_state"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE schema_meta SET value = :v WHERE key = 'version'"), {"v": str(before)})
    db.dispose()

    db = open_ledger(ledger_url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
        assert conn.execute(text("SELECT COUNT(*) FROM request")).scalar() == 2
    state = start(db, "p", "chat", _rollout([5, 100]), by="test")  # the new tables take rows
    assert read_state(db, "p", "chat") == state
    db.dispose()
