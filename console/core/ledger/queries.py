"""The console's questions to the routing log, answered as plain rows (never ORM objects).

Sums (spend, counts, failure and fallback rates) read the daily rollups for the whole days of the
range, the hourly rollups for the whole hours left over, and raw rows only for its ragged edges, so
a year of traffic costs tens of thousands of rows. Latency percentiles come from the daily
histograms the same way (``latency.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np
from sqlalchemy import ColumnElement, Connection, Engine, Integer, Table, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from console.core.ledger.filters import Filters, raw_where, rollup_where, split_range
from console.core.ledger.latency import LatencyStats, latency_percentiles, latency_samples  # noqa: F401 (re-exported)
from console.core.ledger.stats import wilson_interval
from console.core.ledger.tables import (
    attempt_day_table,
    attempt_hour_table,
    attempt_table,
    request_day_table,
    request_hour_table,
    request_table,
)

#: Time buckets of a chart. Minute buckets read raw rows only (the rollups are hourly at their finest),
#: which is why ``auto_bucket`` gives them to short ranges only.
Bucket = Literal["5min", "15min", "hour", "day"]
SpendBy = Literal["model", "provider", "task", "team"]
Tier = Literal["raw", "hour", "day"]
_SPEND_COLUMN = {"model": "model_alias", "provider": "provider", "task": "task", "team": "team"}
_BUCKET_SECONDS = {"5min": 300, "15min": 900, "hour": 3600, "day": 86400}

KeyFn = Callable[[Table, Tier], ColumnElement[Any]]  # (table, which tier it is) -> expression
SumsOf = Callable[[Table], Sequence[ColumnElement[Any]]]


def _summed(conn: Connection, tables: dict[Tier, Table], filters: Filters, keys: Sequence[KeyFn],
            sums: dict[Tier, SumsOf], model_column: str, *, days: bool,
            hours: bool = True) -> dict[tuple[Any, ...], list[float]]:
    """Group sums over rollup days and hours plus raw edges, merged by key.

    ``days=False`` when a key needs hours (hourly buckets): the daily rollups cannot answer it;
    ``hours=False`` too when it needs minutes: only raw rows can."""
    split = split_range(filters.since, filters.until, days=days, hours=hours)
    width = len(sums["raw"](tables["raw"]))
    merged: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0] * width)

    def add(tier: Tier, where: ColumnElement[bool]) -> None:
        table = tables[tier]
        key_cols = [k(table, tier) for k in keys]
        stmt = select(*key_cols, *sums[tier](table)).where(where)
        rows = conn.execute(stmt.group_by(*key_cols) if key_cols else stmt).all()
        n = len(keys)
        if not merged:  # the first (largest) tier: its keys are distinct, so no row merges with another
            merged.update((tuple(row[:n]), [value or 0 for value in row[n:]]) for row in rows)
            return
        for row in rows:
            acc = merged[tuple(row[:n])]
            for i, value in enumerate(row[n:]):
                acc[i] += value or 0

    if split.days is not None:
        add("day", rollup_where(tables["day"], filters, *split.days, model_column=model_column, time_column="day"))
    for hour_from, hour_to in split.hours:
        add("hour", rollup_where(tables["hour"], filters, hour_from, hour_to, model_column=model_column))
    for since, until in split.edges:
        add("raw", raw_where(tables["raw"], filters.with_range(since, until), model_column=model_column))
    return dict(merged)


def _rollup_attempt_sums(t: Table) -> Sequence[ColumnElement[Any]]:
    return [func.sum(t.c.attempts), func.sum(t.c.failures), func.sum(t.c.cost_usd)]


def _rollup_request_sums(t: Table) -> Sequence[ColumnElement[Any]]:
    return [func.sum(t.c.requests), func.sum(t.c.failures), func.sum(t.c.fallbacks), func.sum(t.c.cost_usd)]


def _attempt_sums(conn: Connection, filters: Filters, keys: Sequence[KeyFn], *,
                  days: bool = True, hours: bool = True) -> dict[tuple[Any, ...], list[float]]:
    """[attempts, failures, cost] per key."""
    return _summed(
        conn, {"raw": attempt_table(), "hour": attempt_hour_table(), "day": attempt_day_table()}, filters, keys,
        {"day": _rollup_attempt_sums, "hour": _rollup_attempt_sums,
         "raw": lambda t: [func.count(), func.sum(1 - t.c.ok), func.sum(t.c.cost_usd)]},
        "model_alias", days=days, hours=hours,
    )


def _request_sums(conn: Connection, filters: Filters, keys: Sequence[KeyFn], *,
                  days: bool = True, hours: bool = True) -> dict[tuple[Any, ...], list[float]]:
    """[requests, failures, fallbacks, cost] per key."""
    return _summed(
        conn, {"raw": request_table(), "hour": request_hour_table(), "day": request_day_table()}, filters, keys,
        {"day": _rollup_request_sums, "hour": _rollup_request_sums,
         "raw": lambda t: [func.count(), func.sum(1 - t.c.ok), func.sum(t.c.fell_back), func.sum(t.c.total_cost_usd)]},
        "first_model", days=days, hours=hours,
    )


def _column(name: str) -> KeyFn:
    return lambda table, _tier: table.c[name]


class _whole_steps(FunctionElement[int]):
    """floor(ts / step) for ts >= 0, in each dialect's words (PostgreSQL's CAST rounds; SQLite has
    no floor() unless built with its math functions, and its CAST truncates, which is floor here)."""

    type = Integer()
    inherit_cache = True


@compiles(_whole_steps)
def _whole_steps_default(element: Any, compiler: Any, **kw: Any) -> str:
    ts, step = list(element.clauses)
    return f"CAST({compiler.process(ts, **kw)} / {compiler.process(step, **kw)} AS INTEGER)"


@compiles(_whole_steps, "postgresql")
def _whole_steps_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    ts, step = list(element.clauses)
    return f"CAST(FLOOR({compiler.process(ts, **kw)} / {compiler.process(step, **kw)}) AS INTEGER)"


def tiers(bucket: Bucket) -> dict[str, bool]:
    """Which rollups can answer sums by ``bucket`` (keyword arguments for ``_attempt_sums``)."""
    return {"days": bucket == "day", "hours": _BUCKET_SECONDS[bucket] >= 3600}


def _bucket(bucket: Bucket) -> KeyFn:
    """The time bucket a row falls in; hourly buckets never read the daily tier, minute buckets
    only raw rows (``tiers``)."""
    def key(table: Table, tier: Tier) -> ColumnElement[Any]:
        if _BUCKET_SECONDS[bucket] < 3600:
            return _whole_steps(table.c.ts, float(_BUCKET_SECONDS[bucket]))
        if bucket == "hour" or tier != "hour":
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
        sums = _attempt_sums(conn, filters, [_bucket(bucket), _column(_SPEND_COLUMN[by])], **tiers(bucket))
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
