"""Records become rows: request/attempt dicts, hourly and daily rollup deltas, and one batch insert.

``insert_batch`` is the single write path (the writer thread, the bulk traffic loader and the
migrations' backfill all use it or its parts): Core ``insert()`` with executemany for the raw rows,
then upserts that add the batch's per-hour and per-day sums to the rollup tables, then the
batch's latency histograms merged into ``attempt_day``, and the batch's new policies noted in
``policy_change`` (``policy_changes.py``) — all in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sqlalchemy import Connection, Table, and_, bindparam, func, insert, select, update

from console.core.ledger import histogram, replay_columns
from console.core.ledger.policy_changes import SeenPolicies
from console.core.ledger.rollouts import arm_rows, rollout_arm_table
from console.core.ledger.tables import (
    KINDS,
    attempt_day_table,
    attempt_hour_table,
    attempt_table,
    request_day_table,
    request_hour_table,
    request_table,
)
from console.core.outcomes import Outcome
from console.core.records import RequestRecord

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert

# Metadata keys that get their own columns; the rest stays in metadata_json.
COLUMN_METADATA = ("team", "region", "customer")

ATTEMPT_HOUR_KEY = ("hour", "kind", "policy_name", "task", "team", "model_alias", "provider")
ATTEMPT_HOUR_SUMS = ("attempts", "failures", "cost_usd", "input_tokens", "output_tokens")
REQUEST_HOUR_KEY = ("hour", "kind", "policy_name", "task", "team", "first_model")
REQUEST_HOUR_SUMS = ("requests", "failures", "fallbacks", "cost_usd")
ATTEMPT_DAY_KEY = ("day",) + ATTEMPT_HOUR_KEY[1:]
REQUEST_DAY_KEY = ("day",) + REQUEST_HOUR_KEY[1:]
HISTOGRAM_COLUMNS = ("latency_hist", "ttft_hist")
_NO_HISTOGRAMS = {"latency_hist": b"", "ttft_hist": b""}  # a new attempt_day row, before merge_histograms
#: On SQLite the day upsert merges histograms itself with this function (registered per connection),
#: so the writer's commit costs one statement per table, not a read and a write per key.
MERGE_FUNCTION = "routedesk_histogram_merge"


def epoch(moment: datetime) -> float:
    """UTC epoch seconds; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _outcome_value(outcome: Outcome | str) -> str:
    return outcome.value if isinstance(outcome, Outcome) else str(outcome)


