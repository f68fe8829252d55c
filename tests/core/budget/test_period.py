"""A budget's period, checked as properties: every moment lies in exactly one period, and periods tile time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from console.core.budget.period import Period, period_bounds, period_end, period_key, period_start

PERIODS: tuple[Period, ...] = ("day", "month")

# Aware moments in any fixed UTC offset (a machine's zone must not move a budget's midnight).
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(9998, 12, 1)),
    offsets,
)
periods = st.sampled_from(PERIODS)


@given(periods, moments)
def test_a_moment_lies_in_its_period(period: Period, when: datetime) -> None:
    start, end = period_start(period, when), period_end(period, when)
    assert start <= when < end
    assert start.tzinfo is timezone.utc and end.tzinfo is timezone.utc
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)


@given(periods, moments)
def test_periods_tile_time(period: Period, when: datetime) -> None:
    start, end = period_start(period, when), period_end(period, when)
    assert period_start(period, start) == start  # a period's start is in the period
    assert period_start(period, end) == end  # the next period starts where this one ends
    assert period_start(period, end - timedelta(microseconds=1)) == start  # and not a microsecond sooner


@given(moments)
def test_days_and_months_have_calendar_lengths(when: datetime) -> None:
    assert period_end("day", when) - period_start("day", when) == timedelta(days=1)
    start, end = period_start("month", when), period_end("month", when)
    assert start.day == 1 and end.day == 1
    assert timedelta(days=28) <= end - start <= timedelta(days=31)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
    assert start <= period_start("day", when) and period_end("day", when) <= end  # a day lies in its month


@given(periods, moments, moments)
def test_keys_are_equal_exactly_within_one_period(period: Period, a: datetime, b: datetime) -> None:
    same = period_start(period, a) == period_start(period, b)
    assert (period_key(period, a) == period_key(period, b)) == same


@given(periods, moments)
def test_epoch_bounds_agree_with_datetimes(period: Period, when: datetime) -> None:
    start, end = period_bounds(period, when.timestamp())
    assert start == period_start(period, when).timestamp()
    assert end == period_end(period, when).timestamp()


def test_midnight_utc_not_local_midnight() -> None:
    # 23:30 in UTC-05:00 is 04:30 UTC the next day: the budget's day is the UTC one.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert period_start("day", late) == datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert period_end("month", late) == datetime(2027, 2, 1, tzinfo=timezone.utc)
    assert period_key("month", late) == "2027-01"
