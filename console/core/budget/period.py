"""A budget's period: the UTC day or calendar month that a moment falls in.

Budgets reset at midnight UTC (or on the first of the month, UTC), whatever the machine's zone, so
the window, the endpoint and the log agree on which period a request belongs to.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

Period = Literal["day", "month"]


def period_start(period: Period, when: datetime) -> datetime:
    """The first instant (UTC) of the day or month that contains ``when``."""
    start = when.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return start if period == "day" else start.replace(day=1)


def period_end(period: Period, when: datetime) -> datetime:
    """The first instant (UTC) of the period after the one that contains ``when``."""
    start = period_start(period, when)
    if period == "day":
        return start + timedelta(days=1)  # UTC has no daylight saving: every day is 24 hours
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def period_key(period: Period, when: datetime) -> str:
    """A label equal for two moments exactly when they fall in the same period ('2026-11-29', '2026-11')."""
    start = period_start(period, when)
    return start.strftime("%Y-%m-%d") if period == "day" else start.strftime("%Y-%m")


def period_bounds(period: Period, at: float) -> tuple[float, float]:
    """Start and end (UTC epoch seconds) of the period that contains the epoch second ``at``."""
    when = datetime.fromtimestamp(at, tz=timezone.utc)
    return period_start(period, when).timestamp(), period_end(period, when).timestamp()
