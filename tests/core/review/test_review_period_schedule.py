"""The review's period (quarter or last N days) and the per-policy review-due date."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from console.core.policy.versions import keep_version
from console.core.review import PeriodError, mark_reviewed, next_review_due, parse_period

UTC = datetime.timezone.utc
DEMO = Path(__file__).resolve().parents[3] / "policies" / "demo-traffic.yaml"


def test_a_quarter_is_its_three_calendar_months_in_utc() -> None:
    q4 = parse_period(quarter_text="2026Q4")
    assert (q4.since, q4.until) == (datetime.datetime(2026, 10, 1, tzinfo=UTC).timestamp(),
                                    datetime.datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    assert [m for m, _a, _b in q4.months()] == ["2026-10", "2026-11", "2026-12"]
    assert q4.previous.until == q4.since and q4.previous.since == q4.since - (q4.until - q4.since)
    q1 = parse_period(quarter_text="2027q1")
    assert q1.since == q4.until and q1.label == "2027Q1"


def test_since_counts_back_from_now_and_clips_months() -> None:
    now = datetime.datetime(2026, 12, 6, 12, tzinfo=UTC).timestamp()
    period = parse_period(since="90d", now=now)
    assert period.until == now and period.days == 90
    months = period.months()
    assert months[0][0] == "2026-09" and months[0][1] == period.since and months[-1][2] == now


@pytest.mark.parametrize("kwargs, why", [
    ({"quarter_text": "2026Q5"}, "not a quarter"),
    ({"quarter_text": "Q4"}, "not a quarter"),
    ({"since": "ninety days"}, "not a duration"),
    ({"quarter_text": "2026Q4", "since": "90d"}, "not both"),
])
def test_a_period_that_cannot_be_read_says_why(kwargs: dict[str, str], why: str) -> None:
    with pytest.raises(PeriodError, match=why):
        parse_period(**kwargs)


def test_the_next_review_is_a_quarter_after_the_last_or_the_first_version(tmp_path: Path) -> None:
    today = datetime.date(2026, 12, 6)
    assert next_review_due("demo", root=tmp_path, today=today) == today  # never reviewed, no versions: now
    # ... unless the caller knows since when it has existed (the window: its file's date)
    assert next_review_due("demo", root=tmp_path, today=today, first_seen=today) == datetime.date(2027, 3, 7)
    keep_version(DEMO.read_text(), tmp_path / "demo.yaml", root=tmp_path / "policy-versions",
                 now=datetime.datetime(2026, 9, 1, tzinfo=UTC))
    assert next_review_due("demo", root=tmp_path, today=today) == datetime.date(2026, 12, 1)
    assert next_review_due("demo", root=tmp_path, today=today, first_seen=today) == datetime.date(2026, 12, 1)
    assert mark_reviewed("demo", on=today, root=tmp_path) == datetime.date(2027, 3, 7)
    assert next_review_due("demo", root=tmp_path) == datetime.date(2027, 3, 7)
    assert next_review_due("other", root=tmp_path, today=today) == today  # per policy
    (tmp_path / "review-schedule.json").write_text("{broken")
    assert next_review_due("demo", root=tmp_path, today=today) == datetime.date(2026, 12, 1)
