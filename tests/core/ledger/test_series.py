"""Chart series against generated traffic with known totals, request paging, and query plans."""

from __future__ import annotations

import re
from typing import Any, Iterator

import numpy as np
import pytest
from sqlalchemy import Engine, event

from console.core.ledger.bulk import write_records
from console.core.ledger.filters import Filters
from console.core.ledger.queries import failure_rates, fallback_rates, spend, spend_arrays
from console.core.ledger.series import (
    RateSeries,
    attempt_sums,
    auto_bucket,
    filter_choices,
    latest_request_ts,
    outcome_mix,
    request_sums,
    requests_page,
)
from console.core.ledger.stats import wilson_interval
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import TrafficTotals, generate
from console.core.records import RequestRecord

END = 1_767_225_600.0 + 1234.5  # not on an hour boundary: rollups and raw edges both count


@pytest.fixture()
def traffic(ledger_url: str) -> Iterator[tuple[Engine, TrafficTotals, list[RequestRecord]]]:
    totals = TrafficTotals()
    records = list(generate(2500, days=5, seed=21, end=END, totals=totals, spike=("support", "gpt-mini")))
    db = open_ledger(ledger_url)
    write_records(db, records, batch_requests=600)
    yield db, totals, records
    db.dispose()


def test_sums_equal_generated_totals_for_every_kind(traffic: Any) -> None:
    db, totals, _ = traffic
    for kind, expected in totals.kinds.items():
        f = Filters(kind=kind)
        attempts, failed, cost = attempt_sums(db, f, by="team").totals()
        requests, failed_requests, fallbacks, request_cost = request_sums(db, f).totals()
        assert (attempts, failed) == (expected.attempts, expected.failed_attempts)
        assert (requests, failed_requests, fallbacks) == (expected.requests, expected.failed_requests, expected.fallbacks)
        assert cost == pytest.approx(expected.cost_usd, abs=1e-9)
        assert request_cost == pytest.approx(expected.cost_usd, abs=1e-9)
        stack = attempt_sums(db, f, by="model").spend()
        for j, model in enumerate(stack.keys):
            assert stack.values[:, j].sum() == pytest.approx(expected.cost_by_model[model], abs=1e-9)


@pytest.mark.parametrize("by", ["model", "provider", "task", "team"])
def test_spend_stack_matches_the_spend_query_over_a_ragged_range(traffic: Any, by: str) -> None:
    db, _, _ = traffic
    f = Filters(since=END - 2.3 * 86400, until=END - 1000)
    stack = attempt_sums(db, f, bucket="hour", by=by).spend()  # type: ignore[arg-type]
    buckets, keys, matrix = spend_arrays(spend(db, f, bucket="hour", by=by))  # type: ignore[arg-type]
    assert stack.keys == keys
    np.testing.assert_array_equal(stack.bucket_starts, buckets)
    np.testing.assert_allclose(stack.values, matrix, atol=1e-12)


def test_rate_series_add_up_to_the_rate_queries_and_bands_are_wilson(traffic: Any) -> None:
    db, _, _ = traffic
    f = Filters(since=END - 4 * 86400, until=END)
    failures = attempt_sums(db, f).failure_rates()
    expected = {(r.task, r.model): r for r in failure_rates(db, f)}
    _assert_totals(failures, expected)
    fallbacks = request_sums(db, f).fallback_rates()
    _assert_totals(fallbacks, {(r.task, r.model): r for r in fallback_rates(db, f)})
    low, high = failures.band()
    for b, k in [(0, 0), (len(failures.bucket_starts) - 1, len(failures.keys) - 1)]:
        w_low, w_high = wilson_interval(int(failures.events[b, k]), int(failures.trials[b, k]))
        assert (low[b, k], high[b, k]) == pytest.approx((w_low, w_high))
    assert np.isnan(failures.rates()[failures.trials == 0]).all()


def _assert_totals(series: RateSeries, expected: dict) -> None:
    assert set(series.keys) == set(expected)
    for j, key in enumerate(series.keys):
        assert series.trials[:, j].sum() == expected[key].trials
        assert series.events[:, j].sum() == expected[key].events


def test_planted_spike_shows_in_the_last_day_of_the_failure_series(traffic: Any) -> None:
    db, _, _ = traffic
    series = attempt_sums(db, Filters(since=END - 5 * 86400, until=END), bucket="hour").failure_rates()
    j = series.keys.index(("support", "gpt-mini"))
    recent = series.bucket_starts >= END - 23 * 3600
    recent_rate = series.events[recent, j].sum() / series.trials[recent, j].sum()
    earlier_rate = series.events[~recent, j].sum() / series.trials[~recent, j].sum()
    assert recent_rate > 0.3 > 0.1 > earlier_rate


def test_requests_page_walks_every_matching_request_once(traffic: Any) -> None:
    db, _, records = traffic
    f = Filters(since=END - 86400, until=END, model="claude")
    seen: list[str] = []
    before = None
    for _ in range(100):
        page = requests_page(db, f, before=before, limit=40)
        seen.extend(c.request["request_id"] for c in page.chains if c.request["request_id"] not in seen)
        if page.next_before is None:
            break
        before = page.next_before
    expected = {r.request_id for r in records if r.kind == "production" and any(
        a.model_alias == "claude" and END - 86400 <= a.started_at.timestamp() < END for a in r.attempts)}
    assert set(seen) == expected and len(seen) == len(expected)
    first = requests_page(db, f, limit=5).chains
    assert [c.request["ts"] for c in first] == sorted((c.request["ts"] for c in first), reverse=True)
    assert all(c.attempts and c.attempts[0]["position"] == 0 for c in first)


