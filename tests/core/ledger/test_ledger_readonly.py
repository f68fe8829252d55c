"""Reading the log never writes it: no migration, no recovery, no new log; SQLite itself refuses writes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from console.core.ledger.chains import requests_behind
from console.core.ledger.filters import Filters
from console.core.ledger.migrations import LedgerVersionError
from console.core.ledger.record_json import encode
from console.core.ledger.staging import Staging, staging_dir_for
from console.core.ledger.store import LedgerDamagedError, LedgerMissingError, open_ledger, open_ledger_readonly
from console.core.ledger.writer import LedgerWriter

from tests.core.ledger.records_factory import make_record


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content hash, but SQLite's empty -wal/-shm of a reader."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.endswith(("-wal", "-shm")) and path.stat().st_size in (0, 32768):
            continue
        out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_reading_writes_nothing_and_recovers_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with LedgerWriter(url) as writer:
        writer.record(make_record("logged"))
    directory = staging_dir_for(url)
    assert directory is not None
    orphan = Staging(directory)  # a dead writer's file: one staged request the log lacks
    orphan.stage("only-staged", encode(make_record("only-staged")))
    assert orphan.close() == 1
    before = _snapshot(tmp_path)

    db = open_ledger_readonly(url)
    chains = requests_behind(db, Filters())
    assert [c.request["request_id"] for c in chains] == ["logged"]  # the staged one is not recovered
    with pytest.raises(OperationalError, match="readonly"), db.begin() as conn:
        conn.execute(text("DELETE FROM request"))  # SQLite itself refuses: the connection is read-only
    db.dispose()
    assert _snapshot(tmp_path) == before


def test_an_older_log_is_not_upgraded_by_reading(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    open_ledger(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_meta SET value = '4' WHERE key = 'version'")
    conn.commit()
    conn.close()
    before = _snapshot(tmp_path)
    with pytest.raises(LedgerVersionError, match="older Routedesk"):
        open_ledger_readonly(f"sqlite:///{path}")
    assert _snapshot(tmp_path) == before


def test_a_missing_log_is_not_created_by_reading(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none' / 'log.sqlite3'}"
    with pytest.raises(LedgerMissingError, match="no routing log"):
        open_ledger_readonly(url)
    db = open_ledger_readonly(url, empty_if_missing=True)
    assert requests_behind(db, Filters()) == []
    db.dispose()
    assert not (tmp_path / "none").exists()


def test_a_damaged_log_names_the_file_and_how_to_move_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    path.write_bytes(b"this is not a database" * 300)
    before = path.read_bytes()
    for opener in (open_ledger_readonly, open_ledger):
        with pytest.raises(LedgerDamagedError) as caught:
            opener(f"sqlite:///{path}")
        message = str(caught.value)
        assert str(path) in message and f"mv '{path}' '{path}.damaged'" in message
    assert path.read_bytes() == before
