"""What the OpenAI ``model`` field means to Routedesk, and what ``GET /v1/models`` lists.

- ``auto``: classify the request by the policy (rules or its classifier model), then route.
- a task name (one with a route): route as that task, no classification. A task wins over a
  model alias of the same name.
- a model alias that some route names: that model first, then the rest of that route as its
  fallbacks. The route is the one of the task that names the alias; when several do, the task the
  policy's rules classify the request as, if it is one of them, else the first such task in the
  policy file. The planner still applies: an alias the plan drops (cost ceiling, region, open
  circuit...) is skipped with its reason and the route's other models answer.
Aliases that no route names (a classifier model, a budget's fallback only) are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.app.routing import rules_task

AUTO = "auto"


@dataclass(frozen=True)
class Target:
    """How to route one call: as ``task`` (None: classify), trying ``prefer`` first."""

    task: str | None = None
    prefer: str | None = None


class UnknownModel(LookupError):
    """The ``model`` names nothing this policy routes."""


def routable_aliases(policy: Policy) -> list[str]:
    """Model aliases that at least one route names, in the policy's model order."""
    named = {alias for route in policy.routes.values() for alias in route.candidates}
    return [alias for alias in policy.models if alias in named]


def resolve_target(policy: Policy, model: str, request: Request) -> Target:
    """The target ``model`` names for ``request``; UnknownModel when it names nothing routable."""
    if model == AUTO:
        return Target()
    if model in policy.tasks and model in policy.routes:
        return Target(task=model)
    if model in policy.models:
        tasks = [task for task, route in policy.routes.items() if model in route.candidates]
        if not tasks:
            raise UnknownModel(f"model '{model}' is in the policy but no route uses it, so the endpoint cannot route to it")
        if len(tasks) > 1:
            classified = rules_task(request, policy)
            task = classified if classified in tasks else tasks[0]
        else:
            task = tasks[0]
        return Target(task=task, prefer=model)
    offered = ", ".join([AUTO, *[t for t in policy.tasks if t in policy.routes], *routable_aliases(policy)])
    raise UnknownModel(f"The model '{model}' does not exist in policy '{policy.name}'. Available: {offered}")


def model_list(policy: Policy) -> dict[str, Any]:
    """The ``GET /v1/models`` body: auto, the tasks, then the routable model aliases."""

    def entry(name: str, kind: str, description: str | None) -> dict[str, Any]:
        return {
            "id": name,
            "object": "model",
            "created": 0,
            "owned_by": "routedesk",
            "routedesk": {"kind": kind, "description": description},
        }

    data = [entry(AUTO, "auto", "classify the request by the policy, then route it")]
    data += [entry(name, "task", task.description) for name, task in policy.tasks.items() if name in policy.routes]
    data += [
        entry(alias, "model", f"{policy.models[alias].provider}/{policy.models[alias].model}, with its route's fallbacks")
        for alias in routable_aliases(policy)
    ]
    return {"object": "list", "data": data}
