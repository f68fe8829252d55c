"""The statistics behind the console's rates and drift flags, in plain Python and numpy.

Wilson score intervals for rates; a one-sided two-proportion z-test for "is the recent failure
rate worse than the baseline"; a one-sided Mann-Whitney U test (normal approximation with tie
correction) for "are recent latencies larger". No SciPy: the normal tail comes from ``math.erfc``.
"""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (sane at 0, 1 and small n)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # At 0 or n events the bounds are exactly 0 or 1; rounding must not nudge them off.
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= trials else min(1.0, centre + half)
    return low, high


def two_proportion_worse_p(recent_events: int, recent_n: int, base_events: int, base_n: int) -> float:
    """One-sided p-value that the recent proportion exceeds the baseline one (pooled z-test)."""
    if recent_n <= 0 or base_n <= 0:
        return 1.0
    pooled = (recent_events + base_events) / (recent_n + base_n)
    if pooled <= 0.0 or pooled >= 1.0:
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / recent_n + 1 / base_n))
    z = (recent_events / recent_n - base_events / base_n) / se
    return normal_sf(z)


def mann_whitney_greater_p(recent: np.ndarray, baseline: np.ndarray) -> float:
    """One-sided p-value that values in ``recent`` tend to be larger than in ``baseline``."""
    n1, n2 = len(recent), len(baseline)
    if n1 == 0 or n2 == 0:
        return 1.0
    combined = np.concatenate([recent, baseline])
    order = np.argsort(combined, kind="mergesort")
    sorted_values = combined[order]
    # Average ranks over ties.
    _, first_index, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    average_rank = first_index + (counts + 1) / 2.0
    ranks = np.empty(len(combined))
    ranks[order] = np.repeat(average_rank, counts)
    u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    tie_term = float((counts**3 - counts).sum()) / (n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    if sigma == 0.0:
        return 1.0
    z = (u1 - n1 * n2 / 2.0 - 0.5) / sigma  # continuity correction
    return normal_sf(z)
