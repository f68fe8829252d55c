"""Chart-shaped answers for the dashboards: time series as numpy arrays, pages of requests as rows.

Everything here is built on ``queries.py`` (daily and hourly rollups for whole days and hours, raw
rows for the ragged edges) and returns plain arrays, so a chart draws what it is handed without
touching the log. Nothing here is bounded to part of the range: a year costs tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from console.core.ledger.chains import _ATTEMPT_FIELDS, _REQUEST_FIELDS, RequestChain
from console.core.ledger.filters import Filters, raw_where
from console.core.ledger.queries import (
    _BUCKET_SECONDS,
    _SPEND_COLUMN,
    Bucket,
    SpendBy,
    _attempt_sums,
    _bucket,
    _column,
    _request_sums,
    spend,
    spend_arrays,
    tiers,
)
from console.core.ledger.stats import Z_95
from console.core.ledger.tables import FAILED, KINDS, attempt_day_table, attempt_table, request_table


@dataclass(frozen=True)
class StackedSeries:
    """Values per time bucket × key (model, provider, task or team)."""

    bucket_starts: np.ndarray  # (B,) UTC epoch seconds
    keys: list[str]
    values: np.ndarray  # (B, K)
    bucket_seconds: int

    @property
    def total(self) -> float:
        return float(self.values.sum())


@dataclass(frozen=True)
class RateSeries:
    """Trials and events per time bucket × (task, model); rates and 95% Wilson bands derived."""

    bucket_starts: np.ndarray  # (B,)
    keys: list[tuple[str, str]]
    trials: np.ndarray  # (B, K) int
    events: np.ndarray  # (B, K) int
    bucket_seconds: int

    def rates(self) -> np.ndarray:
        """events / trials, NaN where a bucket had no trials."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.trials > 0, self.events / np.maximum(self.trials, 1), np.nan)

    def band(self) -> tuple[np.ndarray, np.ndarray]:
        """Wilson score interval per cell (vectorised form of ``stats.wilson_interval``)."""
        n = np.maximum(self.trials, 1).astype(float)
        p = self.events / n
        z2 = Z_95 * Z_95
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = Z_95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        low = np.where(self.events <= 0, 0.0, np.maximum(0.0, centre - half))
        high = np.where(self.events >= self.trials, 1.0, np.minimum(1.0, centre + half))
        empty = self.trials <= 0
        return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def auto_bucket(since: float | None, until: float | None) -> Bucket:
    """Buckets that fit the range: 12-36 bars of 5 minutes up to three hours, 15 minutes up to
    twelve, hours up to three days, days beyond (a last hour is never one fat bar)."""
    if since is None or until is None:
        return "day"
    span = until - since
    if span <= 3 * 3600:
        return "5min"
    if span <= 12 * 3600:
        return "15min"
    return "hour" if span <= 3 * 86400 else "day"


def spend_stack(db: Engine, filters: Filters, *, bucket: Bucket = "day", by: SpendBy = "model") -> StackedSeries:
    buckets, keys, matrix = spend_arrays(spend(db, filters, bucket=bucket, by=by))
    return StackedSeries(buckets, keys, matrix, _BUCKET_SECONDS[bucket])


def _rate_series(sums: dict[tuple[Any, ...], list[float]], trials_at: int, events_at: int, bucket: Bucket) -> RateSeries:
    buckets = sorted({key[0] for key in sums})
    keys = sorted({(key[1], key[2]) for key in sums})
    b_index = {b: i for i, b in enumerate(buckets)}
    k_index = {k: i for i, k in enumerate(keys)}
    trials = np.zeros((len(buckets), len(keys)), dtype=np.int64)
    events = np.zeros_like(trials)
    for (b, task, model), values in sums.items():
        trials[b_index[b], k_index[(task, model)]] += int(values[trials_at])
        events[b_index[b], k_index[(task, model)]] += int(values[events_at])
    size = _BUCKET_SECONDS[bucket]
    return RateSeries(np.array(buckets, dtype=float) * size, keys, trials, events, size)


