"""What the OpenAI ``model`` field means to Routedesk, and what ``GET /v1/models`` lists.

- ``auto``: classify the request by the policy (rules or its classifier model), then route.
- a task name (one with a route): route as that task, no classification. A task wins over a
  model alias of the same name.
- a model alias that some route names: that model first, then the rest of that route as its
  fallbacks. The route is the one of the task that names the alias; when several do, the task the
  policy's rules classify the request as, if it is one of them, else the first such task in the
  policy file. The planner still applies: an alias the plan drops (cost ceiling, region, open
  circuit...) is skipped with its reason and the route's other models answer.
- a hosted provider's model id (``gpt-4o``, as apps written for one provider send it): the
  routable alias whose ``model`` is that id, as if the alias were named (the first in the policy when
  several are). Aliases and tasks win over ids of the same name.
Aliases that no route names (a classifier model, a budget's fallback only) are not offered. A name
that resolves to nothing is a 404 listing every name that works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.core.policy.schema import Policy, ProviderKind
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


def hosted_aliases(policy: Policy) -> list[str]:
    """Routable aliases of hosted models: their ids are names apps know (a GGUF model's is a path)."""
    return [alias for alias in routable_aliases(policy)
            if (provider := policy.providers.get(policy.models[alias].provider)) is not None
            and provider.kind is not ProviderKind.LOCAL_GGUF]


def resolve_target(policy: Policy, model: str, request: Request) -> Target:
    """The target ``model`` names for ``request``; UnknownModel when it names nothing routable."""
    if model == AUTO:
        return Target()
    if model in policy.tasks and model in policy.routes:
        return Target(task=model)
    if model not in policy.models:
        by_id = [alias for alias in hosted_aliases(policy) if policy.models[alias].model == model]
        if by_id:
            model = by_id[0]
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
    offered = ", ".join(dict.fromkeys([AUTO, *[t for t in policy.tasks if t in policy.routes], *routable_aliases(policy)]))
    ids = ", ".join(dict.fromkeys(policy.models[a].model for a in hosted_aliases(policy)
                                  if policy.models[a].model not in policy.models))
    raise UnknownModel(f"The model '{model}' does not exist in policy '{policy.name}'. Available: {offered}"
                       + (f"; or a provider's model id: {ids}" if ids else ""))


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
