"""Drift: task × model pairs whose recent window is significantly worse than their own baseline.

Three metrics, each a one-sided test of "recent is worse":
  * failure rate (attempts; two-proportion z-test),
  * fallback rate (requests, per first-choice model; two-proportion z-test),
  * latency of successful attempts (Mann-Whitney U; flagged only if the recent p95 is also higher).
The significance level is Bonferroni-corrected over the tests actually run, and a pair needs
``min_samples`` in both windows to be tested, so a quiet model does not raise false alarms.
Every flag carries the numbers behind it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from sqlalchemy import Connection, Engine, select

from console.core.ledger.filters import Filters, raw_where
from console.core.ledger.queries import Rate, fallback_rates, failure_rates
from console.core.ledger.stats import mann_whitney_greater_p, two_proportion_worse_p
from console.core.ledger.tables import attempt_table

Metric = Literal["failure_rate", "fallback_rate", "latency_p95"]
#: Latency tests subsample each window to this many values (seeded), enough for the U test.
LATENCY_SAMPLE_CAP = 20_000


@dataclass(frozen=True)
class DriftFlag:
    task: str
    model: str
    metric: Metric
    baseline_n: int
    recent_n: int
    baseline_value: float  # a rate, or a p95 in ms
    recent_value: float
    baseline_events: int | None  # failures/fallbacks for rate metrics
    recent_events: int | None
    p_value: float
    threshold: float  # the corrected significance level it beat
    baseline_window: tuple[float, float]
    recent_window: tuple[float, float]


def detect_drift(db: Engine, filters: Filters = Filters(), *, recent: float = 86400.0,
                 baseline: float = 7 * 86400.0, now: float | None = None, alpha: float = 0.01,
                 min_samples: int = 30) -> list[DriftFlag]:
    """Flags for ``[now-recent, now)`` against the ``baseline`` seconds just before it."""
    end = time.time() if now is None else now
    recent_window = (end - recent, end)
    base_window = (end - recent - baseline, end - recent)
    candidates: list[tuple[Metric, str, str, dict[str, Any]]] = []
    rate_queries: tuple[tuple[Metric, Callable[[Engine, Filters], list[Rate]]], ...] = (
        ("failure_rate", failure_rates), ("fallback_rate", fallback_rates))
    for metric, query in rate_queries:
        base = {(r.task, r.model): r for r in query(db, filters.with_range(*base_window))}
        new = {(r.task, r.model): r for r in query(db, filters.with_range(*recent_window))}
        for key, r_new in new.items():
            r_base = base.get(key)
            if r_base and r_base.trials >= min_samples and r_new.trials >= min_samples:
                candidates.append((metric, key[0], key[1], _rate_numbers(r_base, r_new)))
    candidates.extend(_latency_candidates(db, filters, base_window, recent_window, min_samples))
    if not candidates:
        return []
    threshold = alpha / len(candidates)
    flags = [
        DriftFlag(task=task, model=model, metric=metric, threshold=threshold, baseline_window=base_window,
                  recent_window=recent_window, **numbers)
        for metric, task, model, numbers in candidates
        if numbers["p_value"] < threshold and numbers["recent_value"] > numbers["baseline_value"]
    ]
    return sorted(flags, key=lambda f: f.p_value)


def _rate_numbers(base: Rate, new: Rate) -> dict[str, Any]:
    return {
        "baseline_n": base.trials, "recent_n": new.trials, "baseline_value": base.rate, "recent_value": new.rate,
        "baseline_events": base.events, "recent_events": new.events,
        "p_value": two_proportion_worse_p(new.events, new.trials, base.events, base.trials),
    }


def _latency_candidates(db: Engine, filters: Filters, base_window: tuple[float, float],
                        recent_window: tuple[float, float], min_samples: int) -> list[tuple[Metric, str, str, dict[str, Any]]]:
    rng = np.random.default_rng(0)
    with db.connect() as conn:
        base_sets = _by_task_model(conn, filters.with_range(*base_window))
        new_sets = _by_task_model(conn, filters.with_range(*recent_window))
    out: list[tuple[Metric, str, str, dict[str, Any]]] = []
    for key, new in new_sets.items():
        base = base_sets.get(key)
        if base is None or len(base) < min_samples or len(new) < min_samples:
            continue
        p_value = mann_whitney_greater_p(_cap(rng, new), _cap(rng, base))
        out.append(("latency_p95", key[0], key[1], {
            "baseline_n": len(base), "recent_n": len(new), "baseline_value": float(np.percentile(base, 95)),
            "recent_value": float(np.percentile(new, 95)), "baseline_events": None, "recent_events": None,
            "p_value": p_value,
        }))
    return out


def _by_task_model(conn: Connection, filters: Filters) -> dict[tuple[str, str], np.ndarray]:
    """Latencies of the successful attempts per task × model: one covering-index read per window."""
    att = attempt_table()
    rows = conn.execute(select(att.c.task, att.c.model_alias, att.c.latency_ms)
                        .where(raw_where(att, filters), att.c.ok == 1)).all()
    grouped: dict[tuple[str, str], list[float]] = {}
    for task, model, latency in rows:
        values = grouped.get((task, model))
        if values is None:
            values = grouped[(task, model)] = []
        values.append(latency)
    return {key: np.array(values, dtype=float) for key, values in grouped.items()}


def _cap(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    return values if len(values) <= LATENCY_SAMPLE_CAP else rng.choice(values, LATENCY_SAMPLE_CAP, replace=False)
