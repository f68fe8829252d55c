"""Learned routers in a What-if replay: each logged request's plan reordered by its own prompt.

Replay plans one request per group of identical plan inputs, which leaves out the prompt text; a
route with a router orders its candidates per prompt. So, after the grouped plans are made, every
request of such a route that kept its prompt text gets the router's order: one batch prediction per
route, and one reordered copy of a group's plan per distinct order (a handful), so the report reads
the same plans it always does. Requests logged without their prompt keep the static order and are
counted. Budgets are spent on the grouped plans' first choices, before this step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

import numpy as np

from console.core.learned_router.in_plan import cached_router, reorder

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from console.core.policy.schema import Policy
    from console.core.routing.types import Plan


def apply_routers(policy: "Policy", tasks: Sequence[str], prompts: Sequence[str | None], plans: list["Plan"],
                  plan_of: "NDArray[np.int64]") -> tuple[list["Plan"], "NDArray[np.int64]", int]:
    """(plans with the routers' variants added, each request's plan, requests left in static order for want of a prompt)."""
    routed = {task: route.router for task, route in policy.routes.items() if route.router is not None}
    if not routed:
        return plans, plan_of, 0
    plans, plan_of = list(plans), plan_of.copy()
    variants: dict[tuple[int, tuple[str, ...]], int] = {}
    no_prompt = 0
    task_array = np.asarray(tasks, dtype=object)
    for task, ref in routed.items():
        rows = np.flatnonzero(task_array == task)
        if not len(rows):
            continue
        with_text = [i for i in rows.tolist() if prompts[i] and str(prompts[i]).strip()]
        no_prompt += len(rows) - len(with_text)
        router = cached_router(ref.file)
        if isinstance(router, str) or not with_text:
            continue  # the grouped plans already carry the warning and the static order
        texts = sorted({str(prompts[i]) for i in with_text})
        probs = router.predict(texts)
        row_of = {text: k for k, text in enumerate(texts)}
        for i in with_text:
            base = int(plan_of[i])
            ordered, note, _ = reorder(list(plans[base].candidates), router, probs[row_of[str(prompts[i])]], ref, policy)
            key = (base, tuple(d.model for d in ordered if d.kept))
            known = variants.get(key)
            if known is None:
                known = variants[key] = len(plans)
                plans.append(replace(plans[base], candidates=tuple(ordered), router_note=note))
            plan_of[i] = known
    return plans, plan_of, no_prompt
