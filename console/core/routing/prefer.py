"""Put a caller's chosen model first in a plan, keeping the route's other candidates as its fallbacks.

The local endpoint lets a client name a model alias in the OpenAI ``model`` field. That model is
tried first, then the rest of the route in its own order. The planner's verdict still stands: a
preferred model the plan dropped (over the cost ceiling, region not allowed, circuit open...) stays
dropped with its reason, and the route's other candidates answer instead.
"""

from __future__ import annotations

from dataclasses import replace

from console.core.routing.types import Plan


def prefer_model(plan: Plan, alias: str) -> Plan:
    """``plan`` with ``alias``'s candidate moved to the front (unchanged when it is not in the plan)."""
    chosen = [c for c in plan.candidates if c.model == alias and c.via_budget is None]
    if not chosen or plan.candidates[0] is chosen[0]:
        return plan
    rest = [c for c in plan.candidates if c is not chosen[0]]
    ordered = [chosen[0], *rest]
    return replace(plan, candidates=tuple(replace(c, position=i) for i, c in enumerate(ordered)))
