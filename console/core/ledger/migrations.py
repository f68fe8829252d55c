"""Schema versions of the routing log and the steps between them.

``schema_meta`` holds ``version``. Opening a log:
  * no log tables yet → create the current schema;
  * an older version → run each step in order, each in its own transaction, then record the version;
  * a newer version → ``LedgerVersionError``, before anything is written (not even WAL mode).

Version history:
  1. request, attempt, schema_meta.
  2. request.customer and request.first_model columns (backfilled); hourly rollup tables
     ``attempt_hour`` / ``request_hour`` (backfilled from raw rows); covering chart indexes.
  3. saved side-by-side comparisons (``comparison``, ``comparison_column``) and pilots
     (``history_case``, ``history_answer``, ``pilot_run``, ``pilot_result``); new tables only.
  4. daily rollups ``attempt_day`` / ``request_day`` (sums backfilled from the hourly rollups;
     latency and TTFT histograms computed from the raw successful attempts), and a partial index
     on failed attempts for the outcome mix.
  5. ``attempt.role``: "route" for the chain's attempts (every existing row), "classify" for the
     classifier model's call, which is billed and logged but not part of the chain.
  6. ``policy_change``: when each (kind, policy name, policy hash) was first logged, for the charts'
     policy-change markers; backfilled with one GROUP BY over the request table.
  7. staged rollouts (``rollout_state``, ``rollout_event``, ``rollout_arm``: ``rollouts.py``); new tables only.
  8. ``replay_batch``: the production requests and their route attempts packed column-wise for what-if
     replays (``replay_columns.py``); backfilled from the raw rows.
"""

from __future__ import annotations

import json
from typing import Callable

from sqlalchemy import Connection, Engine, LargeBinary, Table, bindparam, inspect, select, text, update

from console.core.ledger.rows import ATTEMPT_DAY_KEY, HistogramDeltas, merge_histograms
from console.core.ledger.tables import (
    SCHEMA_VERSION,
    attempt_day_table,
    attempt_hour_table,
    attempt_table,
    request_day_table,
    ledger_tables,
    named_indexes,
    policy_change_table,
    request_hour_table,
    request_table,
)


class LedgerVersionError(Exception):
    """The log was written by a newer Routedesk, or is not a Routedesk log at all."""


def read_version(conn: Connection) -> int | None:
    """The log's schema version; None when the database holds no Routedesk log yet."""
    names = set(inspect(conn).get_table_names())
    if "schema_meta" not in names:
        if "request" in names or "attempt" in names:
            raise LedgerVersionError(
                "this database has 'request'/'attempt' tables but no schema_meta: it is not a Routedesk log"
            )
        return None
    value = conn.execute(text("SELECT value FROM schema_meta WHERE key = 'version'")).scalar()
    if value is None:
        raise LedgerVersionError("schema_meta has no version row: the log is damaged or not a Routedesk log")
    try:
        return int(value)
    except ValueError:
        raise LedgerVersionError(f"schema_meta version {value!r} is not a number") from None


def _write_version(conn: Connection, version: int) -> None:
    updated = conn.execute(text("UPDATE schema_meta SET value = :v WHERE key = 'version'"), {"v": str(version)})
    if updated.rowcount == 0:
        conn.execute(text("INSERT INTO schema_meta (key, value) VALUES ('version', :v)"), {"v": str(version)})


def feature_tables() -> list[Table]:
    """Tables of features built on the log (comparisons, pilots), kept in their own modules."""
    from console.core.ledger.comparisons import comparison_tables
    from console.core.ledger.pilots import pilot_tables
    from console.core.ledger.replay_columns import replay_column_tables
    from console.core.ledger.rollouts import rollout_tables

    return comparison_tables() + pilot_tables() + rollout_tables() + replay_column_tables()


def create_current_schema(conn: Connection) -> None:
    tables = ledger_tables() + feature_tables()
    tables[0].metadata.create_all(conn, tables=tables, checkfirst=True)
    ensure_indexes(conn)
    _write_version(conn, SCHEMA_VERSION)


