"""What each part of the dashboards reads from the log, as plain data (no Qt; runs off the GUI thread).

Each loader answers one section, so the charts fed by a fast read are drawn while a slower one is
still running, and a filter change costs one rollup read per section rather than one per chart.
Loaders also derive what the charts draw (series, totals), so the GUI thread only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sqlalchemy import Engine

from console.core.app.log import policy_changes
from console.core.budget.burn import BudgetBurn, budget_burn
from console.core.ledger.drift import DriftFlag, detect_drift
from console.core.ledger.filters import Filters
from console.core.ledger.policy_changes import PolicyChange
from console.core.ledger.queries import LatencyStats, latency_percentiles, spend
from console.core.ledger.series import (
    FilterChoices,
    RateSeries,
    StackedSeries,
    attempt_sums,
    filter_choices,
    outcome_mix,
    request_sums,
)
from console.core.policy.schema import Budget
from console.ui.pages.dashboard.query import DashboardQuery


@dataclass(frozen=True)
class AttemptsSection:
    """Spend stacked by the query's split, failure rates by task × model, and the attempt totals."""

    spend: StackedSeries
    failures: RateSeries
    totals: tuple[int, int, float]  # attempts, failed attempts, cost
    markers: list[PolicyChange]  # where the policy changed in the range, drawn on the same charts


@dataclass(frozen=True)
class RequestsSection:
    """Fallback rates by task × first choice, the chains that fired, and the request totals."""

    fallbacks: RateSeries
    chains: list[tuple[str, str, int, int]]  # task, first model, requests, fallbacks; most fallbacks first
    totals: tuple[int, int, int, float]  # requests, failed, fell back, cost
    markers: list[PolicyChange]


@dataclass(frozen=True)
class LatencySection:
    stats: list[LatencyStats]
    outcomes: list[tuple[str, int]]
    window: tuple[float | None, float | None]  # what the latency and outcome reads covered (the whole range)


@dataclass(frozen=True)
class BudgetView:
    """One budget's current period: its burn (spend, projection, scope) and cumulative spend per hour."""

    burn: BudgetBurn
    times: np.ndarray  # hour ends, epoch seconds
    cumulative: np.ndarray  # USD

    @property
    def period_end(self) -> float:
        return self.burn.period_end

    @property
    def projected_usd(self) -> float:
        return self.burn.projected_usd

    @property
    def filters(self) -> Filters:
        """The budget's scope over its period (what a click opens)."""
        return self.burn.filters


def load_attempts(db: Engine, query: DashboardQuery) -> AttemptsSection:
    """One rollup read, and the series the charts draw derived here rather than on the GUI thread.

    The policy-change markers come with it (a read of a handful of rows): drawn with the data,
    a chart is painted once per filter change rather than again when its markers arrive."""
    sums = attempt_sums(db, query.filters, bucket=query.bucket, by=query.spend_by)
    return AttemptsSection(sums.spend(), sums.failure_rates(), sums.totals(), load_markers(db, query))


def load_requests(db: Engine, query: DashboardQuery) -> RequestsSection:
    sums = request_sums(db, query.filters, bucket=query.bucket)
    return RequestsSection(sums.fallback_rates(), sums.chains_fired(), sums.totals(), load_markers(db, query))


def load_latency(db: Engine, query: DashboardQuery) -> LatencySection:
    """Percentiles from the daily histograms and the outcome mix, both over the whole range."""
    f = query.filters
    return LatencySection(latency_percentiles(db, f), outcome_mix(db, f), (f.since, f.until))


def load_drift(db: Engine, query: DashboardQuery, now: float) -> list[DriftFlag]:
    """Last day against the week before it, ending at the range end (or now)."""
    f = query.filters
    scope = Filters(policy=f.policy, task=f.task, model=f.model, team=f.team, kind=f.kind)
    return detect_drift(db, scope, now=f.until if f.until is not None else now)


def load_budgets(db: Engine, budgets: Sequence[Budget], now: float, kind: str | None) -> list[BudgetView]:
    """Each budget's burn (``console.core.budget.burn``) and the hourly steps of its spend so far, for the chart."""
    views: list[BudgetView] = []
    for burn in budget_burn(db, budgets, now=now, kind=kind or "production"):
        hourly: dict[float, float] = {}
        for point in spend(db, burn.filters, bucket="hour", by="model"):
            hourly[point.bucket_start] = hourly.get(point.bucket_start, 0.0) + point.cost_usd
        starts = np.array(sorted(hourly), dtype=float)
        cumulative = np.cumsum([hourly[s] for s in sorted(hourly)]) if hourly else np.zeros(0)
        times = np.minimum(starts + 3600.0, now)
        views.append(BudgetView(burn, np.concatenate([[burn.period_start], times]), np.concatenate([[0.0], cumulative])))
    return views


def load_markers(db: Engine, query: DashboardQuery) -> list[PolicyChange]:
    """Where the routing policy changed within the range: a read of the small ``policy_change`` table,
    never of the requests. (Rollout steps, issue 18, will be read here beside them.)"""
    f = query.filters
    return policy_changes(db, f.since, f.until, f.kind)


def load_choices(db: Engine) -> FilterChoices:
    return filter_choices(db)
