"""The replay's packed columns (ledger/replay_columns.py) read back exactly what the raw rows hold."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import text

from console.core.app import replay_policy
from console.core.ledger.bulk import write_records
from console.core.ledger import replay_columns
from console.core.ledger.replay_columns import BATCH_REQUESTS, MERGE_RUN
from console.core.ledger.store import open_ledger, open_ledger_readonly
from console.core.ledger.tables import SCHEMA_VERSION
from console.core.ledger.traffic import generate
from console.core.policy.loader import load_policy_or_raise
from console.core.replay.packed_read import read_packed
from console.core.replay.traffic import LoggedTraffic, read_rows, read_traffic
from console.core.resources import checkout_root
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

END = 1_790_000_000.0
DAY = 86400.0
WINDOWS = [  # (since, until, task, metadata): the whole log, a slice in the middle, one task
    (END - 6 * DAY, END + 1, None, True), (END - 3.5 * DAY, END - 1.25 * DAY, None, False),
    (END - 4 * DAY, END, "code", True)]


def _records():
    records = list(generate(900, days=5, seed=11, end=END))
    # stored prompts, explicit task hints, customers and free-form metadata: every column the packing codes
    for k in range(0, len(records), 37):
        records[k] = replace(records[k], prompt_text=f"prompt {k}", task_reason="explicit task hint (x-task)",
                             metadata={**(records[k].metadata or {}), "customer": f"c{k % 3}", "tier": "gold"})
    return records


@pytest.fixture(params=["sqlite", "postgres"])
def log_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def _write(url: str, batch_requests: int) -> None:
    db = open_ledger(url)
    try:
        write_records(db, _records(), batch_requests=batch_requests)
    finally:
        db.dispose()


def assert_same_traffic(packed: LoggedTraffic | None, rows: LoggedTraffic) -> None:
    assert packed is not None
    assert len(packed) == len(rows) > 0
    for field in dataclasses.fields(LoggedTraffic):
        if field.name.startswith("_"):
            continue
        mine, theirs = getattr(packed, field.name), getattr(rows, field.name)
        if isinstance(theirs, list):
            assert mine == theirs, field.name
        else:
            assert np.array_equal(mine, theirs), field.name
            assert mine.dtype == theirs.dtype, field.name
    for name in ("task", "team", "region", "att_model", "task_reason"):  # codes the packed read hands over
        mine_codes, mine_names = packed.factorized(name)
        their_codes, their_names = rows.factorized(name)
        assert np.array_equal(mine_codes, their_codes) and list(mine_names) == list(their_names), name


def test_small_writer_batches_are_appended_and_read_back_as_the_rows(log_url) -> None:
    _write(log_url, batch_requests=7)  # as a gateway writes: a few requests per transaction
    db = open_ledger_readonly(log_url)
    try:
        for since, until, task, metadata in WINDOWS:
            assert_same_traffic(read_packed(db, since=since, until=until, task=task, metadata=metadata),
                                read_rows(db, since=since, until=until, task=task, metadata=metadata))
        with db.connect() as conn:
            sizes = [n for (n,) in conn.execute(text("SELECT requests FROM replay_batch ORDER BY id"))]
    finally:
        db.dispose()
    production = sum(1 for r in _records() if (r.kind or "production") == "production")
    assert sum(sizes) == production
    # 129 transactions, merged as they trail: one row per BATCH_REQUESTS, plus fewer than MERGE_RUN small ones
    assert len(sizes) < production // BATCH_REQUESTS + MERGE_RUN


def test_writers_appending_and_merging_at_once_lose_and_repeat_nothing(log_url) -> None:
    """Four writers, two requests a transaction: small batches are inserted and merged side by side."""
    import threading

    open_ledger(log_url).dispose()  # created once, before the writers race
    records = _records()
    errors: list[BaseException] = []

    def write(part: list) -> None:
        try:
            db = open_ledger(log_url)
            try:
                write_records(db, part, batch_requests=2)
            finally:
                db.dispose()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(records[k::4],)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = open_ledger_readonly(log_url)
    try:
        since, until, task, metadata = WINDOWS[0]
        assert_same_traffic(read_packed(db, since=since, until=until, task=task, metadata=metadata),
                            read_rows(db, since=since, until=until, task=task, metadata=metadata))
        with db.connect() as conn:
            sizes = [n for (n,) in conn.execute(text("SELECT requests FROM replay_batch"))]
    finally:
        db.dispose()
    assert sum(sizes) == sum(1 for r in records if (r.kind or "production") == "production")
    assert len(sizes) < len(records) // 8  # merged as they went


def test_counts_that_disagree_send_the_read_to_the_rows(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    _write(url, batch_requests=100)
    policy = load_policy_or_raise(checkout_root() / "policies" / "demo-traffic.yaml")
    before = replay_policy(policy, url=url, since=END - 6 * DAY, until=END + 1)
    db = open_ledger(url)
    with db.begin() as conn:  # a batch lost: the packed columns no longer hold every logged request
        conn.execute(text("DELETE FROM replay_batch WHERE id = (SELECT MIN(id) FROM replay_batch)"))
    try:
        since, until = END - 6 * DAY, END + 1
        assert read_packed(db, since=since, until=until, task=None, metadata=True) is None
        assert_same_traffic(read_traffic(db, since=since, until=until), read_rows(
            db, since=since, until=until, task=None, metadata=True))
    finally:
        db.dispose()
    after = replay_policy(policy, url=url, since=END - 6 * DAY, until=END + 1)
    assert after.requests == before.requests and after.spend == before.spend


def test_a_log_of_the_previous_version_is_packed_on_upgrade(log_url, monkeypatch) -> None:
    _write(log_url, batch_requests=500)
    db = open_ledger(log_url)
    old = read_rows(db, since=WINDOWS[0][0], until=WINDOWS[0][1], task=None, metadata=True)
    with db.begin() as conn:  # what a log of the version before looks like
        conn.execute(text("DROP TABLE replay_batch"))
        conn.execute(text("UPDATE schema_meta SET value = :v WHERE key = 'version'"), {"v": str(SCHEMA_VERSION - 1)})
    db.dispose()

    monkeypatch.setattr(replay_columns, "BATCH_REQUESTS", 100)  # the backfill streams the rows in many reads
    db = open_ledger(log_url)
    try:
        with db.connect() as conn:
            assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
            assert conn.execute(text("SELECT COUNT(*) FROM replay_batch")).scalar() >= 8
        for since, until, task, metadata in WINDOWS:
            assert_same_traffic(read_packed(db, since=since, until=until, task=task, metadata=metadata),
                                read_rows(db, since=since, until=until, task=task, metadata=metadata))
        assert_same_traffic(read_packed(db, since=WINDOWS[0][0], until=WINDOWS[0][1], task=None, metadata=True), old)
    finally:
        db.dispose()
