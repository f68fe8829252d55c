"""The quarterly review's figures, on a log with known totals: each one checked against the ledger's
own queries (and the generator's tally), never against numbers copied from a previous run."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from console.core.app.log import open_log
from console.core.ledger.filters import Filters
from console.core.ledger.latency import latency_percentiles
from console.core.ledger.policy_changes import changes_between
from console.core.ledger.queries import counts, failure_rates, fallback_rates
from console.core.ledger.tables import attempt_table
from console.core.ledger.traffic import TrafficTotals
from console.core.pilot.verdict import monthly_requests
from console.core.policy.loader import load_policy_or_raise
from console.core.replay.assess import assess_traffic
from console.core.review import Review, build_review, parse_period
from console.core.review.demo import ReviewDemo, write_review_demo

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime.datetime(2026, 12, 1, 6, 30, tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReviewDemo, TrafficTotals]:
    totals = TrafficTotals()
    made = write_review_demo(tmp_path_factory.mktemp("review-demo"), (ROOT / "policies" / "demo-traffic.yaml")
                             .read_text(), requests=6000, now=NOW, totals=totals)
    return made, totals


@pytest.fixture(scope="module")
def db(demo: tuple[ReviewDemo, TrafficTotals]) -> Engine:
    engine = open_log(demo[0].url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def review(demo: tuple[ReviewDemo, TrafficTotals], db: Engine) -> Review:
    made = demo[0]
    policy = load_policy_or_raise(made.policy_file)
    return build_review(db, policy, parse_period(since="90d", now=NOW), data_root=made.folder, now=NOW)


def _filters(review: Review, **kwargs: object) -> Filters:
    return Filters(review.period.since, review.period.until, policy="demo", **kwargs)  # type: ignore[arg-type]


def test_spend_totals_are_the_logs_and_the_generators(review: Review, db: Engine,
                                                      demo: tuple[ReviewDemo, TrafficTotals]) -> None:
    made = demo[1].kinds["production"]
    spend = review.spend
    assert spend.counts == counts(db, _filters(review))
    # (fallbacks are not compared with the tally: the rollout's candidate arm turns claude -> gpt-large
    # chains into retries of gpt-large after generation; the log's count is checked by the query above)
    assert (spend.counts.requests, spend.counts.attempts, spend.counts.failed_attempts) == (
        made.requests, made.attempts, made.failed_attempts)
    att = attempt_table()
    with db.connect() as conn:  # the raw rows, summed without the rollups the queries read
        raw = conn.execute(select(func.sum(att.c.cost_usd)).where(att.c.kind == "production")).scalar()
    assert spend.counts.cost_usd == pytest.approx(raw, rel=1e-9)
    previous = review.period.previous
    assert spend.previous == counts(db, Filters(previous.since, previous.until, policy="demo"))


def test_spend_by_task_and_model_month_by_month(review: Review, db: Engine) -> None:
    months = review.period.months()
    assert review.spend.months == [m for m, _a, _b in months]
    for lines, field in ((review.spend.by_task, "task"), (review.spend.by_model, "model")):
        assert sum(line.cost_usd for line in lines) == pytest.approx(review.spend.counts.cost_usd, rel=1e-9)
        for line in lines:
            assert line.cost_usd == pytest.approx(counts(db, _filters(review, **{field: line.key})).cost_usd, rel=1e-9)
            for (_label, since, until), value in zip(months, line.by_month):
                expected = counts(db, Filters(since, until, policy="demo", **{field: line.key})).cost_usd
                assert value == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert review.spend.daily_by_task.total == pytest.approx(review.spend.counts.cost_usd, rel=1e-9)


def test_budgets_count_the_periods_over_their_limit(review: Review, db: Engine) -> None:
    lines = {b.name: b for b in review.spend.budgets}
    code = lines["code daily"]
    days = []
    day = int(review.period.since // 86400)
    while day * 86400 < review.period.until:
        days.append(counts(db, Filters(day * 86400.0, day * 86400.0 + 86400, policy="demo", task="code")).cost_usd)
        day += 1
    assert (code.periods, code.periods_over, code.worst_usd) == (len(days), sum(d > 0.2 for d in days),
                                                               pytest.approx(max(days)))
    monthly = lines["monthly"]
    assert monthly.periods == len(review.period.months()) and monthly.scope == "all traffic"


def test_reliability_is_the_dashboards_queries(review: Review, db: Engine) -> None:
    rel = review.reliability
    assert rel.failures == failure_rates(db, _filters(review))
    assert rel.fallbacks == fallback_rates(db, _filters(review))
    att = attempt_table()
    with db.connect() as conn:
        failed_cost = conn.execute(select(func.sum(att.c.cost_usd)).where(att.c.kind == "production", att.c.ok == 0)
                                   ).scalar()
    assert rel.failed_attempt_cost_usd == pytest.approx(failed_cost)
    flagged = {(a.task, a.model, a.metric) for a in rel.drift}
    assert ("summarize", "gemini-flash", "failure_rate") in flagged  # the demo's planted spike
    assert sum(n for _o, n in rel.outcome_mix) == review.spend.counts.failed_attempts


def test_latency_per_task_and_model_against_the_route(review: Review, db: Engine) -> None:
    for line in review.latency:
        (stats,) = [s for s in latency_percentiles(db, _filters(review, task=line.task)) if s.model == line.stats.model]
        assert line.stats == stats
    support = [line for line in review.latency if line.task == "support"]
    assert support and all(line.required_p95_ms == 2500 for line in support)
    assert all(line.meets == (line.stats.p95_ms <= 2500) for line in support)


def test_policy_versions_with_what_moved_and_first_traffic(review: Review, db: Engine) -> None:
    first, second = review.versions
    assert first.summary[0].startswith("first version")
    assert "routes.support.candidates: [gpt-mini, claude, gpt-large] → [gemini-flash, gpt-mini, claude]" in second.summary
    (change,) = changes_between(db, None, None)
    assert (second.policy_hash, second.first_traffic) == (change.policy_hash, change.ts)


def test_the_pilot_is_judged_by_its_own_verdict(review: Review, db: Engine) -> None:
    (pilot,) = review.pilots
    assert (pilot.task, pilot.baseline, pilot.candidate, pilot.meets_bar) == ("support", "gpt-mini", "gemini-flash", True)
    volume = monthly_requests(db, "support", now=pilot.ts)
    assert pilot.projected_month_usd == pytest.approx((0.00062 - 0.00041) * volume)
    before = counts(db, Filters(review.period.since, pilot.ts, policy="demo", task="support"))
    assert pilot.realised_month_usd is not None and f"${before.cost_usd / before.requests:.5f} before" in pilot.realised_note


def test_prices_new_models_and_recommendations(review: Review, db: Engine, demo: tuple[ReviewDemo, TrafficTotals]) -> None:
    (price,) = review.prices
    assert (price.model, price.old, price.new) == ("gpt-4.1-mini", "$0.4 in / $1.6 out / $0.1 cached",
                                                   "$0.35 in / $1.4 out / $0.0875 cached")
    actions = {r.task: r for r in review.recommendations}
    assert set(actions) == {"support", "summarize", "extract", "code", "analysis"}
    assert actions["summarize"].action == "investigate failure drift"
    policy = load_policy_or_raise(demo[0].policy_file)
    assessed = {t.task: t for t in assess_traffic(policy, db, since=review.period.since, until=review.period.until).tasks}
    for task, rec in actions.items():
        assert rec.evidence and rec.next_step
        if rec.action.startswith("pilot"):
            best = [c for c in assessed[task].candidates if c.source == "policy"][0]
            assert rec.action.startswith(f"pilot {best.model} (saves about ${best.monthly_saving_usd:,.0f} a month")
            assert rec.next_step == best.pilot_command
    assert review.new_models
    for task, assessment in assessed.items():
        best = sorted((c for c in assessment.candidates if c.source == "catalogue" and c.monthly_saving_usd > 0),
                      key=lambda c: -c.monthly_saving_usd)[:3]
        shown = [line for line in review.new_models if line.task == task]
        assert [(line.model, line.monthly_saving_usd) for line in shown] == [(c.model, c.monthly_saving_usd) for c in best]


def test_the_rollout_is_read_by_the_rollout_features_own_functions(review: Review, db: Engine) -> None:
    from console.core.rollout.arms import arm_traffic
    from console.core.rollout.state import read_state

    (line,) = review.rollouts
    state = read_state(db, "demo", "code")
    assert state is not None and line.state == state.describe()
    assert (line.route, line.candidate, line.replaces) == ("code", "gpt-large", "claude")
    assert [e.split(" ", 1)[1] for e in line.events] == ["start to 10% (by cli)", "advance to 50% (by cli)"]
    traffic = arm_traffic(db, "demo", "code", review.period.since, review.period.until)
    assert {a.arm: (a.requests, a.failures, a.cost_usd) for a in line.arms} == {
        arm: (t.requests, t.failures, t.cost_usd) for arm, t in traffic.items()}
    base, cand = (next(a for a in line.arms if a.arm == arm) for arm in ("baseline", "candidate"))
    assert cand.requests > 0 and cand.model == "gpt-large"
    expected = (base.cost_per_request - cand.cost_per_request) * cand.requests * 30 * 86400 / (
        review.period.until - state.started_ts)  # the rollout ran its last 20 days
    assert line.realised_month_usd == pytest.approx(expected)
