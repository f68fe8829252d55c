"""Replay on logs with known totals: demo traffic and logs built by hand (tests/core/replay/logs.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.core.app import replay_policy, write_demo_traffic
from console.core.app.replay import ReplayCancelled
from console.core.app.traffic import new_totals
from console.core.ledger.store import open_ledger_readonly
from console.core.ledger.tables import request_table
from console.core.policy.loader import load_policy_or_raise, load_policy_text
from console.core.policy.save import policy_hash
from console.core.policy.schema import Budget, ResidencyRule
from console.core.resources import checkout_root
from tests.core.replay.logs import DAY, POLICY_YAML, T0, attempt, new_log

END = 1_790_000_000.0


def _policy():
    loaded = load_policy_text(POLICY_YAML)
    assert loaded.policy is not None
    return loaded.policy


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'log.sqlite3'}"
    totals = new_totals()
    write_demo_traffic(url, 4000, days=20, end=END, seed=5, totals=totals)
    return url, totals


def _demo_policy():
    return load_policy_or_raise(checkout_root() / "policies" / "demo-traffic.yaml")


def test_unchanged_policy_replays_with_no_changes_and_the_logged_spend(demo_log) -> None:
    url, totals = demo_log
    report = replay_policy(_demo_policy(), url=url, since=END - 21 * DAY, until=END + 1)
    production = totals.kinds["production"]
    assert report.requests == production.requests
    assert report.changes == [] and report.changed_requests == 0
    assert report.spend.actual_usd == pytest.approx(production.cost_usd, rel=1e-9)
    assert abs(report.spend.projected_usd - report.spend.actual_usd) <= 0.001 * report.spend.actual_usd
    assert sum(s.actual_usd for s in report.spend_by_day.values()) == pytest.approx(production.cost_usd, rel=1e-9)
    assert report.kept_logged_task == production.requests  # demo traffic stores no prompts; rules need text
    assert report.constraints == []


def test_eu_only_rule_blocks_exactly_the_eu_tagged_requests(demo_log) -> None:
    url, _ = demo_log
    policy = _demo_policy().model_copy(deep=True)
    policy.residency["eu"] = ResidencyRule(allow=["eu"])  # no model of the demo policy is in the EU
    report = replay_policy(policy, url=url, since=END - 21 * DAY, until=END + 1)
    db = open_ledger_readonly(url)
    req = request_table()
    with db.connect() as conn:
        eu = {r for (r,) in conn.execute(select(req.c.request_id).where(req.c.kind == "production", req.c.region == "eu"))}
    db.dispose()
    blocked = [c for c in report.changes if c.to_model == "(blocked)"]
    assert sum(c.requests for c in blocked) == len(eu) > 0
    assert all(set(c.examples) <= eu for c in blocked)
    assert report.changed_requests == len(eu)  # nothing else moves
    residency = [c for c in report.constraints if c.rule == "residency"]
    assert sum(c.requests for c in residency) == len(eu)
    assert all("not allowed for eu data" in c.reason for c in residency)
    assert report.spend.projected_usd < report.spend.actual_usd


def _swap_log(tmp_path):
    log = new_log(tmp_path)
    # support on mini: three answered first time (1000 in, 200 out), two fell back to big (big answered 300 / 500 out)
    for k in range(3):
        log.add(f"s{k}", T0 + k * 60, "support", [attempt("mini", T0 + k * 60, inp=1000, out=200)])
    log.add("s3", T0 + 300, "support", [attempt("mini", T0 + 300, ok=False),
                                         attempt("big", T0 + 301, position=1, inp=1000, out=300)])
    log.add("s4", T0 + 400, "support", [attempt("mini", T0 + 400, ok=False),
                                         attempt("big", T0 + 401, position=1, inp=1000, out=500)])
    # code on big, unchanged by the draft
    log.add("c0", T0 + 500, "code", [attempt("big", T0 + 500, inp=2000, out=100)])
    # extract on local: the draft moves it to mini, which never answered extract
    log.add("e0", T0 + 600, "extract", [attempt("local", T0 + 600, inp=4000, out=50)])
    log.add("e1", T0 + DAY + 600, "extract", [attempt("local", T0 + DAY + 600, inp=6000, out=70)])
    return log.write()


def test_one_model_swap_gives_the_hand_computed_totals(tmp_path) -> None:
    url = _swap_log(tmp_path)
    draft = _policy().model_copy(deep=True)
    draft.routes["support"].candidates = ["big", "mini"]
    draft.routes["extract"].candidates = ["mini", "local"]
    report = replay_policy(draft, url=url, since=T0 - 1, until=T0 + 2 * DAY)
    # actual: 3 × (1000×0.4 + 200×1.6)/1e6 + big's (1000×3 + 300×15) and (1000×3 + 500×15) + code + extract (free)
    actual_support = 3 * 0.00072 + 0.0075 + 0.0105
    assert report.spend_by_task["support"].actual_usd == pytest.approx(actual_support, abs=1e-12)
    # projected support: every request on big, output = big's mean support answer (400): 1000×3 + 400×15
    assert report.spend_by_task["support"].projected_usd == pytest.approx(5 * 0.009, abs=1e-12)
    assert report.spend_by_task["support"].estimated_output == 0
    # code unchanged: 2000×3 + 100×15
    assert report.spend_by_task["code"].projected_usd == pytest.approx(0.0075, abs=1e-12)
    # extract on mini at its own logged output (mini never answered extract): flagged as estimated
    assert report.spend_by_task["extract"].projected_usd == pytest.approx(
        (4000 * 0.4 + 50 * 1.6 + 6000 * 0.4 + 70 * 1.6) / 1e6, abs=1e-12)
    assert report.spend_by_task["extract"].estimated_output == 2
    assert report.spend.projected_usd == pytest.approx(0.045 + 0.0075 + 0.004192, abs=1e-12)
    changes = {(c.task, c.from_model, c.to_model): c for c in report.changes}
    assert set(changes) == {("support", "mini", "big"), ("extract", "local", "mini")}
    support = changes[("support", "mini", "big")]
    assert support.requests == 5 and support.share == pytest.approx(5 / 8)
    assert support.examples == ["s0", "s1", "s2"]
    assert support.untested and support.exposure is not None and support.exposure.attempts == 2
    assert support.exposure.failures == 0 and support.exposure.failure_ci is not None
    extract = changes[("extract", "local", "mini")]
    assert extract.exposure is not None and extract.exposure.evidence == "no evidence"
    assert extract.expected_fallbacks is None  # no history: never treated as perfect
    assert len(report.spend_by_day) == 2  # e1 is a day later
    assert sum(d.projected_usd for d in report.spend_by_day.values()) == pytest.approx(report.spend.projected_usd)


def test_daily_budget_runs_out_on_the_computed_day(tmp_path) -> None:
    log = new_log(tmp_path)
    # three days, ten support requests a day at $0.00072 each (1000 in, 200 out on mini), one an hour
    for day in range(3):
        for k in range(10):
            ts = T0 + day * DAY + k * 3600
            log.add(f"d{day}-{k}", ts, "support", [attempt("mini", ts, inp=1000, out=200)])
    # day 1 has five extra requests in its first hours, so only day 1 reaches $0.008
    for k in range(5):
        ts = T0 + DAY + k * 3600 + 60
        log.add(f"x{k}", ts, "support", [attempt("mini", ts, inp=1000, out=200)])
    url = log.write()
    draft = _policy().model_copy(deep=True)
    draft.budgets = [Budget(name="daily", limit_usd=0.008, period="day", action="block")]
    report = replay_policy(draft, url=url, since=T0 - 1, until=T0 + 3 * DAY)
    (budget,) = report.budgets
    # day 1 spends 0.00072 per request: the 12th request brings it to 0.00864 >= 0.008
    assert [period for period, _ in budget.runs_out] == ["2026-05-29"]
    ordered = sorted([(T0 + DAY + k * 3600, f"d1-{k}") for k in range(10)] + [(T0 + DAY + k * 3600 + 60, f"x{k}")
                                                                              for k in range(5)])
    twelfth_ts = ordered[11][0]
    from datetime import datetime, timezone
    assert budget.runs_out[0][1] == datetime.fromtimestamp(twelfth_ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
    assert budget.affected == 15 - 12  # blocked for the rest of that day only
    blocked = [c for c in report.changes if c.to_model == "(blocked)"]
    assert sum(c.requests for c in blocked) == 3
    assert {e for c in blocked for e in c.examples} == {rid for _, rid in ordered[12:]}
    assert report.spend.projected_usd == pytest.approx(report.spend.actual_usd - 3 * 0.00072, abs=1e-12)


def test_identity_check_lists_mismatches_with_their_causes(tmp_path) -> None:
    policy = _policy()
    live = policy_hash(policy)
    log = new_log(tmp_path)
    log.add("same", T0, "support", [attempt("mini", T0, inp=100, out=10)], policy_hash=live)
    log.add("circuit", T0 + 10, "support", [attempt("big", T0 + 10, inp=100, out=10)], policy_hash=live)
    log.add("older", T0 + 20, "code", [attempt("mini", T0 + 20, inp=100, out=10)], policy_hash="0123456789abcdef")
    log.add("older-same", T0 + 30, "support", [attempt("mini", T0 + 30, inp=100, out=10)], policy_hash="0123456789abcdef")
    url = log.write()
    report = replay_policy(policy, url=url, since=T0 - 1, until=T0 + DAY)
    assert report.identity_checked == 2
    causes = {m.request_id: m.cause for m in report.mismatches}
    assert set(causes) == {"circuit", "older"}
    assert causes["circuit"].startswith("circuit state")
    assert causes["older"].startswith("policy changed during the period") and "0123456789abcdef" in causes["older"]


def test_stored_prompts_are_reclassified_and_the_rest_keep_their_task(tmp_path) -> None:
    log = new_log(tmp_path)
    log.add("p0", T0, "support", [attempt("mini", T0, inp=100, out=10)], prompt="please extract the fields")
    log.add("p1", T0 + 1, "support", [attempt("mini", T0 + 1, inp=100, out=10)])
    url = log.write()
    report = replay_policy(_policy(), url=url, since=T0 - 1, until=T0 + DAY)
    assert report.reclassified == 1 and report.kept_logged_task == 1
    (change,) = report.changes
    assert (change.task, change.from_model, change.to_model, change.examples) == ("extract", "mini", "local", ["p0"])


def test_a_progress_callback_can_cancel(tmp_path) -> None:
    url = _swap_log(tmp_path)
    seen = []

    def progress(stage: str, fraction: float) -> bool:
        seen.append(stage)
        return stage != "plan"

    with pytest.raises(ReplayCancelled):
        replay_policy(_policy(), url=url, since=T0 - 1, until=T0 + 2 * DAY, progress=progress)
    assert seen[-1] == "plan"


def test_assessment_flags_the_over_served_task_with_the_replayed_saving(tmp_path) -> None:
    from console.core.app.replay import assess

    log = new_log(tmp_path)
    for k in range(8):  # code on big (the top price tier), most of the traffic
        log.add(f"c{k}", T0 + k, "code", [attempt("big", T0 + k, inp=1000, out=100)])
    log.add("m0", T0 + 20, "support", [attempt("mini", T0 + 20, inp=1000, out=100)])
    url = log.write()
    since, until = T0 - 1, T0 + DAY - 1
    result = assess(_policy(), url=url, since=since, until=until)
    top = result.tasks[0]
    assert (top.task, top.serving, top.over_served) == ("code", "big", True)
    assert top.spend_share == pytest.approx(8 * 0.0045 / (8 * 0.0045 + 0.00056))
    by_model = {c.model: c for c in top.candidates}
    assert set(by_model) == {"mini", "local", "eu-model"}
    # the saving is the replay of the draft with the candidate first, scaled to 30 days
    draft = _policy().model_copy(deep=True)
    draft.routes["code"].candidates = ["mini", "big"]
    replayed = replay_policy(draft, url=url, since=since, until=until, task="code")
    per_month = (replayed.spend.actual_usd - replayed.spend.projected_usd) * 30 * DAY / (until - since)
    assert by_model["mini"].monthly_saving_usd == pytest.approx(per_month)
    assert by_model["mini"].estimated_output == 8  # mini never answered code: the logged output is used
    assert "--task code --baseline big --candidate mini" in by_model["mini"].pilot_command
    assert by_model["mini"].exposure is not None and by_model["mini"].exposure.evidence == "no evidence"
    assert not result.tasks[1].over_served  # support is served by the cheapest hosted tier


def test_the_collector_is_paused_only_while_reading_and_restored_after() -> None:
    import gc

    from console.core.replay.traffic import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner one leaves it to the outer
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with collector_paused():
            raise RuntimeError("a failed read")
    assert gc.isenabled()