def failure_series(db: Engine, filters: Filters, *, bucket: Bucket = "day") -> RateSeries:
    """Attempt failure rate per bucket × task × model."""
    with db.connect() as conn:
        sums = _attempt_sums(conn, filters, [_bucket(bucket), _column("task"), _column("model_alias")],
                             **tiers(bucket))
    return _rate_series(sums, 0, 1, bucket)


def fallback_series(db: Engine, filters: Filters, *, bucket: Bucket = "day") -> RateSeries:
    """Share of requests that left their first-choice model, per bucket × task × first model."""
    with db.connect() as conn:
        sums = _request_sums(conn, filters, [_bucket(bucket), _column("task"), _column("first_model")],
                             **tiers(bucket))
    return _rate_series(sums, 0, 2, bucket)


def _group(labels: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Sorted distinct labels and each entry's index into them."""
    if len(labels) == 0:
        return [], np.zeros(0, dtype=np.int64)
    uniques, inverse = np.unique(labels, return_inverse=True)
    return list(uniques.tolist()), inverse.reshape(-1)


def _matrix(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=values.dtype if len(values) else float)
    np.add.at(out, (rows, cols), values)
    return out


@dataclass(frozen=True)
class AttemptSums:
    """Long-form attempt sums, one entry per bucket × task × model × spend group, from ONE query.

    Spend stacked by any dimension, failure rates by task × model and the totals all derive from
    it in numpy, so a filter change reads the rollups once for all three charts.
    """

    bucket_seconds: int
    bucket_start: np.ndarray  # (N,) float
    task: np.ndarray  # (N,) object
    model: np.ndarray
    group: np.ndarray  # the spend-by value (model, provider, task or team)
    attempts: np.ndarray  # (N,) int
    failures: np.ndarray
    cost: np.ndarray  # (N,) float

    def spend(self) -> StackedSeries:
        buckets, b_idx = _group(self.bucket_start)
        keys, k_idx = _group(self.group)
        matrix = _matrix(b_idx, k_idx, self.cost.astype(float), (len(buckets), len(keys)))
        return StackedSeries(np.array(buckets, dtype=float), [str(k) for k in keys], matrix, self.bucket_seconds)

    def failure_rates(self) -> RateSeries:
        return _long_rates(self.bucket_start, self.task, self.model, self.attempts, self.failures,
                           self.bucket_seconds)

    def totals(self) -> tuple[int, int, float]:
        """(attempts, failed attempts, cost) over everything summed."""
        return int(self.attempts.sum()), int(self.failures.sum()), float(self.cost.sum())


@dataclass(frozen=True)
class RequestSums:
    """Long-form request sums per bucket × task × first-choice model, from one query."""

    bucket_seconds: int
    bucket_start: np.ndarray
    task: np.ndarray
    first_model: np.ndarray
    requests: np.ndarray
    failures: np.ndarray
    fallbacks: np.ndarray
    cost: np.ndarray

    def fallback_rates(self) -> RateSeries:
        return _long_rates(self.bucket_start, self.task, self.first_model, self.requests, self.fallbacks,
                           self.bucket_seconds)

    def chains_fired(self) -> list[tuple[str, str, int, int]]:
        """(task, first model, requests, fallbacks) per chain, most fallbacks first."""
        out: dict[tuple[str, str], list[int]] = {}
        for task, model, n, fell in zip(self.task.tolist(), self.first_model.tolist(), self.requests.tolist(),
                                        self.fallbacks.tolist()):
            acc = out.setdefault((task, model), [0, 0])
            acc[0] += n
            acc[1] += fell
        return sorted(((t, m, n, f) for (t, m), (n, f) in out.items()), key=lambda row: (-row[3], row[0], row[1]))

    def totals(self) -> tuple[int, int, int, float]:
        """(requests, failed requests, fallbacks, cost)."""
        return (int(self.requests.sum()), int(self.failures.sum()), int(self.fallbacks.sum()),
                float(self.cost.sum()))


def _long_rates(bucket_start: np.ndarray, task: np.ndarray, model: np.ndarray, trials: np.ndarray,
                events: np.ndarray, bucket_seconds: int) -> RateSeries:
    buckets, b_idx = _group(bucket_start)
    # (task, model) pairs indexed through a dict: sorting thousands of strings in numpy (object
    # arrays compare in Python) cost more than the rest of the series
    pairs = list(zip(task.tolist(), model.tolist()))
    keys = sorted(set(pairs))
    index = {pair: i for i, pair in enumerate(keys)}
    k_idx = np.fromiter(map(index.__getitem__, pairs), dtype=np.int64, count=len(pairs))
    shape = (len(buckets), len(keys))
    return RateSeries(np.array(buckets, dtype=float), keys,
                      _matrix(b_idx, k_idx, trials.astype(np.int64), shape),
                      _matrix(b_idx, k_idx, events.astype(np.int64), shape), bucket_seconds)


def _long(sums: dict[tuple[Any, ...], list[float]], width: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    keys = list(sums)
    key_cols = [np.array([k[i] for k in keys], dtype=object) for i in range(width)]
    value_cols = [np.array([v[i] for v in sums.values()], dtype=float) for i in range(len(next(iter(sums.values()))))] \
        if sums else []
    return key_cols, value_cols


def attempt_sums(db: Engine, filters: Filters, *, bucket: Bucket = "day", by: SpendBy = "model") -> AttemptSums:
    """Attempts, failures and cost per bucket × task × model × ``by`` (one rollup read)."""
    group_column = _SPEND_COLUMN[by]
    names = ["task", "model_alias"] + ([] if group_column in ("task", "model_alias") else [group_column])
    with db.connect() as conn:
        sums = _attempt_sums(conn, filters, [_bucket(bucket)] + [_column(n) for n in names], **tiers(bucket))
    size = _BUCKET_SECONDS[bucket]
    if not sums:
        empty = np.zeros(0)
        return AttemptSums(size, empty, empty.astype(object), empty.astype(object), empty.astype(object),
                           empty.astype(np.int64), empty.astype(np.int64), empty)
    keys, values = _long(sums, 1 + len(names))
    by_name = dict(zip(names, keys[1:]))
    return AttemptSums(size, keys[0].astype(float) * size, by_name["task"], by_name["model_alias"],
                       by_name[group_column], values[0].astype(np.int64), values[1].astype(np.int64), values[2])


def request_sums(db: Engine, filters: Filters, *, bucket: Bucket = "day") -> RequestSums:
    """Requests, failures, fallbacks and cost per bucket × task × first-choice model."""
    with db.connect() as conn:
        sums = _request_sums(conn, filters, [_bucket(bucket), _column("task"), _column("first_model")],
                             **tiers(bucket))
    size = _BUCKET_SECONDS[bucket]
    if not sums:
        empty = np.zeros(0)
        ints = empty.astype(np.int64)
        return RequestSums(size, empty, empty.astype(object), empty.astype(object), ints, ints, ints, empty)
    keys, values = _long(sums, 3)
    return RequestSums(size, keys[0].astype(float) * size, keys[1], keys[2], values[0].astype(np.int64),
                       values[1].astype(np.int64), values[2].astype(np.int64), values[3])


def outcome_mix(db: Engine, filters: Filters) -> list[tuple[str, int]]:
    """How the failed attempts ended (rate_limited, timeout, …), most common first.

    Outcomes are not in the rollups: this reads the failed attempts' own partial covering index
    (a few percent of the rows; ``ok = 0`` literal so the index applies), over the whole range."""
    att = attempt_table()
    stmt = (select(att.c.outcome, func.count()).where(raw_where(att, filters), att.c.ok == FAILED)
            .group_by(att.c.outcome))
    with db.connect() as conn:
        rows = [(str(outcome), int(n)) for outcome, n in conn.execute(stmt)]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def latest_request_ts(db: Engine, kind: str | None = None) -> float | None:
    """When the newest logged request started (the live view polls this, every two seconds).

    Asked per kind: the newest of one kind is the last entry of its (kind, ts) index, where the
    newest of all was a walk over every entry of it (a million requests: ~50 ms of a core per poll)."""
    req = request_table()
    found: list[float] = []
    with db.connect() as conn:
        for one in [kind] if kind is not None else list(KINDS):
            value = conn.execute(select(func.max(req.c.ts)).where(req.c.kind == one)).scalar()
            if value is not None:
                found.append(float(value))
    return max(found, default=None)


@dataclass(frozen=True)
class FilterChoices:
    """What the filter bar offers: the values present in the log."""

    policies: list[str]
    tasks: list[str]
    models: list[str]
    teams: list[str]


def filter_choices(db: Engine) -> FilterChoices:
    """Distinct policies, tasks, models and teams, read from the small daily rollup."""
    roll = attempt_day_table()
    out: list[list[str]] = []
    with db.connect() as conn:
        for name in ("policy_name", "task", "model_alias", "team"):
            column = roll.c[name]
            out.append(sorted(str(v) for (v,) in conn.execute(select(column).distinct()) if v))
    return FilterChoices(*out)


@dataclass(frozen=True)
class RequestPage:
    """One page of the requests table and where the next one starts (None: no more)."""

    chains: list[RequestChain]
    next_before: float | None


def requests_page(db: Engine, filters: Filters, *, before: float | None = None, limit: int = 200,
                  failed_only: bool = False, outcome: str | None = None) -> RequestPage:
    """The next ``limit`` requests (newest first) with an attempt that matches, older than ``before``.

    Keyset paging on the attempt time, so page 500 costs what page 1 costs. A request with two
    matching attempts on either side of a cut can come twice: callers drop ids they have seen.
    """
    att, req = attempt_table(), request_table()
    fetch = limit * 2
    rows: list[Any] = []
    full = False
    with db.connect() as conn:
        # One index-ordered read per kind ("all kinds" is every kind), merged: a single read over
        # all kinds would have to sort every matching attempt of the range to find the newest.
        for kind in [filters.kind] if filters.kind is not None else list(KINDS):
            condition = raw_where(att, replace(filters, kind=kind))
            if before is not None:
                condition = condition & (att.c.ts < before)
            if failed_only:
                condition = condition & (att.c.ok == FAILED)
            if outcome is not None:
                condition = condition & (att.c.outcome == outcome)
            part = conn.execute(select(att.c.request_id, att.c.ts).where(condition)
                                .order_by(att.c.ts.desc()).limit(fetch)).all()
            full = full or len(part) == fetch
            rows.extend(part)
        rows = sorted(rows, key=lambda row: row[1], reverse=True)[:fetch]
        ordered: dict[str, None] = {}
        last_ts: float | None = None
        for request_id, ts in rows:
            if request_id not in ordered and len(ordered) >= limit:
                break
            ordered[request_id] = None
            last_ts = float(ts)
        if not ordered:
            return RequestPage([], None)
        requests = {row.request_id: dict(row._mapping) for row in conn.execute(
            select(*(req.c[n] for n in _REQUEST_FIELDS)).where(req.c.request_id.in_(list(ordered))))}
        chains = {rid: RequestChain(requests[rid]) for rid in ordered if rid in requests}
        for row in conn.execute(select(att.c.request_id, *(att.c[n] for n in _ATTEMPT_FIELDS))
                                .where(att.c.request_id.in_(list(chains)))
                                .order_by(att.c.request_id, att.c.position)):
            values = dict(row._mapping)
            chains[values.pop("request_id")].attempts.append(values)
    more = full or len(ordered) >= limit
    return RequestPage(list(chains.values()), last_ts if more else None)


__all__ = [
    "StackedSeries", "RateSeries", "auto_bucket", "spend_stack", "failure_series",
    "fallback_series", "AttemptSums", "RequestSums", "attempt_sums", "request_sums", "outcome_mix", "latest_request_ts", "FilterChoices", "filter_choices",
    "RequestPage", "requests_page",
]
