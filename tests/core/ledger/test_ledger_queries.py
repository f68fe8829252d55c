"""Console queries against generated traffic whose totals are known, and their query plans."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterator

import numpy as np
import pytest
from sqlalchemy import Engine, event

from console.core.budget.burn import budget_burn
from console.core.budget.period import period_bounds
from console.core.ledger import histogram
from console.core.ledger.bulk import write_records
from console.core.ledger.chains import requests_behind
from console.core.ledger.filters import DurationError, Filters, parse_duration
from console.core.ledger.queries import counts, failure_rates, fallback_rates, latency_percentiles, spend, spend_arrays
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import TrafficTotals, generate
from console.core.outcomes import Outcome
from console.core.policy.schema import Budget, BudgetScope
from console.core.records import RequestRecord

END = 1_767_225_600.0 + 1234.5  # not on an hour boundary, on purpose


@pytest.fixture()
def traffic(ledger_url: str) -> Iterator[tuple[Engine, TrafficTotals, list[RequestRecord]]]:
    totals = TrafficTotals()
    records = list(generate(3000, days=6, seed=11, end=END, totals=totals))
    db = open_ledger(ledger_url)
    write_records(db, records, batch_requests=700)
    yield db, totals, records
    db.dispose()


def test_totals_read_back_equal_totals_generated(traffic: tuple[Engine, TrafficTotals, list[RequestRecord]]) -> None:
    db, totals, _ = traffic
    for kind, expected in totals.kinds.items():
        got = counts(db, Filters(kind=kind))
        assert (got.requests, got.failed_requests, got.fallbacks, got.attempts, got.failed_attempts) == (
            expected.requests, expected.failed_requests, expected.fallbacks, expected.attempts,
            expected.failed_attempts)
        assert got.cost_usd == pytest.approx(expected.cost_usd, abs=1e-9)
    prod = totals.kinds["production"]
    rates = {(r.task, r.model): [r.trials, r.events] for r in failure_rates(db, Filters())}
    assert rates == {k: v for k, v in prod.by_task_model.items()}
    by_model: dict[str, float] = defaultdict(float)
    for point in spend(db, Filters(), bucket="hour", by="model"):
        by_model[point.key] += point.cost_usd
    assert by_model == pytest.approx(dict(prod.cost_by_model), abs=1e-9)
    assert counts(db, Filters(kind=None)).requests == totals.requests


def _brute(records: list[RequestRecord], since: float, until: float, team: str) -> tuple[int, int, float]:
    attempts = failures = 0
    cost = 0.0
    for r in records:
        if r.kind != "production" or r.metadata["team"] != team:
            continue
        for a in r.attempts:
            if since <= a.started_at.timestamp() < until:
                attempts += 1
                failures += a.outcome is not Outcome.OK
                cost += a.cost_usd
    return attempts, failures, cost


@pytest.mark.parametrize("since_offset, until_offset", [(-3 * 86400 - 17.25, -3600 * 5 + 0.5), (-7200, -1), (-900, -30)])
def test_ragged_time_ranges_match_a_brute_force_count(
    traffic: tuple[Engine, TrafficTotals, list[RequestRecord]], since_offset: float, until_offset: float
) -> None:
    db, _, records = traffic
    since, until = END + since_offset, END + until_offset
    got = counts(db, Filters(since=since, until=until, team="growth"))
    attempts, failures, cost = _brute(records, since, until, "growth")
    assert (got.attempts, got.failed_attempts) == (attempts, failures)
    assert got.cost_usd == pytest.approx(cost, abs=1e-9)


def test_spend_arrays_and_day_buckets(traffic: tuple[Engine, TrafficTotals, list[RequestRecord]]) -> None:
    db, totals, _ = traffic
    points = spend(db, Filters(), bucket="day", by="task")
    buckets, keys, matrix = spend_arrays(points)
    assert keys == sorted({"support", "summarize", "extract", "code", "analysis"})
    assert np.all(np.diff(buckets) == 86400) and buckets[0] % 86400 == 0
    assert matrix.sum() == pytest.approx(totals.kinds["production"].cost_usd, abs=1e-9)


def test_rates_have_wilson_intervals_around_them(traffic: tuple[Engine, TrafficTotals, list[RequestRecord]]) -> None:
    db, _, _ = traffic
    for rate in failure_rates(db, Filters()) + fallback_rates(db, Filters()):
        assert 0.0 <= rate.ci_low <= rate.rate <= rate.ci_high <= 1.0
    fallbacks = {(r.task, r.model): r for r in fallback_rates(db, Filters())}
    assert set(fallbacks) == {("support", "gpt-mini"), ("summarize", "gemini-flash"), ("extract", "local-smol"),
                              ("code", "claude"), ("analysis", "reasoner")}


@pytest.mark.parametrize("since_offset, until_offset, task", [
    (None, None, "code"),  # every whole day from the daily histograms, the last partial day raw
    (-4.5 * 86400 + 17.0, -1 * 86400 - 3.5, None),  # whole days plus a ragged partial day at each end
    (-20 * 3600.0, -2 * 3600.0, "support"),  # shorter than a day: all raw
])
def test_latency_percentiles_are_within_the_histogram_bound_of_numpy(
    traffic: tuple[Engine, TrafficTotals, list[RequestRecord]], since_offset: float | None,
    until_offset: float | None, task: str | None,
) -> None:
    db, _, records = traffic
    since = None if since_offset is None else END + since_offset
    until = None if until_offset is None else END + until_offset
    stats = {s.model: s for s in latency_percentiles(db, Filters(since=since, until=until, task=task))}
    ok = [(a.model_alias, a.latency_ms, a.ttft_ms) for r in records if r.kind == "production"
          and (task is None or r.task == task) for a in r.attempts if a.outcome is Outcome.OK
          and (since is None or a.started_at.timestamp() >= since)
          and (until is None or a.started_at.timestamp() < until)]
    assert set(stats) == {m for m, _l, _t in ok}
    bound = histogram.RELATIVE_ERROR + 1e-9
    for model, got in stats.items():
        latency = [lat for m, lat, _t in ok if m == model]
        ttft = [t for m, _l, t in ok if m == model and t is not None]
        assert (got.n, got.ttft_n) == (len(latency), len(ttft))
        assert got.p50_ms == pytest.approx(float(np.percentile(latency, 50)), rel=bound)
        assert got.p95_ms == pytest.approx(float(np.percentile(latency, 95)), rel=bound)
        if ttft:
            assert got.ttft_p50_ms == pytest.approx(float(np.percentile(ttft, 50)), rel=bound)
            assert got.ttft_p95_ms == pytest.approx(float(np.percentile(ttft, 95)), rel=bound)
        else:
            assert got.ttft_p50_ms is None and got.ttft_p95_ms is None
    assert any(s.ttft_n for s in stats.values())


def test_requests_behind_a_point_come_with_their_chains(traffic: tuple[Engine, TrafficTotals, list[RequestRecord]]) -> None:
    db, _, records = traffic
    chains = requests_behind(db, Filters(task="support", model="claude"), failed_only=True, limit=5)
    assert 0 < len(chains) <= 5
    by_id = {r.request_id: r for r in records}
    for chain in chains:
        original = by_id[chain.request["request_id"]]
        assert [a["model_alias"] for a in chain.attempts] == [a.model_alias for a in original.attempts]
        assert any(a["model_alias"] == "claude" and a["outcome"] != "ok" for a in chain.attempts)
    stamps = [c.request["ts"] for c in chains]
    assert stamps == sorted(stamps, reverse=True)


def test_budget_burn_per_ceiling(traffic: tuple[Engine, TrafficTotals, list[RequestRecord]]) -> None:
    db, _, records = traffic
    budgets = [Budget(name="all", limit_usd=1.0), Budget(name="growth-month", period="month", limit_usd=50.0,
                                                         scope=BudgetScope(team="growth", provider="openai"))]
    burn = {b.name: b for b in budget_burn(db, budgets, now=END)}
    day0, _ = period_bounds("day", END)
    expected = sum(a.cost_usd for r in records if r.kind == "production"
                   for a in r.attempts if a.started_at.timestamp() >= day0)
    assert burn["all"].spent_usd == pytest.approx(expected, abs=1e-9)
    assert burn["all"].fraction == pytest.approx(expected / 1.0)
    assert burn["growth-month"].period_start <= day0


def test_durations_parse_with_clear_errors() -> None:
    assert [parse_duration(t) for t in ("30m", "1h", "7d", "30d", "90s", "2w")] == [
        1800, 3600, 604800, 2592000, 90, 1209600]
    for bad in ("", "7", "d7", "1y", "-1h", "0h"):
        with pytest.raises(DurationError, match="duration"):
            parse_duration(bad)


# --- query plans ----------------------------------------------------------------------------------

_FULL_SCAN = re.compile(r"\bSCAN (attempt|request|attempt_hour|request_hour|attempt_day|request_day)\b(?! USING (COVERING )?INDEX)")


def test_no_chart_query_scans_a_table(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, generate(400, days=3, seed=3, end=END))
    statements: list[tuple[str, Any]] = []

    @event.listens_for(db, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    windows = [Filters.last("1d", now=END), Filters.last("7d", now=END, team="growth"),
               Filters.last("2h", now=END, task="support", model="claude"), Filters.last("30m", now=END, policy="demo")]
    for f in windows:
        spend(db, f, bucket="hour", by="provider")
        spend(db, f, bucket="day", by="team")
        counts(db, f)
        failure_rates(db, f)
        fallback_rates(db, f)
        latency_percentiles(db, f)
        requests_behind(db, f, failed_only=True)
    event.remove(db, "before_cursor_execute", capture)
    assert len(statements) > 30
    with db.connect() as conn:
        for statement, parameters in statements:
            plan = "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert not _FULL_SCAN.search(plan), f"full scan in:\n{statement}\n{plan}"
    db.dispose()
