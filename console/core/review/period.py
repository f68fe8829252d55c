"""The span a review covers: a calendar quarter (``2026Q4``) or the last N days (``90d``), in UTC,
and the span of the same length just before it (what "against the previous quarter" compares with).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from console.core.budget.period import period_end, period_start

DAY = 86400.0


class PeriodError(ValueError):
    """The period could not be read; the message says what was expected."""


@dataclass(frozen=True)
class ReviewPeriod:
    since: float  # UTC epoch seconds, inclusive
    until: float  # exclusive
    label: str  # "2026Q4" or "the 90 days to 2026-12-06"

    @property
    def previous(self) -> "ReviewPeriod":
        length = self.until - self.since
        return ReviewPeriod(self.since - length, self.since, f"the {length / DAY:.0f} days before")

    @property
    def days(self) -> float:
        return (self.until - self.since) / DAY

    def months(self) -> list[tuple[str, float, float]]:
        """The calendar months (UTC) the period touches, each clipped to the period: (YYYY-MM, from, to)."""
        out = []
        start = period_start("month", datetime.fromtimestamp(self.since, tz=timezone.utc))
        while start.timestamp() < self.until:
            end = period_end("month", start)
            out.append((start.strftime("%Y-%m"), max(start.timestamp(), self.since), min(end.timestamp(), self.until)))
            start = end
        return out


_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


def quarter(text: str) -> ReviewPeriod:
    match = _QUARTER.match(text or "")
    if not match:
        raise PeriodError(f"not a quarter: {text!r} (write it as 2026Q4)")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, 3 * number - 2, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc) if number == 4 else datetime(year, 3 * number + 1, 1,
                                                                                       tzinfo=timezone.utc)
    return ReviewPeriod(start.timestamp(), end.timestamp(), f"{year}Q{number}")


def parse_period(*, quarter_text: str | None = None, since: str | None = None,
                 now: float | None = None) -> ReviewPeriod:
    """``--quarter 2026Q4`` or ``--since 90d`` (default: the last 90 days); PeriodError when unreadable."""
    from console.core.ledger.filters import DurationError, parse_duration

    if quarter_text and since:
        raise PeriodError("give --quarter or --since, not both")
    if quarter_text:
        return quarter(quarter_text)
    end = time.time() if now is None else now
    try:
        seconds = parse_duration(since or "90d")
    except DurationError as error:
        raise PeriodError(str(error)) from None
    day = datetime.fromtimestamp(end, tz=timezone.utc).strftime("%Y-%m-%d")
    return ReviewPeriod(end - seconds, end, f"the {seconds / DAY:g} days to {day}")
