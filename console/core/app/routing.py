"""Route and explain: the Engine's two questions, and the types their answers come in.

Front ends route through ``workspace.engine(policy, path)`` (the one engine per policy and event
loop) and read what comes back as these plain types; ``explain`` plans without calling anyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.request import Message, Request
from console.core.routing.events import Delta, Discarded, RouteEvent, RouteResult, Started
from console.core.routing.types import Classified, Plan

__all__ = [
    "Classified", "Delta", "Discarded", "Engine", "Message", "Plan", "Request", "RouteEvent", "RouteResult",
    "Started", "explain", "rules_task",
]


def explain(policy: Policy, request: Request, *, path: str | Path | None = None, task: str | None = None,
            missing_keys: Mapping[str, str] | None = None) -> Plan:
    """The task, its reason and the ordered plan for ``request``, by rules; no model is called, nothing logged.

    ``missing_keys`` (``keys.missing_keys``, which may block on the keyring) drops keyless models with the reason.
    """
    return Engine(policy, policy_path=path).explain(request, task=task, missing_keys=missing_keys)


def rules_task(request: Request, policy: Policy) -> str:
    """The task the policy's rules give ``request`` (no classifier model is asked)."""
    from console.core.routing.classify import classify_by_rules

    return classify_by_rules(request, policy).task
