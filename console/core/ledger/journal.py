"""The log's write-ahead journal: what makes an answer durable before its SQLite commit.

A caller must not get its answer back before its request is safe from the process dying (the
SIGKILL rule), yet waiting for the writer thread's SQLite commit costs a few hundred microseconds
of thread hand-offs and rollup upserts on every request. So the writer first appends the finished
request, as one JSON line, to a journal file of this process: one ``write()`` of about a kilobyte,
which survives the process being killed (it is in the OS's page cache, like a WAL-mode commit with
``synchronous=NORMAL``). The writer thread then commits it to the log as before, and deletes a
journal segment once everything in it is committed.

A process that dies leaves its journal behind. Whoever opens the log next (``open_ledger``) finds
the segments whose owner is gone (its lock file is no longer locked), inserts every request in them
that the log does not already hold, and deletes them; a record that cannot be inserted is kept in a
``rejected-*.jsonl`` file beside them and reported, never dropped silently.

Layout, next to a SQLite file ``log.sqlite3``: ``log.sqlite3.journal/`` holding, per writer,
``<owner>.lock`` (flock'ed for the writer's life) and ``<owner>-<n>.jsonl`` segments. A log on a
server (PostgreSQL) keeps its journals under the data directory. Where ``fcntl`` is missing
(Windows) there is no journal and callers wait for the commit, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy.engine import make_url

from console.core.outcomes import Outcome
from console.core.records import AttemptRecord, RequestRecord

try:
    import fcntl
except ImportError:  # Windows: no journal, the writer waits for commits
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FORMAT = 1
SEGMENT_BYTES = 4 << 20  # a segment is retired (and deleted once committed) past this size
_REQUEST_FIELDS = frozenset(f.name for f in fields(RequestRecord))
_ATTEMPT_FIELDS = frozenset(f.name for f in fields(AttemptRecord))


class JournalError(OSError):
    """The journal cannot be written (disk full, directory gone): the caller falls back to the commit."""


# --- records as lines ---------------------------------------------------------------------------


def _attempt_dict(attempt: AttemptRecord) -> dict[str, Any]:
    d = dict(attempt.__dict__)
    d["started_at"] = attempt.started_at.isoformat()
    d["outcome"] = attempt.outcome.value if isinstance(attempt.outcome, Outcome) else str(attempt.outcome)
    return d


def encode(record: RequestRecord) -> bytes:
    """One journal line (JSON, newline-terminated) for a finished request."""
    d = dict(record.__dict__)
    d["started_at"] = record.started_at.isoformat()
    d["outcome"] = record.outcome.value if isinstance(record.outcome, Outcome) else str(record.outcome)
    d["attempts"] = [_attempt_dict(a) for a in record.attempts]
    d["v"] = FORMAT
    return (json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _outcome(value: str) -> Outcome | str:
    try:
        return Outcome(value)
    except ValueError:
        return value


def decode(line: bytes) -> RequestRecord:
    """The request a journal line holds; ValueError (or KeyError/TypeError) if it is not one."""
    d = json.loads(line)
    if not isinstance(d, dict) or d.get("v") != FORMAT:
        raise ValueError(f"not a format-{FORMAT} journal record")
    if not isinstance(d.get("request_id"), str) or not isinstance(d.get("attempts", []), list):
        raise ValueError("a journal record needs a request_id and a list of attempts")
    attempts = []
    for a in d.get("attempts") or []:
        if not isinstance(a, dict):
            raise ValueError("an attempt in the journal is not an object")
        a = {k: v for k, v in a.items() if k in _ATTEMPT_FIELDS}
        a["started_at"] = datetime.fromisoformat(a["started_at"])
        a["outcome"] = _outcome(a["outcome"])
        attempts.append(AttemptRecord(**a))
    r = {k: v for k, v in d.items() if k in _REQUEST_FIELDS}
    r["started_at"] = datetime.fromisoformat(r["started_at"])
    r["outcome"] = _outcome(r["outcome"])
    r["attempts"] = attempts
    return RequestRecord(**r)


# --- where a log's journal lives ------------------------------------------------------------------


def journal_dir_for(url: str) -> Path | None:
    """The journal directory of the log at ``url``; None where there is none (memory, no fcntl)."""
    if fcntl is None:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).expanduser()
        return path.with_name(path.name + ".journal")
    from console.core.paths import data_dir

    digest = hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return data_dir() / "log-journals" / digest


# --- this process's journal ---------------------------------------------------------------------


class Journal:
    """Append-only segments owned by one writer; ``append`` is thread-safe and ordered.

    ``append`` returns the segment the line went to; the writer retires a segment (``retire``)
    once it is full and everything written to it has been committed.
    """

    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        if fcntl is None:
            raise JournalError("this platform has no fcntl: no journal")
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._seq = 0
        self._fd = -1
        self._size = 0
        self._dirty: set[Path] = set()  # segments with a record that failed to commit: kept for replay
        self._lock_fd = -1
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # Locked under a temporary name, then renamed: nobody can see the lock file unlocked.
            temporary = directory / f".{self.owner}.lock.tmp"
            self._lock_fd = os.open(temporary, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.lock_path = directory / f"{self.owner}.lock"
            os.replace(temporary, self.lock_path)
            self.segment, self._fd = self._new_segment()
        except OSError as err:
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
            raise JournalError(f"cannot write the log's journal in {directory}: {err.strerror or err}") from None

    def _new_segment(self) -> tuple[Path, int]:
        self._seq += 1
        path = self.directory / f"{self.owner}-{self._seq:06d}.jsonl"
        return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def append(self, line: bytes) -> tuple[Path, Path | None]:
        """Write one line; returns (its segment, the segment just filled up or None).

        A write that fails (disk full) is undone, so the segment never holds half a line that the
        next record would run into; the caller then waits for the commit instead.
        """
        with self._lock:
            full = None
            if self._size >= self.segment_bytes or self._fd < 0:
                try:
                    path, fd = self._new_segment()  # opened before the old one is let go
                except OSError as err:
                    raise JournalError(f"cannot start a new journal segment: {err.strerror or err}") from None
                if self._fd >= 0:
                    os.close(self._fd)
                    full = self.segment
                self.segment, self._fd, self._size = path, fd, 0
            view = memoryview(line)
            try:
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            except OSError as err:
                try:
                    os.ftruncate(self._fd, self._size)
                except OSError:
                    self._size = self.segment_bytes  # cannot undo it: the next line starts a new segment
                raise JournalError(f"cannot write the log's journal {self.segment}: {err.strerror or err}") from None
            self._size += len(line)
            return self.segment, full

    def mark_dirty(self, segment: Path) -> None:
        """A record of ``segment`` failed to commit: keep the segment for the next open to retry."""
        self._dirty.add(segment)

    def retire(self, segment: Path) -> None:
        """Everything in a full segment is committed: delete it (unless a record of it failed)."""
        if segment in self._dirty:
            return
        _unlink(segment)

    def close(self) -> None:
        """After the writer committed everything: delete what is done and let go of the lock.

        Segments holding a record that failed to commit stay; the next open replays them.
        """
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
                self.retire(self.segment)
            if self._lock_fd >= 0:
                if not self._dirty:
                    _unlink(self.lock_path)
                os.close(self._lock_fd)
                self._lock_fd = -1


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as err:
        log.warning("could not delete the journal file %s: %s", path, err)


# --- replay after a crash -----------------------------------------------------------------------


def _lines(segment: Path) -> Iterator[tuple[int, bytes]]:
    with segment.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line


def orphaned_segments(directory: Path) -> Iterator[tuple[Path, list[Path]]]:
    """(lock file, its segments) for every writer that is gone; each lock is held while it is used.

    The caller deletes the lock file once its segments are replayed; ``release`` closes it.
    """
    if fcntl is None or not directory.is_dir():
        return
    segments: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        if path.name.startswith("rejected-"):
            continue
        owner = path.name.rsplit("-", 1)[0]
        segments.setdefault(owner, []).append(path)
    for stale in directory.glob(".*.lock.tmp"):  # a writer died between creating and naming its lock
        try:
            fd = os.open(stale, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            stale.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(fd)
    owners = {p.name[: -len(".lock")] for p in directory.glob("*.lock")}
    for owner in sorted(owners | set(segments)):
        lock_path = directory / f"{owner}.lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its writer is alive (or another process is replaying it right now)
            os.close(fd)
            continue
        try:
            yield lock_path, [p for p in segments.get(owner, []) if p.exists()]
        finally:
            os.close(fd)


def read_segment(segment: Path) -> tuple[list[RequestRecord], list[tuple[int, bytes, str]]]:
    """Records of a segment, and (line number, line, why) for lines that are not records.

    A last line without its newline is a write the process died in the middle of: its answer was
    never returned, so it is dropped quietly.
    """
    records: list[RequestRecord] = []
    bad: list[tuple[int, bytes, str]] = []
    for number, line in _lines(segment):
        if not line.endswith(b"\n"):
            log.info("journal %s: dropped an unfinished last line (the process died writing it)", segment.name)
            break
        try:
            records.append(decode(line))
        except Exception as err:  # noqa: BLE001 - whatever a damaged line does, it is kept aside, not fatal
            bad.append((number, line, f"not a journal record: {type(err).__name__}: {err}"))
    return records, bad
