"""Records become rows: request/attempt dicts, hourly rollup deltas, and one batch insert.

``insert_batch`` is the single write path (the writer thread and the bulk traffic loader both use
it): Core ``insert()`` with executemany for the raw rows, then an upsert that adds the batch's
per-hour sums to the rollup tables, all in the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table, and_, insert, update

from console.core.ledger.tables import attempt_hour_table, attempt_table, request_hour_table, request_table
from console.core.outcomes import Outcome
from console.core.records import RequestRecord

# Metadata keys that get their own columns; the rest stays in metadata_json.
COLUMN_METADATA = ("team", "region", "customer")

ATTEMPT_HOUR_KEY = ("hour", "kind", "policy_name", "task", "team", "model_alias", "provider")
ATTEMPT_HOUR_SUMS = ("attempts", "failures", "cost_usd", "input_tokens", "output_tokens")
REQUEST_HOUR_KEY = ("hour", "kind", "policy_name", "task", "team", "first_model")
REQUEST_HOUR_SUMS = ("requests", "failures", "fallbacks", "cost_usd")


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
    first_model = record.attempts[0].model_alias if record.attempts else ""
    kind = record.kind or "production"
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
        })
    request = {
        "request_id": record.request_id, "ts": ts, "hour": hour, "day": day, "kind": kind,
        "policy_name": record.policy_name, "policy_hash": record.policy_hash, "task": record.task,
        "task_reason": record.task_reason, "outcome": outcome, "ok": int(outcome == Outcome.OK.value),
        "team": team, "region": meta.get("region", ""), "customer": meta.get("customer", ""),
        "metadata_json": json.dumps({k: v for k, v in meta.items() if k not in COLUMN_METADATA}, sort_keys=True),
        "first_model": first_model, "answered_by": record.answered_by,
        "fell_back": int(len({a.model_alias for a in record.attempts}) > 1),
        "attempt_count": len(record.attempts), "total_cost_usd": record.total_cost_usd,
        "total_latency_ms": record.total_latency_ms, "overhead_ms": record.overhead_ms,
        "streamed": int(record.streamed), "prompt_text": record.prompt_text,
    }
    return request, attempts


def _sum_into(target: dict[tuple, dict[str, float]], key: tuple, sums: dict[str, float]) -> None:
    bucket = target.setdefault(key, dict.fromkeys(sums, 0))
    for name, value in sums.items():
        bucket[name] += value


def rollup_deltas(
    requests: Sequence[dict[str, Any]], attempts: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-hour sums of a batch, ready to add to attempt_hour and request_hour."""
    by_attempt: dict[tuple, dict[str, float]] = {}
    for row in attempts:
        _sum_into(by_attempt, tuple(row[k] for k in ATTEMPT_HOUR_KEY), {
            "attempts": 1, "failures": 1 - row["ok"], "cost_usd": row["cost_usd"],
            "input_tokens": row["input_tokens"], "output_tokens": row["output_tokens"],
        })
    by_request: dict[tuple, dict[str, float]] = {}
    for row in requests:
        _sum_into(by_request, tuple(row[k] for k in REQUEST_HOUR_KEY), {
            "requests": 1, "failures": 1 - row["ok"], "fallbacks": row["fell_back"], "cost_usd": row["total_cost_usd"],
        })
    return (
        [dict(zip(ATTEMPT_HOUR_KEY, key)) | sums for key, sums in by_attempt.items()],
        [dict(zip(REQUEST_HOUR_KEY, key)) | sums for key, sums in by_request.items()],
    )


# Built statements, reused: constructing an upsert (its ``excluded`` alias proxies every column)
# cost several times more than executing it, and the writer commits one small batch per request
# under light load. Statements are immutable, so sharing them across threads is safe.
_STATEMENTS: dict[tuple[str, str, str], Any] = {}


def _upsert(dialect: str, table: Table, key: Sequence[str], sums: Sequence[str]) -> Any:
    cache_key = ("upsert", dialect, table.name)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        base = dialect_insert(table)
        stmt = _STATEMENTS[cache_key] = base.on_conflict_do_update(
            index_elements=list(key), set_={name: table.c[name] + base.excluded[name] for name in sums}
        )
    return stmt


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


def insert_batch(conn: Connection, records: Iterable[RequestRecord]) -> int:
    """Insert records and their rollup sums in the caller's transaction; returns attempts written."""
    request_dicts: list[dict[str, Any]] = []
    attempt_dicts: list[dict[str, Any]] = []
    for record in records:
        request, attempts = request_rows(record)
        request_dicts.append(request)
        attempt_dicts.extend(attempts)
    return insert_row_dicts(conn, request_dicts, attempt_dicts)


def insert_row_dicts(conn: Connection, requests: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> int:
    if requests:
        _execute(conn, _insert(request_table()), requests)
    if attempts:
        _execute(conn, _insert(attempt_table()), attempts)
    attempt_sums, request_sums = rollup_deltas(requests, attempts)
    _add_to_rollup(conn, attempt_hour_table(), ATTEMPT_HOUR_KEY, ATTEMPT_HOUR_SUMS, attempt_sums)
    _add_to_rollup(conn, request_hour_table(), REQUEST_HOUR_KEY, REQUEST_HOUR_SUMS, request_sums)
    return len(attempts)