def request_rows(record: RequestRecord) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request row and its attempt rows for one record."""
    ts = epoch(record.started_at)
    hour, day = int(ts // 3600), int(ts // 86400)
    meta = {str(k): str(v) for k, v in (record.metadata or {}).items()}
    team = meta.get("team", "")
    outcome = _outcome_value(record.outcome)
    chain = [a for a in record.attempts if a.role == "route"]  # the classifier's call is not part of the chain
    first_model = chain[0].model_alias if chain else ""
    kind = record.kind or "production"
    if kind not in KINDS:  # queries spell "all kinds" as this list (filters._kind)
        raise ValueError(f"unknown request kind {kind!r}: the routing log records {', '.join(KINDS)}")
    attempts: list[dict[str, Any]] = []
    for attempt in record.attempts:
        a_ts = epoch(attempt.started_at)
        a_outcome = _outcome_value(attempt.outcome)
        attempts.append({
            "request_id": record.request_id, "position": attempt.position, "ts": a_ts,
            "hour": int(a_ts // 3600), "day": int(a_ts // 86400), "kind": kind, "policy_name": record.policy_name, "task": record.task,
            "team": team, "model_alias": attempt.model_alias, "provider": attempt.provider,
            "provider_model_id": attempt.provider_model_id, "answered_model_id": attempt.answered_model_id,
            "outcome": a_outcome, "ok": int(a_outcome == Outcome.OK.value), "error_class": attempt.error_class,
            "error_message": attempt.error_message, "http_status": attempt.http_status,
            "input_tokens": attempt.input_tokens, "output_tokens": attempt.output_tokens,
            "cached_tokens": attempt.cached_tokens, "reasoning_tokens": attempt.reasoning_tokens,
            "tokens_estimated": int(attempt.tokens_estimated), "cost_usd": attempt.cost_usd,
            "price_input": attempt.price_input, "price_output": attempt.price_output,
            "price_cached_input": attempt.price_cached_input, "price_reasoning": attempt.price_reasoning,
            "latency_ms": attempt.latency_ms, "ttft_ms": attempt.ttft_ms, "retry_index": attempt.retry_index,
            "role": attempt.role,
        })
    request = {
        "request_id": record.request_id, "ts": ts, "hour": hour, "day": day, "kind": kind,
        "policy_name": record.policy_name, "policy_hash": record.policy_hash, "task": record.task,
        "task_reason": record.task_reason, "outcome": outcome, "ok": int(outcome == Outcome.OK.value),
        "team": team, "region": meta.get("region", ""), "customer": meta.get("customer", ""),
        "metadata_json": json.dumps({k: v for k, v in meta.items() if k not in COLUMN_METADATA}, sort_keys=True),
        "first_model": first_model, "answered_by": record.answered_by,
        "fell_back": int(len({a.model_alias for a in chain}) > 1),
        "attempt_count": len(chain), "total_cost_usd": record.total_cost_usd,
        "total_latency_ms": record.total_latency_ms, "overhead_ms": record.overhead_ms,
        "streamed": int(record.streamed), "prompt_text": record.prompt_text,
    }
    return request, attempts


Sums = list[float]  # a rollup row's sums, in the order of its table's *_SUMS names


def _add(target: dict[tuple[Any, ...], Sums], key: tuple[Any, ...], values: Sequence[float]) -> None:
    acc = target.get(key)
    if acc is None:
        target[key] = list(values)
    else:
        for i, value in enumerate(values):
            acc[i] += value


def _day_keys(by_hour: dict[tuple[Any, ...], Sums]) -> dict[tuple[Any, ...], Sums]:
    """Hourly sums folded into days (the hour is the key's first field)."""
    by_day: dict[tuple[Any, ...], Sums] = {}
    for key, sums in by_hour.items():
        _add(by_day, (key[0] // 24,) + key[1:], sums)
    return by_day


def _rows(key_names: Sequence[str], sum_names: Sequence[str], sums: dict[tuple[Any, ...], Sums]) -> list[dict[str, Any]]:
    # Sorted so that concurrent PostgreSQL writers lock rollup rows in the same order (no deadlock).
    return [dict(zip(key_names, key)) | dict(zip(sum_names, values)) for key, values in sorted(sums.items())]


@dataclass
class BatchRollups:
    """What one batch adds to each rollup table, as rows ready for the upserts."""

    attempt_hour: list[dict[str, Any]]
    request_hour: list[dict[str, Any]]
    attempt_day: list[dict[str, Any]]
    request_day: list[dict[str, Any]]
    histograms: "HistogramDeltas"


def batch_rollups(requests: Sequence[dict[str, Any]], attempts: Sequence[dict[str, Any]]) -> BatchRollups:
    """Per-hour and per-day sums of a batch, and its latency histogram counts, in one pass."""
    attempt_hours: dict[tuple[Any, ...], Sums] = {}
    for row in attempts:
        _add(attempt_hours, tuple(row[k] for k in ATTEMPT_HOUR_KEY), (
            1, 1 - row["ok"], row["cost_usd"], row["input_tokens"], row["output_tokens"]))
    request_hours: dict[tuple[Any, ...], Sums] = {}
    for row in requests:
        _add(request_hours, tuple(row[k] for k in REQUEST_HOUR_KEY), (
            1, 1 - row["ok"], row["fell_back"], row["total_cost_usd"]))
    return BatchRollups(
        _rows(ATTEMPT_HOUR_KEY, ATTEMPT_HOUR_SUMS, attempt_hours),
        _rows(REQUEST_HOUR_KEY, REQUEST_HOUR_SUMS, request_hours),
        _rows(ATTEMPT_DAY_KEY, ATTEMPT_HOUR_SUMS, _day_keys(attempt_hours)),
        _rows(REQUEST_DAY_KEY, REQUEST_HOUR_SUMS, _day_keys(request_hours)),
        histogram_deltas(attempts),
    )


HistogramDeltas = dict[tuple[Any, ...], tuple[histogram.Counts, histogram.Counts]]


def histogram_deltas(attempts: Sequence[dict[str, Any]]) -> HistogramDeltas:
    """Latency and TTFT bucket counts of a batch's successful attempts, per ``attempt_day`` key."""
    out: HistogramDeltas = {}
    for row in attempts:
        if not row["ok"]:
            continue
        key = (row["day"], row["kind"], row["policy_name"], row["task"], row["team"], row["model_alias"],
               row["provider"])  # ATTEMPT_DAY_KEY, spelled out: this runs once per attempt
        deltas = out.get(key)
        if deltas is None:
            deltas = out[key] = ({}, {})
        bucket = histogram.bucket_of(row["latency_ms"])
        deltas[0][bucket] = deltas[0].get(bucket, 0) + 1
        if row["ttft_ms"] is not None:
            bucket = histogram.bucket_of(row["ttft_ms"])
            deltas[1][bucket] = deltas[1].get(bucket, 0) + 1
    return out


# Built statements, reused: constructing an upsert (its ``excluded`` alias proxies every column)
# cost several times more than executing it, and the writer commits one small batch per request
# under light load. Statements are immutable, so sharing them across threads is safe.
_STATEMENTS: dict[tuple[str, str, str], Any] = {}


def _upsert(dialect: str, table: Table, key: Sequence[str], sums: Sequence[str], merges: Sequence[str] = ()) -> Any:
    """Insert, or add ``sums`` (and, SQLite only, merge the ``merges`` histograms) into the existing row."""
    cache_key = ("upsert", dialect, table.name + "+merge" * bool(merges))
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        base: SQLiteInsert | PostgresInsert
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            base = sqlite_insert(table)
        else:
            from sqlalchemy.dialects.postgresql import insert as postgres_insert

            base = postgres_insert(table)
        set_ = {name: table.c[name] + base.excluded[name] for name in sums}
        set_ |= {name: getattr(func, MERGE_FUNCTION)(table.c[name], base.excluded[name]) for name in merges}
        stmt = _STATEMENTS[cache_key] = base.on_conflict_do_update(index_elements=list(key), set_=set_)
    return stmt


def _merge_encoded(old: bytes | None, new: bytes | None) -> bytes:
    """The SQL function behind MERGE_FUNCTION: two encoded histograms added."""
    return histogram.merged(old, histogram.decode(new)) if new else (old or b"")


def _sqlite_merge_ready(conn: Connection) -> None:
    """Register MERGE_FUNCTION once per DBAPI connection (``info`` lives as long as it does)."""
    info = conn.connection.info
    if not info.get(MERGE_FUNCTION):
        conn.connection.driver_connection.create_function(  # type: ignore[union-attr]
            MERGE_FUNCTION, 2, _merge_encoded, deterministic=True)
        info[MERGE_FUNCTION] = True


def _histogram_statements() -> tuple[Any, Any]:
    """(select the histograms of one attempt_day key, set them), built once."""
    cached = _STATEMENTS.get(("histograms", "", "attempt_day"))
    if cached is None:
        table = attempt_day_table()
        match = and_(*(table.c[k] == bindparam(f"key_{k}") for k in ATTEMPT_DAY_KEY))
        cached = _STATEMENTS[("histograms", "", "attempt_day")] = (
            select(table.c.latency_hist, table.c.ttft_hist).where(match),
            update(table).where(match).values(latency_hist=bindparam("new_latency_hist"),
                                              ttft_hist=bindparam("new_ttft_hist")),
        )
    return cached


def _insert(table: Table) -> Any:
    cache_key = ("insert", "", table.name)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        stmt = _STATEMENTS[cache_key] = insert(table)
    return stmt


def _execute(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """executemany; on SQLite straight through the driver with SQL compiled once per statement shape.

    SQLAlchemy's per-execute bookkeeping costs more than SQLite's own insert; the writer pays it
    on every request under light load, and callers wait for that commit (the routing overhead budget).
    """
    if conn.dialect.name != "sqlite":
        conn.execute(stmt, rows)
        return
    keys = tuple(rows[0])
    cache_key = ("sql", str(id(stmt)), ",".join(keys))
    sql = _STATEMENTS.get(cache_key)
    if sql is None:
        from sqlalchemy.dialects import sqlite

        compiled = stmt.compile(dialect=sqlite.dialect(paramstyle="named"), column_keys=list(keys))
        sql = _STATEMENTS[cache_key] = str(compiled)
    conn.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]


def _select_one(conn: Connection, stmt: Any, params: dict[str, Any]) -> Any:
    """One row of a built SELECT; on SQLite straight through the driver, like ``_execute``."""
    if conn.dialect.name != "sqlite":
        return conn.execute(stmt, params).first()
    cache_key = ("sql", str(id(stmt)), "select")
    sql = _STATEMENTS.get(cache_key)
    if sql is None:
        from sqlalchemy.dialects import sqlite

        sql = _STATEMENTS[cache_key] = str(stmt.compile(dialect=sqlite.dialect(paramstyle="named")))
    return conn.connection.driver_connection.execute(sql, params).fetchone()  # type: ignore[union-attr]


def merge_histograms(conn: Connection, deltas: HistogramDeltas) -> None:
    """Add bucket counts to the histograms of existing ``attempt_day`` rows (read, merge, write).

    The rows exist and are locked by this transaction: the day upsert ran first (SQLite holds the
    write lock; PostgreSQL holds the upserted rows' locks until commit, and a concurrent writer of
    the same key waits for it, then reads what was committed), so no merge is lost.
    """
    if not deltas:
        return
    read, write = _histogram_statements()
    updates: list[dict[str, Any]] = []
    for key in sorted(deltas):
        params = {f"key_{k}": v for k, v in zip(ATTEMPT_DAY_KEY, key)}
        found = _select_one(conn, read, params)
        latency, ttft = (None, None) if found is None else (found[0], found[1])
        updates.append(params | {"new_latency_hist": histogram.merged(latency, deltas[key][0]),
                                 "new_ttft_hist": histogram.merged(ttft, deltas[key][1])})
    _execute(conn, write, updates)


def _add_to_rollup(conn: Connection, table: Table, key: Sequence[str], sums: Sequence[str],
                   rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        _execute(conn, _upsert(dialect, table, key, sums), rows)
        return
    # Other backends: update-then-insert, one key at a time (correct, slower; no concurrent writers).
    for row in rows:
        match = and_(*(table.c[k] == row[k] for k in key))
        changed = conn.execute(update(table).where(match).values({n: table.c[n] + row[n] for n in sums}))
        if changed.rowcount == 0:
            conn.execute(insert(table), [row])


def insert_batch(conn: Connection, records: Iterable[RequestRecord], policies: SeenPolicies | None = None) -> int:
    """Insert records, their rollup sums and their new policies in the caller's transaction; returns
    attempts written. ``policies``: what the caller knows is recorded (None: check the whole batch)."""
    request_dicts: list[dict[str, Any]] = []
    attempt_dicts: list[dict[str, Any]] = []
    arms: list[str | None] = []
    for record in records:
        request, attempts = request_rows(record)
        request_dicts.append(request)
        attempt_dicts.extend(attempts)
        arms.append(record.arm)
    (policies or SeenPolicies()).note(conn, request_dicts)  # one check per batch (policy_changes.py)
    written = insert_row_dicts(conn, request_dicts, attempt_dicts)
    if any(arms):  # routes in staged rollout: which arm each request took (ledger/rollouts.py)
        _execute(conn, _insert(rollout_arm_table()), arm_rows(request_dicts, arms))
    return written


def insert_row_dicts(conn: Connection, requests: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> int:
    if requests:
        _execute(conn, _insert(request_table()), requests)
    if attempts:
        _execute(conn, _insert(attempt_table()), attempts)
    replay_columns.append(conn, requests, attempts)  # what a what-if replay reads, packed (replay_columns.py)
    rollups = batch_rollups(requests, attempts)
    _add_to_rollup(conn, attempt_hour_table(), ATTEMPT_HOUR_KEY, ATTEMPT_HOUR_SUMS, rollups.attempt_hour)
    _add_to_rollup(conn, request_hour_table(), REQUEST_HOUR_KEY, REQUEST_HOUR_SUMS, rollups.request_hour)
    _add_to_rollup(conn, request_day_table(), REQUEST_DAY_KEY, REQUEST_HOUR_SUMS, rollups.request_day)
    histograms = rollups.histograms
    if conn.dialect.name == "sqlite" and rollups.attempt_day:
        _sqlite_merge_ready(conn)
        for row in rollups.attempt_day:
            counts = histograms.get(tuple(row[k] for k in ATTEMPT_DAY_KEY), ({}, {}))
            row["latency_hist"], row["ttft_hist"] = histogram.encode(counts[0]), histogram.encode(counts[1])
        _execute(conn, _upsert("sqlite", attempt_day_table(), ATTEMPT_DAY_KEY, ATTEMPT_HOUR_SUMS, HISTOGRAM_COLUMNS),
                 rollups.attempt_day)
        return len(attempts)
    _add_to_rollup(conn, attempt_day_table(), ATTEMPT_DAY_KEY, ATTEMPT_HOUR_SUMS,
                   [row | _NO_HISTOGRAMS for row in rollups.attempt_day])
    merge_histograms(conn, histograms)
    return len(attempts)
