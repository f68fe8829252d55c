"""The console's questions to the routing log, answered as plain rows (never ORM objects).

Sums (spend, counts, failure and fallback rates) read the hourly rollups for the whole hours of
the range and the raw rows only for its ragged edges, so a year of traffic costs thousands of rows.
Percentiles need the raw values: they read one covering index and compute in numpy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np
from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select

from console.core.ledger.filters import Filters, raw_where, rollup_where, split_hours
from console.core.ledger.stats import wilson_interval
from console.core.ledger.tables import attempt_hour_table, attempt_table, request_hour_table, request_table

Bucket = Literal["hour", "day"]
SpendBy = Literal["model", "provider", "task", "team"]
_SPEND_COLUMN = {"model": "model_alias", "provider": "provider", "task": "task", "team": "team"}
_BUCKET_SECONDS = {"hour": 3600, "day": 86400}

KeyFn = Callable[[Table, bool], ColumnElement[Any]]  # (table, is_rollup) -> expression


def _summed(conn: Connection, rollup: Table, raw: Table, filters: Filters, keys: Sequence[KeyFn],
            rollup_sums: Sequence[ColumnElement[Any]], raw_sums: Sequence[ColumnElement[Any]],
            model_column: str) -> dict[tuple, list[float]]:
    """Group sums over rollup hours plus raw edges, merged by key."""
    split = split_hours(filters.since, filters.until)
    merged: dict[tuple, list[float]] = defaultdict(lambda: [0] * len(rollup_sums))

    def add(rows: Sequence[Any]) -> None:
        for row in rows:
            acc = merged[tuple(row[: len(keys)])]
            for i, value in enumerate(row[len(keys):]):
                acc[i] += value or 0

    if not (split.hour_from == 0 and split.hour_to == 0):
        key_cols = [k(rollup, True) for k in keys]
        stmt = select(*key_cols, *rollup_sums).where(
            rollup_where(rollup, filters, split.hour_from, split.hour_to, model_column=model_column))
        add(conn.execute(stmt.group_by(*key_cols) if key_cols else stmt).all())
    for since, until in split.edges:
        key_cols = [k(raw, False) for k in keys]
        stmt = select(*key_cols, *raw_sums).where(
            raw_where(raw, filters.with_range(since, until), model_column=model_column))
        add(conn.execute(stmt.group_by(*key_cols) if key_cols else stmt).all())
    return dict(merged)


def _attempt_sums(conn: Connection, filters: Filters, keys: Sequence[KeyFn]) -> dict[tuple, list[float]]:
    roll, raw = attempt_hour_table(), attempt_table()
    return _summed(
        conn, roll, raw, filters, keys,
        [func.sum(roll.c.attempts), func.sum(roll.c.failures), func.sum(roll.c.cost_usd)],
        [func.count(), func.sum(1 - raw.c.ok), func.sum(raw.c.cost_usd)],
        "model_alias",
    )


def _request_sums(conn: Connection, filters: Filters, keys: Sequence[KeyFn]) -> dict[tuple, list[float]]:
    roll, raw = request_hour_table(), request_table()
    return _summed(
        conn, roll, raw, filters, keys,
        [func.sum(roll.c.requests), func.sum(roll.c.failures), func.sum(roll.c.fallbacks),
         func.sum(roll.c.cost_usd)],
        [func.count(), func.sum(1 - raw.c.ok), func.sum(raw.c.fell_back), func.sum(raw.c.total_cost_usd)],
        "first_model",
    )


def _column(name: str) -> KeyFn:
    return lambda table, _is_rollup: table.c[name]


def _bucket(bucket: Bucket) -> KeyFn:
    def key(table: Table, is_rollup: bool) -> ColumnElement[Any]:
        if bucket == "hour" or not is_rollup:
            return table.c[bucket]
        return table.c.hour // 24
    return key


# --- spend and counts -------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendPoint:
    bucket_start: float  # UTC epoch seconds of the hour or day
    key: str  # the model, provider, task or team
    cost_usd: float
    attempts: int


def spend(db: Engine, filters: Filters, *, bucket: Bucket = "day", by: SpendBy = "model") -> list[SpendPoint]:
    """Spend per time bucket × model/provider/task/team, oldest first."""
    with db.connect() as conn:
        sums = _attempt_sums(conn, filters, [_bucket(bucket), _column(_SPEND_COLUMN[by])])
    size = _BUCKET_SECONDS[bucket]
    points = [SpendPoint(float(b * size), k, float(v[2]), int(v[0])) for (b, k), v in sums.items()]
    return sorted(points, key=lambda p: (p.bucket_start, p.key))


def spend_arrays(points: Sequence[SpendPoint]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Points as (bucket starts, keys, cost matrix [bucket, key]) for stacked charts."""
    buckets = np.array(sorted({p.bucket_start for p in points}), dtype=float)
    keys = sorted({p.key for p in points})
    matrix = np.zeros((len(buckets), len(keys)))
    b_index = {b: i for i, b in enumerate(buckets.tolist())}
    k_index = {k: i for i, k in enumerate(keys)}
    for p in points:
        matrix[b_index[p.bucket_start], k_index[p.key]] += p.cost_usd
    return buckets, keys, matrix


