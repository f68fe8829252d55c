"""Opening the routing log: a SQLAlchemy engine on SQLite (WAL) by default, or any URL.

``open_ledger()`` with no URL opens ``routedesk-log.sqlite3`` in the user's data directory.
PostgreSQL (``postgresql+psycopg://...``) is the shared backend for teams; the same code runs on
both. ``open_ledger`` (for writing) checks the schema version first and upgrades an older log in
place; a log written by a newer Routedesk is refused before anything is written to it.

``open_ledger_readonly`` is for reading (``log``, ``report``, the dashboards): it never creates,
migrates or recovers anything, and refuses a log that needs upgrading. Requests staged by a writer
that died are recovered by the next writer (``writer.py``, ``staging_recovery.py``), not by readers.

A log file that is damaged (not a database, a malformed page) is reported by
``LedgerDamagedError``, whose message names the file and how to move it aside. A new SQLite log is
created ``0600`` in a ``0700`` directory: with ``--store-prompt`` it holds prompts.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from console.core.paths import default_log_url, private_dir

BUSY_TIMEOUT_MS = 10_000


class LedgerOpenError(Exception):
    """The log cannot be opened: a bad URL, an unreachable server, a file that is not a log."""


class LedgerURLError(LedgerOpenError):
    """The log's URL is not usable at all (not a URL, no driver): a mistake to fix, not a state to wait out."""


class LedgerMissingError(LedgerOpenError):
    """There is no log at that place yet (reading does not create one)."""


class LedgerDamagedError(LedgerOpenError):
    """The log file is damaged; the message names it and says how to move it aside."""


#: SQLite's result codes for a file that is not (or no longer) a sound database.
_DAMAGE_CODES = {getattr(sqlite3, "SQLITE_CORRUPT", 11), getattr(sqlite3, "SQLITE_NOTADB", 26)}


def is_damage(error: BaseException) -> bool:
    """The database file itself is damaged (SQLITE_CORRUPT / SQLITE_NOTADB), SQLAlchemy-wrapped or not."""
    orig = getattr(error, "orig", error)
    if not isinstance(orig, sqlite3.DatabaseError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    text = str(orig)
    return "file is not a database" in text or "malformed" in text


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite log URL; None for other databases and in-memory logs."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def damaged_message(url: str, error: BaseException) -> str:
    """What a person reads when the log is damaged: which file, why, and how to move it aside."""
    orig = getattr(error, "orig", error)
    path = sqlite_path(url)
    if path is None:
        return f"the routing log at {url} is damaged ({orig}); repair or restore the database"
    return (f"the routing log {path} is damaged ({orig}). Move it aside (with its -wal and -shm files, if any) "
            f"and Routedesk starts a new, empty log there: mv '{path}' '{path}.damaged'")


def damaged(url: str, error: BaseException) -> LedgerDamagedError:
    return LedgerDamagedError(damaged_message(url, error))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # synchronous=NORMAL in WAL loses no committed transaction when the process dies (only an OS
    # crash can lose the last ones); busy_timeout lets the window read while the writer writes.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_transient(db: Engine, error: BaseException) -> bool:
    """Busy, locked, disconnected: the database's state at the moment, not the data's fault.

    The fast insert path runs the driver's executemany directly, so the driver's own (PEP 249)
    exceptions arrive unwrapped as well as SQLAlchemy's.
    """
    from sqlalchemy import exc

    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)):
        return True
    dbapi = db.dialect.dbapi
    return dbapi is not None and isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError))


def is_sqlite(db: Engine) -> bool:
    return db.dialect.name == "sqlite"


