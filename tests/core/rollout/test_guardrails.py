"""Guardrails: the intervals, the verdicts, and the arms' traffic read from the log (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import random

from console.core.ledger.rows import insert_batch
from console.core.ledger.store import open_ledger
from console.core.outcomes import Outcome
from console.core.policy.rollout_schema import Guardrails
from console.core.rollout.arms import ArmTraffic, arm_traffic, requests_since
from console.core.rollout.guardrails import BREACH, PASS, WAITING, evaluate
from console.core.rollout.statistics import proportion_difference, wilson, z_for
from tests.core.ledger.records_factory import make_record


def _arm(n: int, failures: int, latency: float = 100.0, cost: float = 0.001, seed: int = 1) -> ArmTraffic:
    rng = random.Random(seed)
    latencies = [rng.gauss(latency, latency / 10) for _ in range(n - failures)]
    return ArmTraffic(n, failures, cost * n, cost * cost * n, latencies)


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    d, lo, hi = proportion_difference(48, 80, 56, 70, 0.95)
    assert round(d, 4) == 0.2 and round(lo, 4) == 0.0524 and round(hi, 4) == 0.3339
    assert abs(wilson(0, 10, z_for(0.95))[0]) < 1e-12  # no failures: the interval starts at 0, not below


def test_each_guardrail_waits_for_its_sample_then_judges_against_its_margin() -> None:
    rails = Guardrails.model_validate({"failure_rate": {"margin": 0.02, "min_requests": 200},
                                       "p95_latency": {"margin": 0.2, "min_requests": 100},
                                       "cost_per_request": {"margin": 0.1, "min_requests": 100}})
    assert {c.status for c in evaluate(rails, {"baseline": _arm(90, 1), "candidate": _arm(150, 1)})} == {WAITING}
    same = evaluate(rails, {"baseline": _arm(1000, 10), "candidate": _arm(1000, 12, seed=2)})
    assert [c.status for c in same] == [PASS, PASS, PASS]
    worse = evaluate(rails, {"baseline": _arm(1000, 10), "candidate": _arm(1000, 80, latency=200, cost=0.002)})
    assert [c.status for c in worse] == [BREACH, BREACH, BREACH]
    failure = worse[0]
    assert failure.baseline == 0.01 and failure.candidate == 0.08 and failure.lower > 0.02
    assert "failure rate: breach" in failure.sentence() and "margin +2.00 pts" in failure.sentence()
    # A small rise inside the margin passes even with a large sample.
    assert evaluate(rails, {"baseline": _arm(5000, 50), "candidate": _arm(5000, 75)})[0].status == PASS
    cheaper = evaluate(rails, {"baseline": _arm(1000, 10), "candidate": _arm(1000, 10, cost=0.0001)})[2]
    assert cheaper.status == PASS and cheaper.estimate < -0.8


def test_the_arms_traffic_is_read_from_the_log(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    records = []
    for i in range(40):
        arm = "candidate" if i % 4 == 0 else "baseline"
        outcome = Outcome.SERVER_ERROR if (arm == "candidate" and i % 8 == 0) else Outcome.OK
        record = make_record(f"r{i}", ts=1000.0 + i, task="chat", chain=(("m", outcome, 0.002),), latency_ms=10.0 + i)
        records.append(dataclasses.replace(record, arm=arm, total_latency_ms=10.0 + i))
    records.append(make_record("no-rollout", ts=1005.0, task="chat"))  # a request of no rollout: no arm row
    with db.begin() as conn:
        insert_batch(conn, records)
    traffic = arm_traffic(db, "p", "chat", 1000.0, 1100.0)
    assert (traffic["candidate"].requests, traffic["candidate"].failures) == (10, 5)
    assert (traffic["baseline"].requests, traffic["baseline"].failures) == (30, 0)
    assert round(traffic["baseline"].cost_usd, 6) == 0.06 and len(traffic["candidate"].latencies_ms) == 5
    assert arm_traffic(db, "p", "chat", 1020.0, 1030.0)["baseline"].requests == 7  # the same period for both arms
    assert requests_since(db, "p", "chat", 1030.0) == {"baseline": 8, "candidate": 2}
    db.dispose()


def test_a_staged_request_keeps_its_arm_until_it_is_committed() -> None:
    from console.core.ledger.record_json import decode, encode

    record = dataclasses.replace(make_record("staged"), arm="candidate")
    assert decode(encode(record)).arm == "candidate"  # a writer killed before its commit: recovery keeps the arm
