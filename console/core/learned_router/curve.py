"""Quality against cost: how a router's operating point trades pass rate for calls to dear models.

At operating point ``lam`` a prompt goes to the model with the best ``P(pass) - lam × relative cost``
(ties to the cheaper one). ``lam`` high sends everything to the cheapest model; ``lam`` 0 sends each
prompt to the model most likely to pass; below 0 the curve goes on to every prompt on the dearest
model, so it spans the same range as the models alone. With two models this is RouteLLM's threshold on
``P(strong passes) - P(weak passes)``; with more it is the same rule, one line per model.

Every curve here is measured on graded prompts: the pass rate is how many routed prompts the
chosen model actually passed. The random router and the longest-prompt heuristic mix the cheapest
and the strongest model only, as the baselines of the done-when goal do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

MAX_POINTS = 400


@dataclass(frozen=True)
class CurvePoint:
    lam: float
    pass_rate: float
    shares: tuple[float, ...]   # per model, the share of calls it gets
    cost_per_1k: float          # US dollars per 1,000 requests


@dataclass(frozen=True)
class Curve:
    models: tuple[str, ...]
    strongest: int              # index of the model with the best pass rate alone
    cheapest: int
    points: tuple[CurvePoint, ...]   # from all-cheapest (high lam) to all-dearest (lam very negative)
    single_pass_rates: tuple[float, ...]     # each model alone
    single_costs_per_1k: tuple[float, ...]

    @property
    def strongest_pass_rate(self) -> float:
        return self.single_pass_rates[self.strongest]

    def operating_point(self, target: float) -> CurvePoint | None:
        """The cheapest point reaching ``target`` × the strongest model's pass rate (None: none does)."""
        goal = target * self.single_pass_rates[self.strongest] - 1e-12
        meeting = [p for p in self.points if p.pass_rate >= goal]
        return min(meeting, key=lambda p: (p.cost_per_1k, -p.lam)) if meeting else None


def relative_costs(cost_usd: "NDArray[np.float64]") -> "NDArray[np.float64]":
    """Each model's mean cost over the dearest one's (0..1); by naming order when nothing has a price."""
    mean = cost_usd.mean(axis=0)
    if mean.max() <= 0:
        return (np.arange(len(mean)) + 1.0) / len(mean)
    return np.asarray(mean / mean.max(), dtype=np.float64)


def choose(probs: "NDArray[np.float64]", rel_cost: "NDArray[np.float64]", lam: float) -> "NDArray[np.int64]":
    score = probs - lam * rel_cost - 1e-9 * rel_cost  # the tiny term breaks ties toward the cheaper model
    return np.asarray(np.argmax(score, axis=1), dtype=np.int64)


def lam_grid(probs: "NDArray[np.float64]", rel_cost: "NDArray[np.float64]") -> "NDArray[np.float64]":
    """Operating points where some prompt changes model: pairwise breakpoints, thinned to MAX_POINTS."""
    breaks = [np.array([-1e6, 0.0, 1e6])]
    m = probs.shape[1]
    for a in range(m):
        for b in range(m):
            dc = rel_cost[a] - rel_cost[b]
            if dc > 0:
                breaks.append((probs[:, a] - probs[:, b]) / dc)
    grid = np.unique(np.concatenate(breaks))
    if len(grid) > MAX_POINTS:
        grid = np.unique(np.quantile(grid, np.linspace(0, 1, MAX_POINTS)))
    # just above each breakpoint, so a point routes the prompts at the break the cheaper way
    return np.asarray(np.sort(grid * (1 + 1e-9) + 1e-12)[::-1], dtype=np.float64)


def sweep(probs: "NDArray[np.float64]", passed: "NDArray[np.float64]", cost_usd: "NDArray[np.float64]",
          models: Sequence[str], rel_cost: "NDArray[np.float64]",
          lams: "NDArray[np.float64] | None" = None) -> Curve:
    """The measured curve of a router's predictions ``probs`` over graded prompts."""
    grid = lam_grid(probs, rel_cost) if lams is None else lams
    rows = np.arange(len(passed))
    points = []
    for lam in grid:
        picked = choose(probs, rel_cost, float(lam))
        shares = np.bincount(picked, minlength=len(models)) / max(len(picked), 1)
        points.append(CurvePoint(float(lam), float(passed[rows, picked].mean()),
                                 tuple(float(s) for s in shares), float(cost_usd[rows, picked].mean() * 1000)))
    return _curve(models, passed, cost_usd, rel_cost, points)


def _curve(models: Sequence[str], passed: "NDArray[np.float64]", cost_usd: "NDArray[np.float64]",
           rel_cost: "NDArray[np.float64]", points: list[CurvePoint]) -> Curve:
    rates = passed.mean(axis=0)
    strongest = int(np.lexsort((rel_cost, -rates))[0])  # best pass rate; the cheaper one on a tie
    return Curve(tuple(models), strongest, int(np.argmin(rel_cost)), tuple(points),
                 tuple(float(r) for r in rates), tuple(float(c) * 1000 for c in cost_usd.mean(axis=0)))


def two_model_share_needed(order_key: "NDArray[np.float64]", passed: "NDArray[np.float64]", weak: int, strong: int,
                           target: float) -> float:
    """Share of prompts sent to ``strong`` (largest ``order_key`` first) to reach the target; 1.0 if never."""
    n = len(passed)
    order = np.argsort(-order_key, kind="stable")
    gain = passed[order, strong] - passed[order, weak]
    rate = passed[:, weak].sum() / n + np.concatenate([[0.0], np.cumsum(gain)]) / n
    goal = target * passed[:, strong].mean() - 1e-12
    reached = np.nonzero(rate >= goal)[0]
    return float(reached[0] / n) if len(reached) else 1.0


def random_share_needed(passed: "NDArray[np.float64]", weak: int, strong: int, target: float) -> float:
    """A random router's expected share of ``strong`` calls to reach the target (a straight line)."""
    q_weak, q_strong = passed[:, weak].mean(), passed[:, strong].mean()
    goal = target * q_strong
    if q_weak >= goal:
        return 0.0
    return float(min(1.0, (goal - q_weak) / (q_strong - q_weak))) if q_strong > q_weak else 1.0
