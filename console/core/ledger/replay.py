"""Replaying the journals of writers that died: their acknowledged requests reach the log.

``replay_journals(db, directory)`` is run by ``open_ledger`` before anything else uses the log. For
every journal whose writer is gone, it inserts the requests the log does not already hold (the
dead writer may have committed some of them) in batches, with their rollups, exactly as the
writer would have; then deletes the segments. A record that cannot be inserted goes to
``rejected-<segment>.jsonl`` beside them with the reason, and is reported. A database that is
busy or unreachable is not a bad record: that journal is left whole for a later replay (the next
open, or the writer's periodic scan).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from console.core.ledger.journal import orphaned_segments, read_segment
from console.core.ledger.rows import insert_batch
from console.core.ledger.store import is_transient
from console.core.ledger.tables import request_table
from console.core.records import RequestRecord

log = logging.getLogger(__name__)

BATCH = 500


class _Postpone(Exception):
    """The database cannot take the records now (locked, unreachable): try this journal later."""


def _transient(db: Engine, error: Exception) -> bool:
    return is_transient(db, error)


@dataclass
class ReplayReport:
    segments: int = 0
    replayed: int = 0  # requests inserted from journals
    already_logged: int = 0  # journaled requests the dead writer had committed
    postponed: int = 0  # journals left for later: the database was busy or unreachable
    rejected: list[str] = field(default_factory=list)  # rejected-*.jsonl files written


def replay_journals(db: Engine, directory: Path | None) -> ReplayReport:
    report = ReplayReport()
    if directory is None:
        return report
    for lock_path, segments in orphaned_segments(directory):
        try:
            for segment in segments:
                report.segments += 1
                records, bad = read_segment(segment)
                bad_lines = [(line, why) for _number, line, why in bad]
                bad_lines += _insert_missing(db, records, report)
                if bad_lines:
                    rejected = _write_rejected(directory, segment, bad_lines)
                    report.rejected.append(str(rejected))
                    log.error("%d request(s) in the log's journal %s could not be logged; they are kept in %s",
                              len(bad_lines), segment.name, rejected)
                segment.unlink(missing_ok=True)
        except _Postpone as why:
            report.postponed += 1
            log.warning("the log's journal %s is kept for a later replay: %s", lock_path.stem, why)
            continue
        lock_path.unlink(missing_ok=True)
    if report.replayed:
        log.warning("recovered %d request(s) from the journal of a Routedesk process that ended abruptly",
                    report.replayed)
    return report


def _insert_missing(db: Engine, records: list[RequestRecord], report: ReplayReport) -> list[tuple[bytes, str]]:
    """Insert what the log lacks; returns (line, why) for records that could not be inserted."""
    from console.core.ledger.journal import encode

    failed: list[tuple[bytes, str]] = []
    for start in range(0, len(records), BATCH):
        chunk = records[start:start + BATCH]
        ids = [r.request_id for r in chunk]
        try:
            with db.connect() as conn:
                table = request_table()
                present = set(conn.execute(select(table.c.request_id).where(table.c.request_id.in_(ids))).scalars())
        except Exception as err:  # noqa: BLE001 - cannot even read: nothing to judge the records by
            raise _Postpone(f"{type(err).__name__}: {err}") from None
        fresh: dict[str, RequestRecord] = {}
        for record in chunk:
            if record.request_id in present or record.request_id in fresh:
                report.already_logged += 1
            else:
                fresh[record.request_id] = record
        if not fresh:
            continue
        try:
            with db.begin() as conn:
                insert_batch(conn, fresh.values())
            report.replayed += len(fresh)
        except Exception as err:  # noqa: BLE001 - find the bad ones: one at a time
            if _transient(db, err):
                raise _Postpone(f"{type(err).__name__}: {err}") from None
            for record in fresh.values():
                try:
                    with db.begin() as conn:
                        insert_batch(conn, [record])
                    report.replayed += 1
                except Exception as one_err:  # noqa: BLE001 - kept in the rejected file with the reason
                    if _transient(db, one_err):
                        raise _Postpone(f"{type(one_err).__name__}: {one_err}") from None
                    failed.append((encode(record), f"{type(one_err).__name__}: {one_err}"))
    return failed


def _write_rejected(directory: Path, segment: Path, lines: list[tuple[bytes, str]]) -> Path:
    """Atomically write the rejected lines, each followed by a ``# why`` comment line."""
    target = directory / f"rejected-{segment.stem}.jsonl"
    temporary = target.with_suffix(".tmp")
    with temporary.open("wb") as handle:
        for line, why in lines:
            handle.write(b"# " + why.replace("\n", " ").encode("utf-8", "replace") + b"\n")
            handle.write(line if line.endswith(b"\n") else line + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return target
