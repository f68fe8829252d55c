"""Budget totals in PostgreSQL: each reservation and settlement is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``.

One row per store key: ``total`` (settled spend plus what is held) and ``held`` (reserved, not
settled). A single upsert statement updates every covering budget's row atomically (PostgreSQL
locks each row it updates until the statement's implicit transaction ends), so two instances
reserving at once both count. Keys are sorted: every statement locks rows in the same order, so
two instances changing the same budgets cannot deadlock.

psycopg is imported when a store is made. The table is created if missing; it lives apart from the
routing log's tables and their migrations.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Sequence

from console.core.budget.reservations import SharedStateError

TABLE = "routedesk_budget_spend"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    key text PRIMARY KEY,
    total double precision NOT NULL DEFAULT 0,
    held double precision NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now())"""

# The changed keys' new totals, and in the same statement the totals of the keys only read.
_CHANGE = f"""WITH changed AS (INSERT INTO {TABLE} AS t (key, total, held)
SELECT * FROM unnest(%(keys)s::text[], %(totals)s::float8[], %(helds)s::float8[])
ON CONFLICT (key) DO UPDATE SET total = t.total + EXCLUDED.total, held = t.held + EXCLUDED.held,
    updated_at = now()
RETURNING key, total)
SELECT key, total FROM changed
UNION ALL SELECT key, total FROM {TABLE} WHERE key = ANY(%(read)s::text[]) AND NOT key = ANY(%(keys)s::text[])"""


def connect(url: str, timeout_s: float = 2.0) -> Any:
    """An autocommit psycopg connection from a SQLAlchemy-style or libpq URL."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        return psycopg.connect(plain, autocommit=True, connect_timeout=max(1, int(timeout_s)))
    except psycopg.Error as err:
        raise SharedStateError(f"PostgreSQL at {_redacted(url)}: cannot connect: {err}") from err


#: pg_advisory_xact_lock key for the team tables' DDL (any constant; "RtDt" in ASCII)
_DDL_LOCK_KEY = 0x52744474


def create_once(conn: Any, ddl: str, what: str) -> None:
    """Run ``CREATE TABLE IF NOT EXISTS ...`` safely when several instances start at once: two
    sessions running it together make the second fail on pg_type's unique index instead of seeing
    the table, so one at a time, under a transaction-scoped advisory lock."""
    import psycopg

    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
            conn.execute(ddl)
    except (psycopg.Error, OSError) as err:
        raise SharedStateError(f"{what}: could not create the table: {err}") from err


def _redacted(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return ("…@" + tail) if sep else url


class PostgresSpendStore:
    """A ``SpendStore`` on a PostgreSQL database (one connection, serialised by a lock)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._errors: tuple[type[BaseException], ...] = (psycopg.Error, OSError)
        self.url = _redacted(url)
        self._conn = connect(url)
        self._lock = threading.Lock()
        create_once(self._conn, _CREATE, f"PostgreSQL at {self.url}")

    def _call(self, what: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                cursor = self._conn.execute(sql, params, prepare=True)
                return cursor.fetchall() if cursor.description else []
        except self._errors as err:
            raise SharedStateError(f"PostgreSQL at {self.url}: {what} failed: {err}") from err

    def _by_key(self, keys: Sequence[str], rows: list[tuple[Any, ...]]) -> list[float]:
        found = {key: float(value) for key, value in rows}
        return [found.get(key, 0.0) for key in keys]

    def totals(self, keys: Sequence[str]) -> list[float]:
        rows = self._call("read totals", f"SELECT key, total FROM {TABLE} WHERE key = ANY(%s)", (list(keys),))
        return self._by_key(keys, rows)

    def held(self, keys: Sequence[str]) -> list[float]:
        rows = self._call("read held", f"SELECT key, greatest(held, 0) FROM {TABLE} WHERE key = ANY(%s)", (list(keys),))
        return self._by_key(keys, rows)

    def change(self, deltas: Mapping[str, tuple[float, float]], read: Sequence[str]) -> list[float]:
        keys = sorted(deltas)  # one lock order for every statement: no deadlock between instances
        rows = self._call("update totals", _CHANGE, {"keys": keys, "totals": [deltas[k][0] for k in keys],
                                                     "helds": [deltas[k][1] for k in keys],
                                                     "read": list(read)})
        return self._by_key(read, rows)

    def reserve(self, keys: Sequence[str], amount: float) -> list[float]:
        return self.change({key: (amount, amount) for key in keys}, keys)

    def settle(self, keys: Sequence[str], reserved: float, cost: float) -> None:
        self.change({key: (cost - reserved, -reserved) for key in keys}, ())

    def seed(self, key: str, value: float) -> None:
        self._call("seed", f"INSERT INTO {TABLE} (key, total) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                   (key, value))

    def close(self) -> None:
        self._conn.close()
