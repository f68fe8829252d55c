"""Budget totals in PostgreSQL: each reservation and settlement is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``.

One row per store key: ``total`` (settled spend plus what is held) and ``held`` (reserved, not
settled). A single upsert statement updates every covering budget's row atomically (PostgreSQL
locks each row it updates until the statement's implicit transaction ends), so two instances
reserving at once both count. Keys are sorted by the caller (``covering_keys``): every statement
locks rows in the same order, so two reservations over the same budgets cannot deadlock.

psycopg is imported when a store is made. The table is created if missing; it lives apart from the
routing log's tables and their migrations.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from console.core.budget.reservations import SharedStateError

TABLE = "routedesk_budget_spend"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    key text PRIMARY KEY,
    total double precision NOT NULL DEFAULT 0,
    held double precision NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now())"""

_ADD = f"""INSERT INTO {TABLE} AS t (key, total, held)
SELECT k, %(total)s, %(held)s FROM unnest(%(keys)s::text[]) AS k
ON CONFLICT (key) DO UPDATE SET total = t.total + EXCLUDED.total, held = t.held + EXCLUDED.held,
    updated_at = now()
RETURNING key, total"""


def connect(url: str, timeout_s: float = 2.0) -> Any:
    """An autocommit psycopg connection from a SQLAlchemy-style or libpq URL."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        return psycopg.connect(plain, autocommit=True, connect_timeout=max(1, int(timeout_s)))
    except psycopg.Error as err:
        raise SharedStateError(f"PostgreSQL at {_redacted(url)}: cannot connect: {err}") from err


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
        self._call("create the table", _CREATE)

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

    def reserve(self, keys: Sequence[str], amount: float) -> list[float]:
        rows = self._call("reserve", _ADD, {"keys": list(keys), "total": amount, "held": amount})
        return self._by_key(keys, rows)

    def settle(self, keys: Sequence[str], reserved: float, cost: float) -> None:
        self._call("settle", _ADD, {"keys": list(keys), "total": cost - reserved, "held": -reserved})

    def seed(self, key: str, value: float) -> None:
        self._call("seed", f"INSERT INTO {TABLE} (key, total) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                   (key, value))

    def close(self) -> None:
        self._conn.close()