def test_small_helpers(traffic: Any) -> None:
    db, totals, records = traffic
    assert latest_request_ts(db, "production") == max(r.started_at.timestamp() for r in records
                                                       if r.kind == "production")
    assert latest_request_ts(db) == max(r.started_at.timestamp() for r in records)
    assert latest_request_ts(db, "no such kind") is None
    choices = filter_choices(db)
    assert "support" in choices.tasks and "claude" in choices.models and choices.policies == ["demo"]
    mix = dict(outcome_mix(db, Filters(since=END - 86400, until=END)))
    assert mix and "ok" not in mix and mix["rate_limited"] > 0
    assert auto_bucket(END - 86400, END) == "hour" and auto_bucket(END - 30 * 86400, END) == "day"
    assert auto_bucket(END - 3600, END) == "5min" and auto_bucket(END - 8 * 3600, END) == "15min"


def test_outcome_mix_covers_the_whole_range(traffic: Any) -> None:
    db, _, records = traffic
    since, until = END - 4.5 * 86400, END - 3 * 86400 - 17.0  # far from the range end, ragged
    expected: dict[str, int] = {}
    for r in records:
        for a in r.attempts:
            if r.kind == "pilot" and a.outcome.value != "ok" and since <= a.started_at.timestamp() < until:
                expected[a.outcome.value] = expected.get(a.outcome.value, 0) + 1
    assert dict(outcome_mix(db, Filters(since=since, until=until, kind="pilot"))) == expected
    assert sum(n for _o, n in outcome_mix(db, Filters(kind=None))) == sum(
        k.failed_attempts for k in traffic[1].kinds.values())


_FULL_SCAN = re.compile(r"\bSCAN (attempt|request|attempt_hour|request_hour|attempt_day|request_day)\b(?! USING (COVERING )?INDEX)")


def test_no_series_query_scans_a_table(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, generate(300, days=3, seed=3, end=END))
    statements: list[tuple[str, Any]] = []

    @event.listens_for(db, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    for f in [Filters.last("1d", now=END), Filters.last("7d", now=END, team="growth"),
              Filters.last("2h", now=END, task="support", model="claude"), Filters.last("3d", now=END, kind="pilot")]:
        for by in ("model", "provider", "team"):
            attempt_sums(db, f, bucket="hour", by=by)  # type: ignore[arg-type]
        request_sums(db, f, bucket="day")
        outcome_mix(db, f)
        requests_page(db, f, before=END - 3600, failed_only=True)
    latest_request_ts(db, "production")
    event.remove(db, "before_cursor_execute", capture)
    assert len(statements) > 30
    with db.connect() as conn:
        for statement, parameters in statements:
            plan = "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert not _FULL_SCAN.search(plan), f"full scan in:\n{statement}\n{plan}"
    db.dispose()


@pytest.mark.parametrize("hours,bucket,seconds", [(1.0, "5min", 300), (6.0, "15min", 900)])
def test_short_ranges_get_minute_buckets_that_add_up_to_the_raw_attempts(traffic: Any, hours: float, bucket: str,
                                                                          seconds: int) -> None:
    db, _, records = traffic
    since, until = END - hours * 3600, END
    assert auto_bucket(since, until) == bucket
    f = Filters(since=since, until=until, kind="production")
    stack = attempt_sums(db, f, bucket=auto_bucket(since, until), by="model").spend()
    assert stack.bucket_seconds == seconds
    expected: dict[tuple[float, str], float] = {}
    for record in records:
        if record.kind != "production":
            continue
        for attempt in record.attempts:
            ts = attempt.started_at.timestamp()
            if since <= ts < until:
                key = (float(int(ts // seconds) * seconds), attempt.model_alias)
                expected[key] = expected.get(key, 0.0) + attempt.cost_usd
    got = {(float(b), k): float(stack.values[i, j]) for i, b in enumerate(stack.bucket_starts)
           for j, k in enumerate(stack.keys) if stack.values[i, j]}
    assert got.keys() == {k for k, v in expected.items() if v}
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=1e-9)
    assert len(stack.bucket_starts) > 3  # the range is several bars, not one
    rates = request_sums(db, f, bucket=auto_bucket(since, until)).fallback_rates()
    assert rates.bucket_seconds == seconds and set(np.diff(rates.bucket_starts) % seconds) <= {0.0}


def test_the_newest_request_of_every_kind_reads_one_index_entry_per_kind(tmp_path: Any) -> None:
    """The live view polls this every two seconds: the newest of all kinds must not walk the index."""
    db = open_ledger(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    write_records(db, generate(200, days=2, seed=5, end=END))
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db, "before_cursor_execute", capture)
    latest_request_ts(db)
    event.remove(db, "before_cursor_execute", capture)
    assert statements
    with db.connect() as conn:
        for statement, parameters in statements:
            plan = "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_request_kind_ts (kind=?)" in plan, plan
    db.dispose()
