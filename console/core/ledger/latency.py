"""Latency and time-to-first-token percentiles per model, from histograms rather than raw rows.

Whole days of the range read the per-day histograms in ``attempt_day`` (a year: tens of thousands of
small blobs summed in numpy); the partial days at its ends read raw successful attempts through a
covering index and are counted into the same buckets. Every percentile is therefore within
``histogram.RELATIVE_ERROR`` (2.47%) of numpy's over the raw values; counts are exact.
``latency_samples`` (raw values) stays for the drift test, which needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from sqlalchemy import Connection, Engine, LargeBinary, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from console.core.ledger import histogram
from console.core.ledger.filters import Filters, raw_where, rollup_where, split_range
from console.core.ledger.tables import attempt_day_table, attempt_table


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


class _joined_blobs(FunctionElement[bytes]):
    """A group's blobs joined end to end, by the database: the histograms of a year are summed
    from one blob per model rather than tens of thousands of rows, each a Python tuple and a
    bytes object made while holding the GIL (the dashboards' slowest read, competing with the
    GUI thread's drawing). Pairs are whole 6-byte units, so any order of the blobs decodes."""

    type = LargeBinary()
    inherit_cache = True


@compiles(_joined_blobs)
def _joined_blobs_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # group_concat copies a blob's bytes as they are (NUL bytes too); the CAST hands them back as a blob
    (blob,) = list(element.clauses)
    return f"CAST(group_concat({compiler.process(blob, **kw)}, '') AS BLOB)"


@compiles(_joined_blobs, "postgresql")
def _joined_blobs_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    (blob,) = list(element.clauses)
    return f"string_agg({compiler.process(blob, **kw)}, ''::bytea)"


def latency_histograms(conn: Connection, filters: Filters) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Dense (latency, ttft) bucket counts per model over the range."""
    split = split_range(filters.since, filters.until, hours=False)
    day_models: Sequence[str] = ()
    day_latency: Sequence[bytes] = ()
    day_ttft: Sequence[bytes] = ()
    if split.days is not None:
        table = attempt_day_table()
        stmt = (select(table.c.model_alias, _joined_blobs(table.c.latency_hist), _joined_blobs(table.c.ttft_hist))
                .where(rollup_where(table, filters, *split.days, time_column="day"))
                .group_by(table.c.model_alias))
        rows = conn.execute(stmt).all()
        if rows:
            day_models, day_latency, day_ttft = zip(*((m, bytes(lat or b""), bytes(ttft or b"")) for m, lat, ttft in rows))
    raw = [latency_samples(conn, filters.with_range(since, until)) for since, until in split.edges]
    models = sorted(set(day_models) | {m for part in raw for m in part[0].tolist()})
    index = {m: i for i, m in enumerate(models)}
    owners = np.fromiter((index[m] for m in day_models), dtype=np.int64, count=len(day_models))
    latency = histogram.dense_sum(day_latency, owners, len(models))
    ttft = histogram.dense_sum(day_ttft, owners, len(models))
    for names, lat_values, ttft_values in raw:
        groups = np.array([index[m] for m in names.tolist()], dtype=np.int64)
        histogram.dense_add_values(latency, groups, lat_values)
        has_ttft = ~np.isnan(ttft_values)
        histogram.dense_add_values(ttft, groups[has_ttft], ttft_values[has_ttft])
    return {m: (latency[i], ttft[i]) for m, i in index.items()}


def latency_percentiles(db: Engine, filters: Filters) -> list[LatencyStats]:
    """p50/p95 latency and time to first token per model over successful attempts.

    Within ``histogram.RELATIVE_ERROR`` of the exact percentiles (see ``histogram.py``)."""
    with db.connect() as conn:
        per_model = latency_histograms(conn, filters)
    out: list[LatencyStats] = []
    for model, (latency, ttft) in per_model.items():
        n = int(latency.sum())
        if n == 0:
            continue  # only failed attempts in the range
        p50, p95 = histogram.percentiles(latency, (50, 95))
        t50, t95 = histogram.percentiles(ttft, (50, 95))
        out.append(LatencyStats(model, n, float(p50 or 0.0), float(p95 or 0.0), int(ttft.sum()), t50, t95))
    return out


__all__ = ["LatencyStats", "latency_samples", "latency_histograms", "latency_percentiles"]
