"""The writer's staging file: what makes an answer durable before its commit to the log.

A caller must not get its answer back before its request is safe from the process dying (the
SIGKILL rule), yet waiting for the writer thread's commit (a thread hop, SQLAlchemy, rollup
upserts) costs a few hundred microseconds a request. So ``record()`` first inserts the finished
request, as one JSON row, into this process's own small SQLite file with the standard library's
``sqlite3``, on the caller's thread: about ten microseconds in WAL mode with
``synchronous=NORMAL``, atomic, and safe from the process being killed (the WAL write is in the OS's
page cache, like the log's own commits). The writer thread commits requests to the log in batches
and then deletes their rows here.

A process that dies leaves its staging file behind; the next writer to open the log inserts the
rows the log lacks (``staging_recovery.py``). The file is held with ``locking_mode=EXCLUSIVE`` for
the writer's life, so whether its owner is alive is a lock that the operating system releases when
the process dies, on every platform SQLite runs on.

Layout, next to a SQLite log ``log.sqlite3``: ``log.sqlite3.staging/<pid>-<random>.sqlite3``. A log
on a server (PostgreSQL) keeps its staging files under the data directory. Directory 0700, files
0600 (they may hold prompts).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from console.core.paths import private_dir

SUFFIX = ".sqlite3"
SCHEMA = "CREATE TABLE IF NOT EXISTS staged (seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, body BLOB NOT NULL)"


def staging_dir_for(url: str) -> Path | None:
    """The staging directory of the log at ``url``; None for a log in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).expanduser()
        return path.with_name(path.name + ".staging")
    from console.core.paths import data_dir

    digest = hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return data_dir() / "log-staging" / digest


def connect_exclusive(path: Path) -> sqlite3.Connection:
    """A connection that, once it touches the file, holds it until closed (or the process dies)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    return conn


class Staging:
    """This process's staging file; ``stage`` and ``done`` are thread-safe.

    Raises ``sqlite3.Error`` or ``OSError`` when the file cannot be made (read-only or full disk):
    the writer then goes on without it.
    """

    def __init__(self, directory: Path) -> None:
        private_dir(directory)
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))  # -wal inherits 0600
        self._lock = threading.Lock()
        try:
            self._conn = connect_exclusive(self.path)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(SCHEMA)  # the first write: from here on the file is locked to this process
        except sqlite3.Error:
            self._remove()
            raise

    def stage(self, request_id: str, body: bytes) -> int:
        """Insert one request (its own transaction); returns its row number for ``done``."""
        with self._lock:
            cursor = self._conn.execute("INSERT INTO staged (request_id, body) VALUES (?, ?)", (request_id, body))
            return int(cursor.lastrowid or 0)

    def done(self, seqs: list[int]) -> None:
        """Those rows are committed to the log: delete them (one transaction)."""
        if not seqs:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("DELETE FROM staged WHERE seq = ?", [(s,) for s in seqs])
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def pending(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM staged").fetchone()[0])

    def close(self) -> int:
        """Close; delete the file when nothing in it is left uncommitted. Returns the rows left."""
        with self._lock:
            try:
                left = int(self._conn.execute("SELECT COUNT(*) FROM staged").fetchone()[0])
            except sqlite3.Error:
                left = -1  # unreadable: keep the file for recovery to judge
            self._conn.close()
        if left == 0:
            self._remove()
        return left

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self.path}{suffix}").unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass  # e.g. Windows still holding it: recovery finds it empty and removes it
