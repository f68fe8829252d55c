"""Opening the routing log: a SQLAlchemy engine on SQLite (WAL) by default, or any URL.

``open_ledger()`` with no URL opens ``routedesk-log.sqlite3`` in the user's data directory.
PostgreSQL (``postgresql+psycopg://...``) is the shared backend for teams; the same code runs on
both. Opening checks the schema version first and upgrades an older log in place; a log written
by a newer Routedesk is refused before anything is written to it. Opening also replays the journal
of any writer that died (``replay.py``), so the log holds every request whose answer was returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from console.core.paths import default_log_url

BUSY_TIMEOUT_MS = 10_000


class LedgerOpenError(Exception):
    """The log cannot be opened: a bad URL, an unreachable server, a file that is not a log."""


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
        raise LedgerOpenError(f"not a database URL: {url!r} ({exc})") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # The writer thread and reader threads share the engine; each gets its own connection.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        db = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise LedgerOpenError(f"no database driver for {parsed.drivername!r}: {exc}") from None
    if db.dialect.name == "sqlite":
        event.listen(db, "connect", _sqlite_pragmas)
    return db


def enable_wal(db: Engine) -> None:
    """Switch a SQLite log to WAL (persistent in the file); a no-op elsewhere and in memory."""
    if not is_sqlite(db) or db.url.database in (None, "", ":memory:"):
        return
    with db.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def open_ledger(url: str | None = None) -> Engine:
    """Open (creating or upgrading as needed) the routing log at ``url``.

    Raises ``LedgerOpenError`` for a URL or server that cannot be used and
    ``migrations.LedgerVersionError`` for a log from a newer Routedesk (left untouched).
    """
    from console.core.ledger.journal import journal_dir_for
    from console.core.ledger.migrations import prepare_schema
    from console.core.ledger.replay import replay_journals

    db = create_db_engine(url)
    try:
        prepare_schema(db, before_first_write=enable_wal)
        replay_journals(db, journal_dir_for(db.url.render_as_string(hide_password=False)))
    except OperationalError as exc:
        db.dispose()
        raise LedgerOpenError(f"cannot open the log at {db.url.render_as_string(hide_password=True)}: "
                              f"{exc.orig}") from None
    except Exception:
        db.dispose()
        raise
    return db