def create_db_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` with the log's connection settings; no schema work, no writes."""
    url = url or default_log_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise LedgerURLError(f"not a database URL: {url!r} ({exc})") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database).expanduser())
        # The writer thread and reader threads share the engine; each gets its own connection.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        db = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise LedgerURLError(f"no database driver for {parsed.drivername!r}: {exc}") from None
    if db.dialect.name == "sqlite":
        event.listen(db, "connect", _sqlite_pragmas)
    return db


def _create_private_file(path: Path) -> None:
    """Create the log's directory (0700) and an empty file (0600) for SQLite to fill.

    SQLite gives its -wal and -shm files the database file's permissions, so they are 0600 too.
    An existing file is tightened to 0600 (it may hold prompts). Errors are left for SQLite to
    report when it opens the file (a read-only directory, say).
    """
    try:
        private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError:
        pass


def enable_wal(db: Engine) -> None:
    """Switch a SQLite log to WAL (persistent in the file); a no-op elsewhere and in memory."""
    if not is_sqlite(db) or db.url.database in (None, "", ":memory:"):
        return
    with db.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


_SCHEMA_LOCKS: dict[str, threading.Lock] = {}
_SCHEMA_LOCKS_GUARD = threading.Lock()


def _schema_lock(db: Engine) -> threading.Lock:
    """One lock per log in this process, held while its schema is created or upgraded (and while a
    reader reads its version): two threads that open a new log at once would otherwise both create
    it ("index ... already exists"), or a reader would find schema_meta without its version row."""
    key = db.url.render_as_string(hide_password=False)
    with _SCHEMA_LOCKS_GUARD:
        return _SCHEMA_LOCKS.setdefault(key, threading.Lock())


#: pg_advisory_lock key for schema creation (any constant; "RtDk" in ASCII)
_PG_SCHEMA_LOCK_KEY = 0x5274446B


@contextmanager
def _server_schema_lock(db: Engine) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates or upgrades the schema (gateways of a team start
    together on one database): a second concurrent CREATE TABLE of the same name fails with a
    unique violation on the catalog's pg_type index, not with "already exists", and no lock in one
    process can prevent that. A session-level advisory lock, released before its connection goes
    back to the pool."""
    if db.dialect.name != "postgresql":
        yield
        return
    from sqlalchemy import text

    with db.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_SCHEMA_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_SCHEMA_LOCK_KEY})
            conn.commit()


def _prepare_once_more_if_raced(db: Engine, prepare: Callable[..., int]) -> None:
    """Prepare the schema; when another process created it at the same moment (the lock above is
    per process), read what it made and go on from there."""
    try:
        prepare(db, before_first_write=enable_wal)
    except OperationalError as exc:
        if "already exists" not in str(exc.orig):
            raise
        time.sleep(0.2)  # the other creator's transaction commits
        prepare(db, before_first_write=enable_wal)


def open_ledger(url: str | None = None) -> Engine:
    """Open (creating or upgrading as needed) the routing log at ``url``.

    Raises ``LedgerOpenError`` for a URL or server that cannot be used and
    ``migrations.LedgerVersionError`` for a log from a newer Routedesk (left untouched).
    """
    from console.core.ledger.migrations import prepare_schema

    db = create_db_engine(url)
    try:
        with _schema_lock(db), _server_schema_lock(db):
            _prepare_once_more_if_raced(db, prepare_schema)
    except DatabaseError as exc:
        db.dispose()
        if is_damage(exc):
            raise damaged(db.url.render_as_string(hide_password=True), exc) from None
        if not isinstance(exc, OperationalError):
            raise
        raise LedgerOpenError(f"cannot open the log at {db.url.render_as_string(hide_password=True)}: "
                              f"{exc.orig}") from None
    except Exception:
        db.dispose()
        raise
    return db


def open_ledger_readonly(url: str | None = None, *, empty_if_missing: bool = False) -> Engine:
    """Open the routing log at ``url`` for reading only: nothing is created, migrated or recovered.

    A SQLite log is opened with ``mode=ro`` (SQLite itself refuses every write; it may create the
    empty -wal/-shm files WAL mode needs to read). Raises ``LedgerOpenError`` when there is no log
    there yet or it cannot be read, ``LedgerDamagedError`` for a damaged file, and
    ``migrations.LedgerVersionError`` for a log that a newer Routedesk wrote or that needs upgrading
    (which any writing command, e.g. ``routedesk route``, does). With ``empty_if_missing`` a log
    that does not exist yet reads as an empty one (in memory; no file is created).
    """
    from console.core.ledger.migrations import LedgerVersionError, read_version
    from console.core.ledger.tables import SCHEMA_VERSION

    url = url or default_log_url()
    try:
        path = sqlite_path(url)
    except ArgumentError as exc:
        raise LedgerURLError(f"not a database URL: {url!r} ({exc})") from None
    if path is not None:
        if not path.is_file():
            if empty_if_missing:
                return _empty_log()
            raise LedgerMissingError(f"there is no routing log at {path} yet: nothing has been logged there")
        # The URL names the file (for messages and the pool's choice); the creator opens it read-only.
        db = create_engine(make_url(url), creator=lambda: _readonly_sqlite(path))
        event.listen(db, "connect", _sqlite_pragmas)
    else:
        db = create_db_engine(url)
    try:
        with _schema_lock(db), db.connect() as conn:  # never half-way through this process's own creation
            version = read_version(conn)
    except DatabaseError as exc:
        db.dispose()
        if is_damage(exc):
            raise damaged(url, exc) from None
        raise LedgerOpenError(f"cannot read the log at {db.url.render_as_string(hide_password=True)}: "
                              f"{getattr(exc, 'orig', exc)}") from None
    except Exception:
        db.dispose()
        raise
    if version != SCHEMA_VERSION:
        db.dispose()
        where = path or db.url.render_as_string(hide_password=True)
        if version is None:
            raise LedgerMissingError(f"there is no routing log in {where} yet: nothing has been logged there")
        if version > SCHEMA_VERSION:
            raise LedgerVersionError(f"the log {where} has schema version {version}, written by a newer Routedesk; "
                                     f"this one reads up to version {SCHEMA_VERSION}")
        raise LedgerVersionError(f"the log {where} is from an older Routedesk (schema version {version}); reading "
                                 "does not upgrade it: run any command that writes it first (e.g. `routedesk route`)")
    return db


def _empty_log() -> Engine:
    """An empty log in memory, for reading a log that does not exist yet."""
    from sqlalchemy.pool import StaticPool

    from console.core.ledger.migrations import create_current_schema

    db = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    with db.begin() as conn:
        create_current_schema(conn)
    return db


def _readonly_sqlite(path: Path) -> sqlite3.Connection:
    # The path is quoted for a URI (RFC 3986): '?' or '#' in a directory name must not end the path.
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if os.access(path.parent, os.W_OK):
            raise
    # A WAL log in a directory nobody may write: SQLite cannot make the -shm it reads through, and
    # nobody can be writing the log either, so it is read as an unchanging file (SQLite's
    # "immutable" URI parameter, https://www.sqlite.org/uri.html#uriimmutable).
    return sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)

