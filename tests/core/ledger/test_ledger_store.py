"""Opening the log: defaults, WAL, migrations from v1, refusal of newer logs, bad URLs."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from console.core.ledger.filters import Filters
from console.core.ledger.migrations import LedgerVersionError
from console.core.ledger.queries import counts, failure_rates
from console.core.ledger.store import LedgerOpenError, open_ledger
from console.core.ledger.tables import SCHEMA_VERSION

V1_DDL = """
CREATE TABLE schema_meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE request (
  request_id VARCHAR NOT NULL PRIMARY KEY, ts FLOAT NOT NULL, hour INTEGER NOT NULL, day INTEGER NOT NULL,
  kind VARCHAR NOT NULL, policy_name VARCHAR NOT NULL, policy_hash VARCHAR NOT NULL, task VARCHAR NOT NULL,
  task_reason VARCHAR NOT NULL, outcome VARCHAR NOT NULL, ok INTEGER NOT NULL, team VARCHAR NOT NULL,
  region VARCHAR NOT NULL, metadata_json VARCHAR NOT NULL, answered_by VARCHAR, fell_back INTEGER NOT NULL,
  attempt_count INTEGER NOT NULL, total_cost_usd FLOAT NOT NULL, total_latency_ms FLOAT NOT NULL,
  overhead_ms FLOAT NOT NULL, streamed INTEGER NOT NULL, prompt_text TEXT);
CREATE TABLE attempt (
  id INTEGER NOT NULL PRIMARY KEY, request_id VARCHAR NOT NULL, position INTEGER NOT NULL, ts FLOAT NOT NULL,
  hour INTEGER NOT NULL, day INTEGER NOT NULL, kind VARCHAR NOT NULL, policy_name VARCHAR NOT NULL,
  task VARCHAR NOT NULL, team VARCHAR NOT NULL, model_alias VARCHAR NOT NULL, provider VARCHAR NOT NULL,
  provider_model_id VARCHAR NOT NULL, answered_model_id VARCHAR, outcome VARCHAR NOT NULL, ok INTEGER NOT NULL,
  error_class VARCHAR, error_message TEXT, http_status INTEGER, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
  tokens_estimated INTEGER NOT NULL, cost_usd FLOAT NOT NULL, price_input FLOAT NOT NULL,
  price_output FLOAT NOT NULL, price_cached_input FLOAT NOT NULL, price_reasoning FLOAT NOT NULL,
  latency_ms FLOAT NOT NULL, ttft_ms FLOAT, retry_index INTEGER NOT NULL);
CREATE INDEX ix_attempt_request_id ON attempt (request_id);
CREATE INDEX ix_request_ts ON request (ts);
INSERT INTO schema_meta VALUES ('version', '1');
"""

HOUR = 3600 * 490_000  # some whole hour


def _v1_insert(conn: sqlite3.Connection, rid: str, *, outcomes: list[tuple[str, str, float]], customer: str) -> None:
    ok = int(outcomes[-1][1] == "ok")
    conn.execute(
        "INSERT INTO request VALUES (?,?,?,?,'production','p','h','support','rule',?,?,'growth','eu',?,?,?,?,?,5,0.4,0,NULL)",
        (rid, HOUR + 10, HOUR // 3600, HOUR // 86400, outcomes[-1][1], ok, json.dumps({"customer": customer}),
         outcomes[-1][0] if ok else None, int(len({m for m, _, _ in outcomes}) > 1), len(outcomes),
         sum(c for _, _, c in outcomes)))
    for position, (model, outcome, cost) in enumerate(outcomes):
        conn.execute(
            "INSERT INTO attempt (request_id, position, ts, hour, day, kind, policy_name, task, team, model_alias,"
            " provider, provider_model_id, outcome, ok, input_tokens, output_tokens, cached_tokens,"
            " reasoning_tokens, tokens_estimated, cost_usd, price_input, price_output, price_cached_input,"
            " price_reasoning, latency_ms, retry_index) VALUES"
            " (?,?,?,?,?,'production','p','support','growth',?,'openai','x',?,?,10,5,0,0,0,?,1,2,1,2,100,0)",
            (rid, position, HOUR + 10 + position, HOUR // 3600, HOUR // 86400, model, outcome,
             int(outcome == "ok"), cost))


def test_default_url_is_a_wal_sqlite_file_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    db = open_ledger()
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
    db.dispose()
    assert (tmp_path / "home" / "routedesk-log.sqlite3").is_file()


def test_opening_twice_keeps_data_and_version(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    with db.begin() as conn:
        conn.execute(text("INSERT INTO schema_meta (key, value) VALUES ('note', 'kept')"))
    db.dispose()
    db = open_ledger(ledger_url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='note'")).scalar() == "kept"
    db.dispose()


def test_v1_log_is_upgraded_in_place_with_rollups_backfilled(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DDL)
        _v1_insert(conn, "a", outcomes=[("gpt-mini", "rate_limited", 0.0), ("claude", "ok", 0.25)], customer="acme")
        _v1_insert(conn, "b", outcomes=[("gpt-mini", "ok", 0.125)], customer="")
    db = open_ledger(f"sqlite:///{path}")
    with db.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
        rows = dict(conn.execute(text("SELECT request_id, first_model FROM request")).all())
        assert rows == {"a": "gpt-mini", "b": "gpt-mini"}
        assert conn.execute(text("SELECT customer FROM request WHERE request_id='a'")).scalar() == "acme"
    whole = Filters(kind="production")
    c = counts(db, whole)
    assert (c.requests, c.fallbacks, c.attempts, c.failed_attempts) == (2, 1, 3, 1)
    assert c.cost_usd == pytest.approx(0.375)
    rates = {(r.task, r.model): (r.trials, r.events) for r in failure_rates(db, whole)}
    assert rates == {("support", "gpt-mini"): (2, 1), ("support", "claude"): (1, 0)}
    db.dispose()


def test_newer_log_is_refused_and_left_byte_for_byte_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    open_ledger(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("UPDATE schema_meta SET value='99' WHERE key='version'")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LedgerVersionError, match=r"schema version 99.*newer Routedesk.*not changed"):
        open_ledger(f"sqlite:///{path}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "future.sqlite3-wal").exists()


def test_a_foreign_database_is_not_taken_for_a_log(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE request (x INTEGER)")
    with pytest.raises(LedgerVersionError, match="not a Routedesk log"):
        open_ledger(f"sqlite:///{path}")


@pytest.mark.parametrize("url, message", [
    ("nonsense", "not a database URL"),
    ("nosuchdb://x/y", "not a database URL|no database driver"),
    ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot open the log"),
])
def test_bad_urls_give_clear_errors(url: str, message: str) -> None:
    with pytest.raises(LedgerOpenError, match=message):
        open_ledger(url)
