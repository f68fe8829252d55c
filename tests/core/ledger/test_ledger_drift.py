"""Drift flags: a planted failure spike is found with its numbers; steady traffic raises none."""

from __future__ import annotations

import math

import numpy as np
import pytest

from console.core.ledger.bulk import write_records
from console.core.ledger.drift import detect_drift
from console.core.ledger.stats import mann_whitney_greater_p, two_proportion_worse_p, wilson_interval
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import generate

END = 1_767_225_600.0


def test_planted_spike_is_flagged_with_the_numbers_behind_it(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    write_records(db, generate(6000, days=8, seed=5, end=END, spike=("summarize", "gemini-flash")))
    flags = detect_drift(db, now=END, recent=86400, baseline=7 * 86400)
    flagged = {(f.task, f.model, f.metric) for f in flags}
    assert ("summarize", "gemini-flash", "failure_rate") in flagged
    assert ("summarize", "gemini-flash", "fallback_rate") in flagged
    assert {(t, m) for t, m, _ in flagged} == {("summarize", "gemini-flash")}
    flag = next(f for f in flags if f.metric == "failure_rate")
    assert flag.recent_value == pytest.approx(flag.recent_events / flag.recent_n)
    assert flag.recent_value > 0.3 > 0.1 > flag.baseline_value
    assert flag.p_value < flag.threshold
    assert flag.recent_window == (END - 86400, END) and flag.baseline_window == (END - 8 * 86400, END - 86400)
    db.dispose()


def test_steady_traffic_raises_no_flags(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, generate(6000, days=8, seed=5, end=END))
    assert detect_drift(db, now=END) == []
    db.dispose()


def test_wilson_interval_known_values() -> None:
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.27753, abs=1e-5))
    low, high = wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.23659, abs=1e-5), pytest.approx(0.76341, abs=1e-5))
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_two_proportion_test_matches_a_hand_computed_z() -> None:
    # 30/100 vs 15/100: pooled 0.225, se = sqrt(.225*.775*.02) = 0.059054, z = 2.5401 → p = 0.005541
    assert two_proportion_worse_p(30, 100, 15, 100) == pytest.approx(0.005541, abs=2e-6)
    assert two_proportion_worse_p(15, 100, 30, 100) > 0.99
    assert two_proportion_worse_p(0, 100, 0, 100) == 1.0


def test_mann_whitney_sees_a_shift_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    base = rng.lognormal(6.0, 0.3, 2000)
    assert mann_whitney_greater_p(rng.lognormal(6.2, 0.3, 300), base) < 1e-6
    assert mann_whitney_greater_p(rng.lognormal(6.0, 0.3, 300), base) > 0.01
    # exact small case with ties: recent {3,4} vs baseline {1,2,3}: U1 = 5.5
    p = mann_whitney_greater_p(np.array([3.0, 4.0]), np.array([1.0, 2.0, 3.0]))
    sigma = math.sqrt(2 * 3 / 12 * (6 - (2**3 - 2) / 20))
    assert p == pytest.approx(0.5 * math.erfc(((5.5 - 3 - 0.5) / sigma) / math.sqrt(2)))
