"""After a pilot: the policy with the candidate placed first in the task's route.

Pure: returns a new Policy and leaves the given one alone; the window opens the result in the
policy editor for a person to review and save. A candidate that is not yet an alias of the
policy cannot be placed, and the error says so.
"""

from __future__ import annotations

from console.core.policy.schema import Policy


class RouteEditError(ValueError):
    """The route cannot be edited this way; the message says why."""


def candidate_first(policy: Policy, task: str, candidate: str) -> Policy:
    if task not in policy.routes:
        raise RouteEditError(f"the policy has no route for task {task!r} (routes: {', '.join(sorted(policy.routes))})")
    if candidate not in policy.models:
        raise RouteEditError(f"{candidate!r} is not a model alias of policy {policy.name!r}; add it under models first")
    edited = policy.model_copy(deep=True)
    route = edited.routes[task]
    route.candidates = [candidate] + [c for c in route.candidates if c != candidate]
    return edited
