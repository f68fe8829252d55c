"""Training a router: split, choose the learner on held-out folds, calibrate, fit, and say so as it goes.

1. The graded prompts are split once (``test_fraction``, ``seed``): the test part is never seen here;
   ``routedesk router eval`` measures on it.
2. Each candidate learner (``learners.candidates_for``: kNN only up to 4,000 training prompts, as its
   per-request cost grows with them) predicts every training prompt from the other folds.
   The winner is the one whose out-of-fold curve reaches the target at the lowest cost (log loss breaks
   ties): chosen on held-out data, not by taste.
3. The winner's out-of-fold curve is the calibration: for any target a policy names later, the
   cheapest operating point that met it on prompts the learner had not seen.
4. The winner is fitted on every training prompt and saved with the calibration.

The same history, seed and fraction give the same router, bit for bit in its decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from console.core.learned_router.curve import relative_costs, sweep
from console.core.learned_router.features import prompt_features
from console.core.learned_router.graded import GradedHistory, GradedHistoryError, prompt_key
from console.core.learned_router.learners import FeatureScaler, Learner, candidates_for, fit, held_out_predictions
from console.core.learned_router.router_file import Calibration, TrainedRouter

if TYPE_CHECKING:
    from numpy.typing import NDArray

Progress = Callable[[int, int, str], None]   # (done, total, what is being done)
FOLDS = 3
MIN_TRAIN = 20


@dataclass(frozen=True)
class Selection:
    label: str
    cost_ratio_at_target: float | None   # the operating point's cost over the strongest model's; None: never met
    log_loss: float


def split(n: int, test_fraction: float, seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train rows, test rows): one seeded permutation, the first ``test_fraction`` of it held out."""
    if not 0 <= test_fraction < 1:
        raise GradedHistoryError(f"--test-fraction must be at least 0 and below 1, not {test_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(test_fraction * n))
    return np.sort(order[cut:]), np.sort(order[:cut])


def _log_loss(probs: NDArray[np.float64], passed: NDArray[np.float64]) -> float:
    p = np.clip(probs, 1e-6, 1 - 1e-6)
    return float(-(passed * np.log(p) + (1 - passed) * np.log(1 - p)).mean())


def train(history: GradedHistory, *, test_fraction: float = 0.3, seed: int = 0, target: float = 0.95,
          progress: Progress | None = None) -> tuple[TrainedRouter, list[Selection]]:
    """The trained router and how every candidate learner did on held-out folds."""
    tell = progress or (lambda done, total, what: None)
    train_rows, test_rows = split(len(history), test_fraction, seed)
    if len(train_rows) < MIN_TRAIN:
        raise GradedHistoryError(f"{history.source}: {len(train_rows)} training prompts; at least {MIN_TRAIN} are needed")
    total = 1 + FOLDS + 1
    tell(0, total, f"embedding {len(history)} prompts")
    emb_all, cheap_all = prompt_features(history.prompts)
    emb, cheap = emb_all[train_rows], cheap_all[train_rows]
    passed, cost = history.passed[train_rows], history.cost_usd[train_rows]
    scaler = FeatureScaler.fit(cheap, emb)
    x = scaler.design(emb, cheap)
    rel_cost = relative_costs(cost)
    folds = np.random.default_rng(seed + 1).permutation(len(train_rows)) % FOLDS
    candidates = candidates_for(len(train_rows))
    oof = {candidate: np.empty_like(passed) for candidate in candidates}
    for k in range(FOLDS):
        tell(1 + k, total, f"{len(candidates)} learners on fold {k + 1} of {FOLDS}")
        inside, out = folds != k, folds == k
        for candidate, probs in held_out_predictions(x[inside], emb[inside], passed[inside], x[out], emb[out],
                                                     seed, candidates).items():
            oof[candidate][out] = probs
    results: list[tuple[Selection, NDArray[np.float64], tuple[str, float]]] = []
    for kind, param in candidates:
        curve = sweep(oof[(kind, param)], passed, cost, history.models, rel_cost)
        point = curve.operating_point(target)
        strongest_cost = curve.single_costs_per_1k[curve.strongest] or 1.0
        ratio = None if point is None else point.cost_per_1k / strongest_cost
        label = Learner(kind, param).label
        results.append((Selection(label, ratio, _log_loss(oof[(kind, param)], passed)), oof[(kind, param)],
                        (kind, param)))
    done = 1 + FOLDS
    best_sel, best_oof, (kind, param) = min(
        results, key=lambda r: (r[0].cost_ratio_at_target if r[0].cost_ratio_at_target is not None else 9e9,
                                r[0].log_loss))
    tell(done, total, f"fitting {best_sel.label} on {len(train_rows)} prompts")
    curve = sweep(best_oof, passed, cost, history.models, rel_cost)
    top = curve.strongest_pass_rate or 1.0
    calibration = Calibration([p.lam for p in curve.points], [p.pass_rate / top for p in curve.points],
                              [p.cost_per_1k for p in curve.points])
    final = fit(kind, param, x, emb, passed, seed)
    tell(total, total, "done")
    info = {"source": history.source, "seed": seed, "test_fraction": test_fraction, "target": target,
            "trained_on": len(train_rows), "held_out": len(test_rows), "strongest": history.models[curve.strongest],
            "learner_label": final.label,
            "selection": [{"learner": s.label, "cost_ratio_at_target": s.cost_ratio_at_target, "log_loss": s.log_loss}
                          for s, _, _ in results]}
    router = TrainedRouter(history.models, rel_cost, final, scaler, calibration, info,
                           frozenset(prompt_key(history.prompts[i]) for i in train_rows),
                           frozenset(prompt_key(history.prompts[i]) for i in test_rows))
    return router, [s for s, _, _ in results]
