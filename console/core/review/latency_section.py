"""Section 3, latency: p50 and p95 of successful attempts per task and model (``ledger.latency``,
the dashboards' histograms), each against its route's ``latency.p95_ms`` where the route sets one."""

from __future__ import annotations

from sqlalchemy import Engine

from console.core.ledger.filters import Filters
from console.core.ledger.latency import latency_percentiles
from console.core.policy.schema import Policy
from console.core.review.figures import LatencyLine
from console.core.review.period import ReviewPeriod


def latency_section(db: Engine, period: ReviewPeriod, policy: Policy, tasks: list[str]) -> list[LatencyLine]:
    lines = []
    for task in tasks:
        route = policy.routes.get(task)
        required = route.latency.p95_ms if route is not None else None
        stats = latency_percentiles(db, Filters(period.since, period.until, policy=policy.name, task=task))
        lines += [LatencyLine(task, s, required) for s in sorted(stats, key=lambda s: s.model)]
    return lines
