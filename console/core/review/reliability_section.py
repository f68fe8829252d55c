"""Section 2, reliability: failure rates by task and model with Wilson intervals, fallbacks and what
failed attempts cost, drift alerts raised in the period, and provider outages.

Drift is the dashboards' own test (``ledger.drift.detect_drift``) run as of the end of each week:
that week against the four before it. Circuit openings are not written to the log (the breaker
lives in the serving process), so outages are read from the attempts instead: an hour in which a
provider failed at least half of at least ``OUTAGE_MIN_ATTEMPTS`` attempts, neighbouring hours joined.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from console.core.ledger.drift import detect_drift
from console.core.ledger.filters import Filters, raw_where
from console.core.ledger.queries import counts, failure_rates, fallback_rates
from console.core.ledger.series import attempt_sums, outcome_mix
from console.core.ledger.tables import FAILED, attempt_table
from console.core.review.figures import DriftAlert, Outage, Reliability
from console.core.review.period import ReviewPeriod

WEEK = 7 * 86400.0
OUTAGE_MIN_ATTEMPTS = 10
OUTAGE_SHARE = 0.5


def failed_attempt_cost(db: Engine, filters: Filters) -> float:
    """Dollars billed for attempts that failed (a stream cut is billed for what it sent)."""
    att = attempt_table()
    stmt = select(func.sum(att.c.cost_usd)).where(raw_where(att, filters), att.c.ok == FAILED)
    with db.connect() as conn:
        return float(conn.execute(stmt).scalar() or 0.0)


def weekly_drift(db: Engine, filters: Filters, period: ReviewPeriod) -> list[DriftAlert]:
    alerts: list[DriftAlert] = []
    seen: set[tuple[str, str, str]] = set()
    ends = []
    end = period.until  # weeks counted back from the end, so the latest days are always tested
    while end - WEEK >= period.since - 1:
        ends.append(end)
        end -= WEEK
    for end in sorted(ends):
        for flag in detect_drift(db, filters, recent=WEEK, baseline=4 * WEEK, now=end):
            key = (flag.task, flag.model, flag.metric)
            if key in seen:
                continue  # raised once; the same drift next week is the same alert
            seen.add(key)
            alerts.append(DriftAlert(end, flag.task, flag.model, flag.metric, flag.baseline_value,
                                     flag.recent_value, flag.p_value))
    return alerts


def outages(db: Engine, filters: Filters) -> list[Outage]:
    sums = attempt_sums(db, filters, bucket="hour", by="provider")
    per: dict[tuple[str, float], list[int]] = {}
    for provider, start, attempts, failures in zip(sums.group, sums.bucket_start, sums.attempts, sums.failures):
        acc = per.setdefault((str(provider), float(start)), [0, 0])
        acc[0] += int(attempts)
        acc[1] += int(failures)
    bad = sorted((p, s, a, f) for (p, s), (a, f) in per.items()
                 if a >= OUTAGE_MIN_ATTEMPTS and f >= OUTAGE_SHARE * a)
    joined: list[Outage] = []
    for provider, start, attempts, failures in bad:
        last = joined[-1] if joined else None
        if last is not None and last.provider == provider and last.end == start:
            joined[-1] = Outage(provider, last.start, start + sums.bucket_seconds, last.attempts + attempts,
                                last.failures + failures)
        else:
            joined.append(Outage(provider, start, start + sums.bucket_seconds, attempts, failures))
    return joined


def reliability_section(db: Engine, period: ReviewPeriod, *, policy_name: str | None) -> Reliability:
    filters = Filters(period.since, period.until, policy=policy_name)
    return Reliability(
        failures=failure_rates(db, filters), fallbacks=fallback_rates(db, filters),
        fallback_requests=counts(db, filters).fallbacks, failed_attempt_cost_usd=failed_attempt_cost(db, filters),
        outcome_mix=outcome_mix(db, filters), drift=weekly_drift(db, filters, period), outages=outages(db, filters),
        outage_rule=f"an hour in which a provider failed at least {OUTAGE_SHARE:.0%} of at least "
                    f"{OUTAGE_MIN_ATTEMPTS} attempts (circuit openings are not logged)")
