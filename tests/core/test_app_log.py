"""Opening the log to read (``routedesk log``/``report``, the dashboards): read-only, and a sentence on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from console.core.app import LogError, open_log
from console.core.app.log import open_log_for_writing


def test_a_first_run_gets_an_empty_log_it_can_read(tmp_path: Path) -> None:
    db = open_log(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        with db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM request")).scalar_one() == 0
    finally:
        db.dispose()


def test_an_existing_log_is_opened_read_only_and_left_as_it_was(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    open_log_for_writing(url).dispose()
    db = open_log(url)
    try:
        with db.connect() as conn:
            version = conn.execute(text("SELECT value FROM schema_meta WHERE key = 'version'")).scalar()
            with pytest.raises(OperationalError, match="readonly"):
                conn.execute(text("UPDATE schema_meta SET value = '999' WHERE key = 'version'"))
    finally:
        db.dispose()
    assert version is not None


def test_a_newer_routedesks_log_is_a_sentence_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    url = f"sqlite:///{path}"
    writer = open_log_for_writing(url)
    with writer.begin() as conn:
        conn.execute(text("UPDATE schema_meta SET value = '999' WHERE key = 'version'"))
    writer.dispose()
    before = path.read_bytes()
    with pytest.raises(LogError, match="newer Routedesk"):
        open_log(url)
    assert path.read_bytes() == before
