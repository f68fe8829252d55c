"""Training, calibration and evaluation of the learned router on a history with a known signal."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from console.core.learned_router import router_file
from console.core.learned_router.curve import Curve, CurvePoint, relative_costs, sweep
from console.core.learned_router.evaluation import evaluate
from console.core.learned_router.graded import GradedHistoryError
from console.core.learned_router.training import split, train
from tests.support import graded_history


@pytest.fixture(scope="module")
def trained() -> tuple[router_file.TrainedRouter, list]:
    return train(graded_history.history(), test_fraction=0.3, seed=3)


def test_the_calibrated_point_is_the_cheapest_that_meets_the_target_on_held_out_prompts(trained) -> None:
    router, _ = trained
    cal = router.calibration
    for target in (0.8, 0.9, 0.95):
        lam, met = cal.lam_for(target)
        assert met
        chosen = cal.lams.index(lam)
        assert cal.pass_ratio[chosen] >= target
        cheaper = [i for i, c in enumerate(cal.cost_per_1k) if c < cal.cost_per_1k[chosen]]
        assert all(cal.pass_ratio[i] < target for i in cheaper)
    # and on the test prompts the learner never saw, the point keeps its promise at a fraction of the cost
    report = evaluate(router, graded_history.history(), target=0.9)
    strongest = report.curve.strongest_pass_rate
    assert report.excluded_trained == router.info["trained_on"] and report.prompts == router.info["held_out"]
    assert report.calibrated.pass_rate >= 0.9 * strongest
    assert report.calibrated.cost_per_1k < 0.7 * report.curve.single_costs_per_1k[report.curve.strongest]
    assert report.router_share < report.random_share


def test_a_target_nothing_reaches_falls_to_the_most_accurate_point() -> None:
    cal = router_file.Calibration([1e6, 0.5, 0.0], [0.6, 0.8, 0.9], [1.0, 5.0, 10.0])
    assert cal.lam_for(0.85) == (0.0, True)
    assert cal.lam_for(0.99) == (0.0, False)
    assert cal.lam_for(0.5) == (1e6, True)


def test_operating_point_of_a_curve_is_its_cheapest_point_over_the_goal() -> None:
    points = (CurvePoint(9.0, 0.5, (1.0, 0.0), 1.0), CurvePoint(1.0, 0.86, (0.5, 0.5), 5.0),
              CurvePoint(0.0, 0.9, (0.0, 1.0), 10.0))
    curve = Curve(("a", "b"), 1, 0, points, (0.5, 0.9), (1.0, 10.0))
    assert curve.operating_point(0.95) is points[1]  # 0.86 >= 0.95 * 0.9
    assert curve.operating_point(1.0) is points[2]


def test_training_is_deterministic_for_a_seed_and_the_seed_matters(tmp_path: Path) -> None:
    history = graded_history.history(150)
    one, _ = train(history, seed=5)
    two, _ = train(history, seed=5)
    other, _ = train(history, seed=6)
    probe = ["What is 3 plus 4?", "Prove that the sequence x_(n+1) = sqrt(2 + x_n) converges."]
    assert np.array_equal(one.predict(probe), two.predict(probe))
    assert one.train_keys == two.train_keys and one.calibration == two.calibration
    assert one.train_keys != other.train_keys
    a = router_file.save(one, tmp_path / "a.router")
    b = router_file.save(two, tmp_path / "b.router")
    again = router_file.load(a)
    assert np.array_equal(again.predict(probe), router_file.load(b).predict(probe))
    assert again.models == history.models and again.learner.kind == one.learner.kind


def test_the_learner_is_chosen_on_held_out_folds(trained) -> None:
    router, selection = trained
    assert len(selection) >= 6 and {s.label.split(" ")[0] for s in selection} >= {"logistic", "kNN", "low-rank"}
    best = min(s.cost_ratio_at_target for s in selection if s.cost_ratio_at_target is not None)
    chosen = next(s for s in selection if s.label == router.learner.label)
    assert chosen.cost_ratio_at_target == best


def test_the_router_sends_hard_prompts_to_the_strong_model(trained) -> None:
    router, _ = trained
    rng = random.Random(99)  # new prompts of the same kinds, not seen in training
    probs = router.predict([graded_history.prompt(0, rng), graded_history.prompt(2, rng)])
    assert probs[0, 0] > 0.7 and probs[1, 0] < 0.3 and probs[1, 2] > 0.7


def test_split_holds_out_the_fraction_and_bad_fractions_are_refused() -> None:
    train_rows, test_rows = split(100, 0.3, 1)
    assert len(test_rows) == 30 and not set(train_rows) & set(test_rows)
    with pytest.raises(GradedHistoryError, match="test-fraction"):
        split(100, 1.0, 1)


def test_a_history_too_small_to_train_is_a_sentence() -> None:
    with pytest.raises(GradedHistoryError, match="at least 20"):
        train(graded_history.history(12), seed=0)


def test_curve_runs_from_the_cheapest_model_through_the_best_per_prompt_to_the_dearest() -> None:
    history = graded_history.history(60)
    rel = relative_costs(history.cost_usd)
    curve = sweep(history.passed, history.passed, history.cost_usd, history.models, rel)  # a perfect oracle
    assert curve.points[0].shares[0] == 1.0 and curve.points[-1].shares[2] == 1.0
    at_zero = min(curve.points, key=lambda p: abs(p.lam))
    assert at_zero.pass_rate == pytest.approx(history.passed.max(axis=1).mean())
    assert at_zero.cost_per_1k < curve.single_costs_per_1k[2]  # the oracle passes as often for less


def test_knn_is_left_out_where_its_decision_would_pass_the_latency_budget() -> None:
    from console.core.learned_router.learners import KNN_MAX_TRAIN, candidates_for

    assert any(kind == "knn" for kind, _ in candidates_for(KNN_MAX_TRAIN))
    big = candidates_for(KNN_MAX_TRAIN + 1)
    assert big and all(kind != "knn" for kind, _ in big)
