"""Daily rollups and latency histograms: the bucket scheme's error bound, the write path, the v3→v4
migration, and the query plans of the reads built on them."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, text

from console.core.ledger import histogram
from console.core.ledger.bulk import write_records
from console.core.ledger.filters import Filters, split_range
from console.core.ledger.queries import counts, latency_percentiles
from console.core.ledger.drift import detect_drift
from console.core.ledger.series import attempt_sums, outcome_mix, request_sums, requests_page
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION
from console.core.ledger.traffic import generate
from console.core.ledger.writer import LedgerWriter
from console.core.outcomes import Outcome
from console.core.records import RequestRecord

END = 1_767_225_600.0 + 5 * 3600 + 1234.5  # mid-day, mid-hour: every tier of a split is used

# --- the bucket scheme ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=histogram.LOW_MS, max_value=histogram.HIGH_MS), min_size=1, max_size=300),
       st.sampled_from([0, 1, 25, 50, 90, 95, 99, 100]))
def test_percentile_from_buckets_is_within_the_documented_bound(values: list[float], q: float) -> None:
    counts = np.zeros(histogram.BUCKETS, dtype=np.int64)
    histogram.dense_add_values(counts[None, :], np.zeros(len(values), dtype=np.int64), np.array(values))
    (got,) = histogram.percentiles(counts, [q])
    exact = float(np.percentile(values, q))
    assert got is not None
    assert abs(got / exact - 1) <= histogram.RELATIVE_ERROR + 1e-9


def test_lognormal_latencies_stay_well_inside_the_bound() -> None:
    values = np.random.default_rng(5).lognormal(math.log(900), 0.6, 50_000)
    counts = np.zeros((1, histogram.BUCKETS), dtype=np.int64)
    histogram.dense_add_values(counts, np.zeros(len(values), dtype=np.int64), values)
    for q, got in zip((50, 95, 99), histogram.percentiles(counts[0], (50, 95, 99))):
        assert got == pytest.approx(float(np.percentile(values, q)), rel=histogram.RELATIVE_ERROR)
    assert histogram.RELATIVE_ERROR == pytest.approx(0.0247, abs=1e-4)


def test_scalar_and_array_bucketing_agree_and_clamp_the_ends() -> None:
    values = [0.0, 0.001, 0.01, 0.5, 1.0, 37.2, 999.9, 1000.0, 3_599_999.0, 3_600_000.0, 9e9, float("nan")]
    assert [histogram.bucket_of(v) for v in values] == histogram.buckets_of(np.array(values)).tolist()
    assert histogram.bucket_of(0.0) == 0 and histogram.bucket_of(9e9) == histogram.BUCKETS - 1
    low, high = histogram.MIDPOINTS[histogram.bucket_of(1000.0)] / np.array([math.sqrt(1.05), 1 / math.sqrt(1.05)])
    assert low <= 1000.0 < high * 1.0000001


def test_encoding_round_trips_merges_and_sums_per_group() -> None:
    blob = histogram.encode({3: 2, 0: 1, 400: 70_000, 9: 0})
    assert len(blob) == 6 * 3 and histogram.decode(blob) == {0: 1, 3: 2, 400: 70_000}
    assert histogram.decode(histogram.merged(blob, {3: 1, 5: 4})) == {0: 1, 3: 3, 5: 4, 400: 70_000}
    assert histogram.merged(None, {}) == b"" and histogram.decode(b"") == {}
    dense = histogram.dense_sum([blob, b"", histogram.encode({3: 5})], np.array([1, 0, 1]), 2)
    assert dense.shape == (2, histogram.BUCKETS) and dense[0].sum() == 0
    assert (dense[1, 0], dense[1, 3], dense[1, 400]) == (1, 7, 70_000)


def test_split_range_covers_the_range_once_with_the_coarsest_rows() -> None:
    day, hour = 86400, 3600
    split = split_range(20000 * day - 1.5 * hour - 7, 20003 * day + 2 * hour + 30)
    assert split.days == (20000, 20003)
    assert split.hours == ((20000 * 24 - 1, 20000 * 24), (20003 * 24, 20003 * 24 + 2))
    assert split.edges == ((20000 * day - 1.5 * hour - 7, (20000 * 24 - 1) * hour),
                           ((20003 * 24 + 2) * hour, 20003 * day + 2 * hour + 30))
    assert split_range(None, None).days == (None, None) and split_range(None, None).edges == ()
    short = split_range(20000 * day + 10, 20000 * day + 5 * hour)  # no whole day: hours and edges only
    assert short.days is None and short.hours == ((20000 * 24 + 1, 20000 * 24 + 5),)
    raw = split_range(20000 * day - 7 * hour, 20001 * day + 1, hours=False)
    assert raw.days == (20000, 20001) and raw.hours == () and len(raw.edges) == 2


# --- the write path -------------------------------------------------------------------------------


def _expected_days(records: list[RequestRecord]) -> tuple[dict, dict]:
    """Brute-force per-day sums and histogram counts per attempt_day key."""
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    hists: dict[tuple, tuple[Counter, Counter]] = defaultdict(lambda: (Counter(), Counter()))
    for r in records:
        for a in r.attempts:
            ts = a.started_at.timestamp()
            key = (int(ts // 86400), r.kind, r.policy_name, r.task, r.metadata.get("team", ""), a.model_alias,
                   a.provider)
            acc = sums[key]
            acc[0] += 1
            acc[1] += a.outcome is not Outcome.OK
            acc[2] += a.cost_usd
            if a.outcome is Outcome.OK:
                hists[key][0][histogram.bucket_of(a.latency_ms)] += 1
                if a.ttft_ms is not None:
                    hists[key][1][histogram.bucket_of(a.ttft_ms)] += 1
    return sums, hists


def _assert_day_tables_match(db: Engine, records: list[RequestRecord]) -> None:
    sums, hists = _expected_days(records)
    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT day, kind, policy_name, task, team, model_alias, provider, attempts, failures, cost_usd, "
            "latency_hist, ttft_hist FROM attempt_day")).all()
        day_requests = conn.execute(text("SELECT SUM(requests), SUM(fallbacks) FROM request_day")).one()
    assert {tuple(r[:7]) for r in rows} == set(sums)
    for row in rows:
        key = tuple(row[:7])
        assert (row[7], row[8]) == tuple(sums[key][:2]) and row[9] == pytest.approx(sums[key][2], abs=1e-12)
        expected = hists.get(key, (Counter(), Counter()))
        assert histogram.decode(bytes(row[10])) == dict(expected[0])
        assert histogram.decode(bytes(row[11])) == dict(expected[1])
    fell_back = sum(len({a.model_alias for a in r.attempts}) > 1 for r in records)
    assert tuple(day_requests) == (len(records), fell_back)


def test_writer_and_bulk_loads_build_the_same_daily_rollups(ledger_url: str) -> None:
    records = list(generate(700, days=3, seed=31, end=END))
    with LedgerWriter(ledger_url) as writer:  # many small commits: read-merge-write of histograms
        for record in records[:150]:
            writer.record(record)
        writer.flush(30)
        db = writer.db
        write_records(db, records[150:], batch_requests=200)  # big batches over the same keys
        _assert_day_tables_match(db, records)


# --- migration ------------------------------------------------------------------------------------


def _downgrade_to_v3(db: Engine) -> None:
    """What a version 3 log looks like: this schema without the daily rollups, the failed index
    and attempt.role (version 5)."""
    with db.begin() as conn:
        conn.execute(text("DROP INDEX ix_attempt_failed_cover"))
        conn.execute(text("ALTER TABLE attempt DROP COLUMN role"))
        conn.execute(text("DROP TABLE attempt_day"))
        conn.execute(text("DROP TABLE request_day"))
        conn.execute(text("DROP TABLE policy_change"))  # version 6
        conn.execute(text("UPDATE schema_meta SET value = '3' WHERE key = 'version'"))


def _totals(db: Engine, filters: Filters) -> list[float]:
    c = counts(db, filters)
    return [c.requests, c.failed_requests, c.fallbacks, c.attempts, c.failed_attempts, c.cost_usd,
            *attempt_sums(db, filters).totals(), *request_sums(db, filters).totals()]


def test_a_v3_log_is_upgraded_with_daily_rollups_and_histograms(ledger_url: str) -> None:
    records = list(generate(1200, days=6, seed=41, end=END))
    db = open_ledger(ledger_url)
    write_records(db, records, batch_requests=400)
    year = Filters(since=END - 365 * 86400, until=END, kind=None)
    before = _totals(db, year)
    assert before[3] == sum(len(r.attempts) for r in records)
    _downgrade_to_v3(db)
    db.dispose()

    db = open_ledger(ledger_url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
    _assert_day_tables_match(db, records)
    assert _totals(db, year) == pytest.approx(before, rel=1e-12)  # costs summed in another order
    whole_days = Filters(since=(END // 86400 - 5) * 86400, until=(END // 86400) * 86400)  # daily rows only
    ok = [(a.model_alias, a.latency_ms) for r in records if r.kind == "production" for a in r.attempts
          if a.outcome is Outcome.OK and whole_days.since <= a.started_at.timestamp() < whole_days.until]
    for stats in latency_percentiles(db, whole_days):
        values = [v for m, v in ok if m == stats.model]
        assert stats.n == len(values)
        for q, got in ((50, stats.p50_ms), (95, stats.p95_ms)):
            assert got == pytest.approx(float(np.percentile(values, q)), rel=histogram.RELATIVE_ERROR + 1e-9)
    db.dispose()


# --- plans ------------------------------------------------------------------------------------------


def _plans(db: Engine, run: Any) -> list[tuple[str, str]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db, "before_cursor_execute", capture)
    with db.connect() as conn:
        return [(s, "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)))
                for s, p in statements]


def test_outcome_mix_and_day_reads_search_their_indexes(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, generate(400, days=5, seed=3, end=END))
    for f in (Filters.last("365d", now=END), Filters.last("4d", now=END, team="growth", kind="pilot")):
        mix_plans = _plans(db, lambda: outcome_mix(db, f))
        assert len(mix_plans) == 1 and "USING COVERING INDEX ix_attempt_failed_cover" in mix_plans[0][1]
        for statement, plan in _plans(db, lambda: (latency_percentiles(db, f), attempt_sums(db, f),
                                                   request_sums(db, f))):
            if "_day" in statement.split("FROM", 1)[1].split()[0]:
                assert re.search(r"SEARCH (attempt|request)_day USING INDEX \w+ \(kind=\? AND day>\? AND day<\?\)", plan), plan
            else:
                assert "SEARCH" in plan and not re.search(r"\bSCAN (attempt|request)", plan), plan
    db.dispose()



_BIG_TABLE_SCAN = re.compile(r"\bSCAN (attempt|request|attempt_hour|request_hour|attempt_day|request_day)\b"
                             r"(?! USING (COVERING )?INDEX)")


def test_all_kinds_and_drift_reads_search_indexes_too(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, generate(400, days=9, seed=4, end=END))
    every = Filters.last("365d", now=END, kind=None)
    plans = _plans(db, lambda: (latency_percentiles(db, every), attempt_sums(db, every), request_sums(db, every),
                                outcome_mix(db, every), requests_page(db, every, limit=20),
                                requests_page(db, every, failed_only=True), detect_drift(db, now=END),
                                detect_drift(db, Filters(kind=None, team="growth"), now=END)))
    assert len(plans) > 20
    for statement, plan in plans:
        assert "SEARCH" in plan and not _BIG_TABLE_SCAN.search(plan), f"{statement}\n{plan}"
    db.dispose()


def test_requests_page_over_all_kinds_is_newest_first_and_complete(ledger_url: str) -> None:
    records = list(generate(300, days=2, seed=8, end=END))
    db = open_ledger(ledger_url)
    write_records(db, records)
    f = Filters(since=END - 86400, until=END, kind=None)
    seen: list[str] = []
    stamps: list[float] = []
    before = None
    for _ in range(50):
        page = requests_page(db, f, before=before, limit=25)
        for chain in page.chains:
            if chain.request["request_id"] not in seen:
                seen.append(chain.request["request_id"])
                stamps.append(chain.request["ts"])
        if page.next_before is None:
            break
        before = page.next_before
    expected = {r.request_id for r in records
                if any(END - 86400 <= a.started_at.timestamp() < END for a in r.attempts)}
    assert set(seen) == expected and len(seen) == len(expected)
    assert {r.kind for r in records if r.request_id in expected} >= {"production", "pilot"}
    assert stamps[:25] == sorted(stamps[:25], reverse=True)
    db.dispose()


def test_a_record_of_unknown_kind_is_refused_with_a_clear_message(sqlite_url: str) -> None:
    record = next(generate(1, days=1, seed=2, end=END))
    record.kind = "experiment"
    db = open_ledger(sqlite_url)
    with pytest.raises(ValueError, match="unknown request kind 'experiment'.*production"):
        write_records(db, [record])
    assert counts(db, Filters(kind=None)).requests == 0
    db.dispose()
