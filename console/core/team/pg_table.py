"""One PostgreSQL table of the team store, reached through one locked connection.

The API keys and the published policy each keep a table of their own; both open it the same way
(an autocommit connection, the table created once under the team's DDL lock) and turn a database
error into a ``SharedStateError`` that names the table and the operation.
"""

from __future__ import annotations

import threading
from typing import Any

from console.core.budget.postgres_store import connect, create_once
from console.core.budget.reservations import SharedStateError


class TeamTable:
    """Base of the team's PostgreSQL stores: ``_run`` executes one statement under the lock."""

    def __init__(self, url: str, ddl: str, what: str) -> None:
        import psycopg

        self._what = what
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error, OSError)
        self._conn = connect(url)
        self._lock = threading.Lock()
        create_once(self._conn, ddl, what)

    def _run(self, what: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                cursor = self._conn.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except self._errors as err:
            raise SharedStateError(f"{self._what}: could not {what}: {err}") from err

    def close(self) -> None:
        self._conn.close()