def ensure_indexes(conn: Connection) -> None:
    existing = {t: {ix["name"] for ix in inspect(conn).get_indexes(t)} for t in inspect(conn).get_table_names()}
    for index in named_indexes():
        table_name = index.table.name  # type: ignore[union-attr]
        # A table a later step creates gets its indexes then (an old log upgrades step by step).
        if table_name in existing and index.name not in existing[table_name]:
            index.create(conn)


def _v1_to_v2(conn: Connection) -> None:
    """Add customer/first_model, build the hourly rollups from the raw rows, add chart indexes."""
    conn.execute(text("ALTER TABLE request ADD COLUMN customer VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text("ALTER TABLE request ADD COLUMN first_model VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text(
        "UPDATE request SET first_model = (SELECT a.model_alias FROM attempt a "
        "WHERE a.request_id = request.request_id AND a.position = 0) "
        "WHERE EXISTS (SELECT 1 FROM attempt a WHERE a.request_id = request.request_id AND a.position = 0)"
    ))
    req = request_table()
    rows = conn.execute(
        select(req.c.request_id, req.c.metadata_json).where(req.c.metadata_json.like('%"customer"%'))
    ).all()
    for request_id, metadata_json in rows:
        customer = str(json.loads(metadata_json or "{}").get("customer", ""))
        conn.execute(update(req).where(req.c.request_id == request_id).values(customer=customer))
    for table in (attempt_hour_table(), request_hour_table()):
        table.create(conn, checkfirst=True)
    conn.execute(text(
        "INSERT INTO attempt_hour (hour, kind, policy_name, task, team, model_alias, provider, "
        "attempts, failures, cost_usd, input_tokens, output_tokens) "
        "SELECT hour, kind, policy_name, task, team, model_alias, provider, COUNT(*), SUM(1 - ok), "
        "SUM(cost_usd), SUM(input_tokens), SUM(output_tokens) FROM attempt "
        "GROUP BY hour, kind, policy_name, task, team, model_alias, provider"
    ))
    conn.execute(text(
        "INSERT INTO request_hour (hour, kind, policy_name, task, team, first_model, "
        "requests, failures, fallbacks, cost_usd) "
        "SELECT hour, kind, policy_name, task, team, first_model, COUNT(*), SUM(1 - ok), SUM(fell_back), "
        "SUM(total_cost_usd) FROM request GROUP BY hour, kind, policy_name, task, team, first_model"
    ))
    ensure_indexes(conn)


def _v2_to_v3(conn: Connection) -> None:
    """Add the comparison and pilot tables; nothing existing changes."""
    tables = feature_tables()
    tables[0].metadata.create_all(conn, tables=tables, checkfirst=True)


#: Raw attempts read per round trip while histograms are backfilled.
BACKFILL_CHUNK = 50_000


def _v3_to_v4(conn: Connection) -> None:
    """Daily rollups: sums from the hourly ones (they hold the same totals), histograms from raw rows."""
    for table in (attempt_day_table(), request_day_table()):
        table.create(conn, checkfirst=True)
    empty = bindparam("empty", b"", type_=LargeBinary)
    conn.execute(text(
        "INSERT INTO attempt_day (day, kind, policy_name, task, team, model_alias, provider, "
        "attempts, failures, cost_usd, input_tokens, output_tokens, latency_hist, ttft_hist) "
        "SELECT hour / 24, kind, policy_name, task, team, model_alias, provider, SUM(attempts), SUM(failures), "
        "SUM(cost_usd), SUM(input_tokens), SUM(output_tokens), :empty, :empty FROM attempt_hour "
        "GROUP BY hour / 24, kind, policy_name, task, team, model_alias, provider").bindparams(empty))
    conn.execute(text(
        "INSERT INTO request_day (day, kind, policy_name, task, team, first_model, "
        "requests, failures, fallbacks, cost_usd) "
        "SELECT hour / 24, kind, policy_name, task, team, first_model, SUM(requests), SUM(failures), "
        "SUM(fallbacks), SUM(cost_usd) FROM request_hour GROUP BY hour / 24, kind, policy_name, task, team, "
        "first_model"))
    merge_histograms(conn, _raw_histograms(conn))
    ensure_indexes(conn)


def _raw_histograms(conn: Connection) -> HistogramDeltas:
    """Latency and TTFT bucket counts of every successful attempt, per attempt_day key."""
    from console.core.ledger import histogram

    att = attempt_table()
    stmt = select(*(att.c[k] for k in ATTEMPT_DAY_KEY), att.c.latency_ms, att.c.ttft_ms).where(att.c.ok == 1)
    out: HistogramDeltas = {}
    result = conn.execute(stmt.execution_options(yield_per=BACKFILL_CHUNK))  # streamed, not all in memory
    width = len(ATTEMPT_DAY_KEY)
    for rows in result.partitions():
        latency = histogram.buckets_of([row[width] for row in rows]).tolist()
        ttft = histogram.buckets_of([row[width + 1] for row in rows]).tolist()
        for row, lat_bucket, ttft_bucket in zip(rows, latency, ttft):
            key = tuple(row[:width])
            deltas = out.get(key)
            if deltas is None:
                deltas = out[key] = ({}, {})
            deltas[0][lat_bucket] = deltas[0].get(lat_bucket, 0) + 1
            if row[width + 1] is not None:
                deltas[1][ttft_bucket] = deltas[1].get(ttft_bucket, 0) + 1
    return out


def _v4_to_v5(conn: Connection) -> None:
    if "role" not in {column["name"] for column in inspect(conn).get_columns("attempt")}:
        conn.execute(text("ALTER TABLE attempt ADD COLUMN role VARCHAR NOT NULL DEFAULT 'route'"))


def _v5_to_v6(conn: Connection) -> None:
    """The policy-change table, filled once from the request table (the write path keeps it after)."""
    from console.core.ledger.policy_changes import BACKFILL_SQL

    policy_change_table().create(conn, checkfirst=True)
    conn.execute(text("DELETE FROM policy_change"))  # the backfill is the whole truth: no duplicate keys
    conn.execute(text(BACKFILL_SQL))


def _add_replay_batches(conn: Connection) -> None:
    """The replay's packed columns, filled once from the raw rows (the write path keeps them after)."""
    from console.core.ledger import replay_columns

    replay_columns.replay_batch_table().create(conn, checkfirst=True)
    conn.execute(text("DELETE FROM replay_batch"))  # the backfill is the whole truth: nothing packed twice
    replay_columns.backfill(conn)


def _add_rollout_tables(conn: Connection) -> None:
    """The staged-rollout tables; nothing existing changes."""
    from console.core.ledger.rollouts import rollout_tables

    tables = rollout_tables()
    tables[0].metadata.create_all(conn, tables=tables, checkfirst=True)


#: ``STEPS[n]`` upgrades a log at version n to n + 1.
STEPS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6, 6: _add_rollout_tables,
    7: _add_replay_batches,
}


def prepare_schema(db: Engine, before_first_write: Callable[[Engine], None] | None = None) -> int:
    """Create or upgrade the log's schema; returns the version it had (0 for a new log)."""
    with db.connect() as conn:
        found = read_version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise LedgerVersionError(
            f"this log has schema version {found}, written by a newer Routedesk; this one understands up to "
            f"version {SCHEMA_VERSION}. Upgrade Routedesk, or open a different log (--db). The file was not changed."
        )
    if found == SCHEMA_VERSION:
        if before_first_write:
            before_first_write(db)
        return found
    if before_first_write:
        before_first_write(db)
    if found is None:
        with db.begin() as conn:
            create_current_schema(conn)
        return 0
    for version in range(found, SCHEMA_VERSION):
        step = STEPS.get(version)
        if step is None:
            raise LedgerVersionError(f"no upgrade step from schema version {version}")
        with db.begin() as conn:
            step(conn)
            _write_version(conn, version + 1)
    return found
