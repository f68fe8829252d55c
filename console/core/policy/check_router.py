"""Checks on a route's ``router:`` entry: the router file can be read, and it knows the route's models.

Only warnings: a route whose router cannot be used still answers in its static order (see
``learned_router/in_plan.py``), so the policy stays valid; the warning says what will happen.
"""

from __future__ import annotations

from console.core.policy.check_report import CheckReport
from console.core.policy.schema import Policy


def check_routers(policy: Policy, report: CheckReport) -> None:
    for task, route in policy.routes.items():
        if route.router is None:
            continue
        from console.core.learned_router.in_plan import cached_router

        where = ("routes", task, "router", "file")
        router = cached_router(route.router.file)
        if isinstance(router, str):
            report.warn(where, f"{router}: the route will keep its static order", code="router-unusable",
                        found=route.router.file)
            continue
        known = set(router.models)
        matched = [c for c in route.candidates
                   if c in known or (c in policy.models and policy.models[c].model in known)]
        if len(matched) < 2:
            report.warn(where, f"the router knows {len(matched)} of this route's candidates (it was trained on "
                        f"{', '.join(router.models)}): it can reorder nothing", code="router-models",
                        found=route.router.file)
        elif len(matched) < len(router.models):
            report.warn(where, f"the router was calibrated choosing among {len(router.models)} models "
                        f"({', '.join(router.models)}); this route offers {len(matched)} of them, so its target is not "
                        "calibrated here: train a router on these models", code="router-subset",
                        found=route.router.file)