@dataclass(frozen=True)
class Counts:
    requests: int
    failed_requests: int
    fallbacks: int
    attempts: int
    failed_attempts: int
    cost_usd: float


def counts(db: Engine, filters: Filters) -> Counts:
    with db.connect() as conn:
        a = _attempt_sums(conn, filters, []).get((), [0, 0, 0.0])
        r = _request_sums(conn, filters, []).get((), [0, 0, 0, 0.0])
    return Counts(int(r[0]), int(r[1]), int(r[2]), int(a[0]), int(a[1]), float(a[2]))


# --- rates --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Rate:
    task: str
    model: str
    trials: int
    events: int
    rate: float
    ci_low: float  # 95% Wilson interval
    ci_high: float


def _rate(task: str, model: str, trials: int, events: int) -> Rate:
    low, high = wilson_interval(events, trials)
    return Rate(task, model, trials, events, events / trials if trials else 0.0, low, high)


def failure_rates(db: Engine, filters: Filters) -> list[Rate]:
    """Attempt failure rate per task × model, with a 95% Wilson interval."""
    with db.connect() as conn:
        sums = _attempt_sums(conn, filters, [_column("task"), _column("model_alias")])
    return sorted(_rate(t, m, int(v[0]), int(v[1])) for (t, m), v in sums.items())


def fallback_rates(db: Engine, filters: Filters) -> list[Rate]:
    """Share of requests that left their first-choice model, per task × first-choice model."""
    with db.connect() as conn:
        sums = _request_sums(conn, filters, [_column("task"), _column("first_model")])
    return sorted(_rate(t, m, int(v[0]), int(v[2])) for (t, m), v in sums.items())


# --- latency ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyStats:
    model: str
    n: int
    p50_ms: float
    p95_ms: float
    ttft_n: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None


def latency_samples(conn: Connection, filters: Filters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model aliases, latency ms, ttft ms or NaN) of the successful attempts that match."""
    att = attempt_table()
    stmt = select(att.c.model_alias, att.c.latency_ms, att.c.ttft_ms).where(
        raw_where(att, filters), att.c.ok == 1)
    rows = conn.execute(stmt).all()
    if not rows:
        return np.array([], dtype=object), np.array([]), np.array([])
    models, latency, ttft = zip(*rows)
    return (np.array(models, dtype=object), np.array(latency, dtype=float),
            np.array([np.nan if t is None else t for t in ttft], dtype=float))


def latency_percentiles(db: Engine, filters: Filters) -> list[LatencyStats]:
    """p50/p95 latency and time to first token per model over successful attempts."""
    with db.connect() as conn:
        models, latency, ttft = latency_samples(conn, filters)
    out: list[LatencyStats] = []
    for model in sorted(set(models.tolist())):
        mask = models == model
        lat = latency[mask]
        first = ttft[mask]
        first = first[~np.isnan(first)]
        p50, p95 = np.percentile(lat, [50, 95])
        t50, t95 = np.percentile(first, [50, 95]) if len(first) else (None, None)
        out.append(LatencyStats(model, int(len(lat)), float(p50), float(p95), int(len(first)),
                                None if t50 is None else float(t50), None if t95 is None else float(t95)))
    return out
