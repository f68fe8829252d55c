"""Recovering the staging files of writers that died: their answered requests reach the log.

``recover_staged(db, directory)`` is run by a writer when it opens the log, and now and then while
it idles (another process may be killed meanwhile); readers never run it. For every staging file
whose owner is gone (its lock can be taken), it inserts the staged requests the log does not already
hold (the dead writer may have committed some of them) with their rollups and any policy change
they carry (``policy_changes.py``, through ``insert_batch``), exactly as the writer would have,
then deletes the file. A row that cannot be inserted stays in the file (its reason in a ``why`` column), which is renamed ``*.rejected`` and reported, never dropped silently. A database that is busy, unreachable or full is
not a bad row: the file is left whole for a later recovery.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from console.core.ledger.health import is_disk_full
from console.core.ledger.record_json import decode
from console.core.ledger.rows import insert_batch
from console.core.ledger.staging import SUFFIX, connect_exclusive
from console.core.ledger.store import is_transient
from console.core.ledger.tables import request_table
from console.core.records import RequestRecord

log = logging.getLogger(__name__)

BATCH = 500
#: A staging file with no table yet is a writer starting up; past this age, one that died doing so.
STARTING_S = 60.0


class _Postpone(Exception):
    """The database cannot take the records now (locked, unreachable, full): try this file later."""


@dataclass
class RecoveryReport:
    files: int = 0
    recovered: int = 0  # requests inserted from staging files
    already_logged: int = 0  # staged requests the dead writer had committed
    postponed: int = 0  # files left for later: the database was busy, unreachable or full
    rejected: list[str] = field(default_factory=list)  # *.rejected files kept aside


def recover_staged(db: Engine, directory: Path | None, *, own: Path | None = None) -> RecoveryReport:
    report = RecoveryReport()
    if directory is None or not directory.is_dir():
        return report
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        if path != own:
            _recover_file(db, path, report)
    if report.recovered:
        log.warning("recovered %d request(s) staged by a Routedesk process that ended abruptly", report.recovered)
    return report


def _recover_file(db: Engine, path: Path, report: RecoveryReport) -> None:
    try:
        conn = connect_exclusive(path)
    except sqlite3.Error:
        return
    try:
        try:
            conn.execute("BEGIN EXCLUSIVE")  # fails at once while its writer (or another recovery) holds it
        except sqlite3.OperationalError:
            return
        try:
            rows = conn.execute("SELECT seq, request_id, body FROM staged ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as err:  # not a staging file, or damaged: kept aside, reported
            conn.execute("ROLLBACK")
            conn.close()
            if "no such table" in str(err):  # its writer is starting (or died starting): nothing staged yet
                if time.time() - path.stat().st_mtime > STARTING_S:
                    path.unlink(missing_ok=True)
                return
            _set_aside(path, report, f"unreadable staging file: {err}")
            return
        report.files += 1
        try:
            failed = _insert_missing(db, rows, report)
        except _Postpone as why:
            conn.execute("ROLLBACK")
            report.postponed += 1
            log.warning("staged requests in %s are kept for a later recovery: %s", path.name, why)
            return
        done = [(seq,) for seq, _rid, _body in rows if seq not in failed]
        conn.executemany("DELETE FROM staged WHERE seq = ?", done)
        if failed:  # the reason beside each row that stays, for whoever looks into the file
            conn.execute("ALTER TABLE staged ADD COLUMN why TEXT")
            conn.executemany("UPDATE staged SET why = ? WHERE seq = ?", [(why, seq) for seq, why in failed.items()])
        conn.execute("COMMIT")
    finally:
        conn.close()
    if failed:
        _set_aside(path, report, f"{len(failed)} staged request(s) could not be logged")
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _set_aside(path: Path, report: RecoveryReport, why: str) -> None:
    target = path.with_name(path.name + ".rejected")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            side.replace(Path(f"{target}{suffix}"))
    report.rejected.append(str(target))
    log.error("%s; they are kept in %s", why, target)


def _insert_missing(db: Engine, rows: list[tuple[int, str, bytes]], report: RecoveryReport) -> dict[int, str]:
    """Insert what the log lacks; returns {seq: why} for rows that could not be inserted."""
    failed: dict[int, str] = {}
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        try:
            with db.connect() as conn:  # the WHERE NOT EXISTS, asked of any backend in one query
                table = request_table()
                ids = [rid for _seq, rid, _body in chunk]
                present = set(conn.execute(select(table.c.request_id).where(table.c.request_id.in_(ids))).scalars())
        except Exception as err:  # noqa: BLE001 - cannot even read: nothing to judge the rows by
            raise _Postpone(f"{type(err).__name__}: {err}") from None
        fresh: dict[int, RequestRecord] = {}
        seen = set(present)
        for seq, rid, body in chunk:
            if rid in seen:
                report.already_logged += 1
                continue
            try:
                fresh[seq] = decode(body)
            except Exception as err:  # noqa: BLE001 - a damaged row is kept aside with the reason
                failed[seq] = f"not a request record: {type(err).__name__}: {err}"
                continue
            seen.add(rid)
        if fresh:
            _insert(db, fresh, failed, report)
    return failed


def _insert(db: Engine, fresh: dict[int, RequestRecord], failed: dict[int, str], report: RecoveryReport) -> None:
    try:
        with db.begin() as conn:
            insert_batch(conn, fresh.values())
        report.recovered += len(fresh)
        return
    except Exception as err:  # noqa: BLE001 - find the bad ones: one at a time
        if is_disk_full(err) or is_transient(db, err):
            raise _Postpone(f"{type(err).__name__}: {err}") from None
    for seq, record in fresh.items():
        try:
            with db.begin() as conn:
                insert_batch(conn, [record])
            report.recovered += 1
        except Exception as one_err:  # noqa: BLE001 - kept in the rejected file with the reason
            if is_disk_full(one_err) or is_transient(db, one_err):
                raise _Postpone(f"{type(one_err).__name__}: {one_err}") from None
            failed[seq] = f"{type(one_err).__name__}: {one_err}"
