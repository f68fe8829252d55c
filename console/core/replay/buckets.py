"""Token-count breakpoints of a draft: prompt sizes between two breakpoints get the same plan.

A plan depends on the prompt's token count only through thresholds: token rules (min/max), context
windows (prompt + the route's output cap) and cost ceilings (estimated cost over ``max_cost_usd``).
Each threshold is found with the planner's own arithmetic (``pricing.cost_usd`` by bisection), so
grouping requests by bucket cannot change any plan; one request per bucket stands for them all.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from console.core.policy.schema import Condition, Policy
from console.core.pricing import PriceSheet, cost_usd

_MAX_TOKENS = 1 << 40


def _rule_points(cond: Condition) -> Iterable[int]:
    if cond.tokens is not None:
        if cond.tokens.min is not None:
            yield cond.tokens.min
        if cond.tokens.max is not None:
            yield cond.tokens.max + 1
    for part in (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ is not None else []):
        yield from _rule_points(part)


def _first_over(sheet: PriceSheet, output_tokens: int, ceiling: float) -> int | None:
    """The smallest prompt size whose estimated cost is over ``ceiling`` (None: never within reach)."""
    def over(n: int) -> bool:
        return cost_usd(sheet, input_tokens=n, output_tokens=output_tokens) > ceiling

    if over(0):
        return 0
    if not over(_MAX_TOKENS):
        return None
    low, high = 0, _MAX_TOKENS  # over(low) is False, over(high) is True
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if over(mid) else (mid, high)
    return high


def breakpoints(policy: Policy, prices: Mapping[str, PriceSheet]) -> np.ndarray:
    """Sorted prompt sizes at which some part of ``policy``'s decision may change (``prices``: the planner's)."""
    points: set[int] = set()
    for rule in policy.classification.rules:
        points.update(_rule_points(rule.when))
    for route in policy.routes.values():
        out = route.max_output_tokens
        for alias in route.candidates:
            model = policy.models.get(alias)
            if model is None:
                continue
            points.add(max(model.context_window - out + 1, 0))  # needed > window from here on
            if route.max_cost_usd is not None:
                first = _first_over(prices[alias], out, route.max_cost_usd)
                if first is not None:
                    points.add(first)
    for budget in policy.budgets:  # budget fallback models are planned on every route
        model = policy.models.get(budget.fallback_model or "")
        if model is not None:
            for route in policy.routes.values():
                points.add(max(model.context_window - route.max_output_tokens + 1, 0))
                if route.max_cost_usd is not None:
                    first = _first_over(prices[budget.fallback_model or ""], route.max_output_tokens,
                                        route.max_cost_usd)
                    if first is not None:
                        points.add(first)
    return np.array(sorted(points), dtype=np.int64)


def bucket_of(points: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Each token count's bucket: the number of breakpoints at or below it."""
    return np.searchsorted(points, tokens, side="right")


def representative(points: np.ndarray, bucket: int) -> int:
    """A prompt size inside ``bucket`` (its lower bound) to plan with."""
    return 0 if bucket == 0 else int(points[bucket - 1])
