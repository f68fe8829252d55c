"""The intervals the guardrails judge by: two proportions, a percentile, a mean.

* Failure rate: Newcombe's hybrid score interval for the difference of two proportions (Newcombe,
  "Interval estimation for the difference between independent proportions", Statistics in
  Medicine 17, 1998, method 10), built from Wilson score intervals. Unlike the textbook Wald
  interval it stays sound when failures are rare (0 of 300) — the usual case for a healthy arm.
  The Wilson interval itself is ``console.core.ledger.stats.wilson_interval``.
* p95 latency: a distribution-free interval for a percentile from order statistics (the ranks
  around n·q by the normal approximation to the binomial).
* Cost per request: the mean ± z·s/√n.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Sequence

from console.core.ledger.stats import wilson_interval


def z_for(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 for 0.95."""
    return NormalDist().inv_cdf((1 + confidence) / 2)


#: The Wilson score interval (failures, n, z) -> (lower, upper): the ledger's, not a second copy.
wilson = wilson_interval


def proportion_difference(x_a: int, n_a: int, x_b: int, n_b: int, confidence: float) -> tuple[float, float, float]:
    """(p_b − p_a, lower, upper): Newcombe's interval for B's rate minus A's."""
    z = z_for(confidence)
    p_a, p_b = x_a / n_a, x_b / n_b
    l_a, u_a = wilson(x_a, n_a, z)
    l_b, u_b = wilson(x_b, n_b, z)
    d = p_b - p_a
    return d, d - math.sqrt((p_b - l_b) ** 2 + (u_a - p_a) ** 2), d + math.sqrt((u_b - p_b) ** 2 + (p_a - l_a) ** 2)


def percentile_interval(values: Sequence[float], q: float, confidence: float) -> tuple[float, float, float]:
    """(estimate, lower, upper) of the q-th quantile of ``values`` (sorted here)."""
    ordered = sorted(values)
    n = len(ordered)
    z = z_for(confidence)
    centre = n * q
    spread = z * math.sqrt(n * q * (1 - q))
    low = max(0, math.floor(centre - spread) - 1)
    high = min(n - 1, math.ceil(centre + spread))
    estimate = ordered[min(n - 1, max(0, math.ceil(centre) - 1))]
    return estimate, ordered[low], ordered[high]


def mean_interval(n: int, total: float, total_squares: float, confidence: float) -> tuple[float, float, float]:
    """(mean, lower, upper) from a count, a sum and a sum of squares (what SQL aggregates give)."""
    mean = total / n
    variance = max(0.0, (total_squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    half = z_for(confidence) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def ratio_interval(b: tuple[float, float, float], a: tuple[float, float, float]) -> tuple[float, float, float]:
    """B relative to A, as (estimate, lower, upper) of b/a − 1 from each one's (estimate, lower, upper).

    The bounds pair B's low with A's high (and the reverse), so only a difference that both
    intervals agree on counts. Where A is 0, any B above 0 is an infinite increase.
    """
    def rel(x: float, y: float) -> float:
        if y <= 0:
            return 0.0 if x <= 0 else math.inf
        return x / y - 1

    return rel(b[0], a[0]), rel(b[1], a[2]), rel(b[2], max(a[1], 0.0))
