"""Measuring a router on graded prompts it did not train on, against the baselines of the goal.

The report holds the router's measured curve (pass rate against each model's share of calls and the
cost per 1,000 requests), each model alone, the random router between the cheapest and the strongest
model, the heuristic that sends the longest prompts to the strongest, and two operating points for
the target: the calibrated one (chosen before seeing these prompts: what a policy gets) and the best
one on this curve (how RouteLLM reports its results).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from console.core.learned_router.curve import (
    Curve, CurvePoint, choose, random_share_needed, sweep, two_model_share_needed,
)
from console.core.learned_router.graded import GradedHistory, GradedHistoryError, prompt_key
from console.core.learned_router.router_file import TrainedRouter

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class EvalReport:
    """Shares are of calls to the strongest model; ``None`` where the target is never reached."""

    source: str
    prompts: int
    excluded_trained: int
    target: float
    curve: Curve
    calibrated: CurvePoint           # the router file's operating point, applied here
    calibrated_met: bool             # whether the calibration found a point for the target at all
    best: CurvePoint | None          # the cheapest point of this curve meeting the target
    random_share: float
    longest_share: float
    router_share: float              # the strongest model's share at ``best`` (1.0 when never met)
    longest_curve: tuple[tuple[float, float], ...] = ()   # (cost per 1k, pass rate), longest prompts first

    @property
    def strongest(self) -> str:
        return self.curve.models[self.curve.strongest]


def evaluate(router: TrainedRouter, history: GradedHistory, *, target: float = 0.95) -> EvalReport:
    """The router's curve on ``history``'s prompts, leaving out any it was trained on."""
    index = {m: i for i, m in enumerate(history.models)}
    missing = [m for m in router.models if m not in index]
    if missing:
        raise GradedHistoryError(f"{history.source}: no grades for the router's model(s) {', '.join(missing)}")
    cols = [index[m] for m in router.models]
    keep = np.array([prompt_key(p) not in router.train_keys for p in history.prompts], dtype=bool)
    if not keep.any():
        raise GradedHistoryError(f"{history.source}: every prompt was used to train this router; "
                                 "evaluate on prompts it has not seen")
    rows = np.nonzero(keep)[0]
    passed, cost = history.passed[rows][:, cols], history.cost_usd[rows][:, cols]
    probs = router.predict([history.prompts[i] for i in rows])
    curve = sweep(probs, passed, cost, router.models, router.rel_cost)
    lam, met = router.calibration.lam_for(target)
    picked = choose(probs, router.rel_cost, lam)
    n = len(rows)
    calibrated = CurvePoint(lam, float(passed[np.arange(n), picked].mean()),
                            tuple(float(s) for s in np.bincount(picked, minlength=len(cols)) / n),
                            float(cost[np.arange(n), picked].mean() * 1000))
    best = curve.operating_point(target)
    weak, strong = curve.cheapest, curve.strongest
    lengths = np.array([len(history.prompts[i]) for i in rows], dtype=np.float64)
    return EvalReport(history.source, n, int((~keep).sum()), target, curve, calibrated, met, best,
                      random_share_needed(passed, weak, strong, target),
                      two_model_share_needed(lengths, passed, weak, strong, target),
                      best.shares[strong] if best is not None else 1.0,
                      _longest_curve(lengths, passed, cost, weak, strong))


def _longest_curve(lengths: "NDArray[np.float64]", passed: "NDArray[np.float64]", cost: "NDArray[np.float64]",
                   weak: int, strong: int, points: int = 50) -> tuple[tuple[float, float], ...]:
    """The heuristic's curve: the longest k prompts to the strongest model, the rest to the cheapest."""
    n = len(lengths)
    order = np.argsort(-lengths, kind="stable")
    gain = np.concatenate([[0.0], np.cumsum(passed[order, strong] - passed[order, weak])])
    extra = np.concatenate([[0.0], np.cumsum(cost[order, strong] - cost[order, weak])])
    base_pass, base_cost = passed[:, weak].sum(), cost[:, weak].sum()
    ks = np.unique(np.linspace(0, n, points + 1).round().astype(int))
    return tuple((float((base_cost + extra[k]) / n * 1000), float((base_pass + gain[k]) / n)) for k in ks)
