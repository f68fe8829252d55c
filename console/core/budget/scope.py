"""Whether a call counts against a budget: each field of its scope either unset or equal to the call's.

``model`` is the policy's model alias and ``provider`` the policy's provider name, as a plan and
the log both name them; ``team`` comes from the request's metadata.
"""

from __future__ import annotations

from console.core.policy.schema import BudgetScope


def scope_covers(scope: BudgetScope, *, task: str, team: str | None, provider: str, model: str) -> bool:
    """True when a call on ``model`` (of ``provider``) for ``task`` and ``team`` counts against ``scope``."""
    return (
        (scope.task is None or scope.task == task)
        and (scope.team is None or scope.team == team)
        and (scope.provider is None or scope.provider == provider)
        and (scope.model is None or scope.model == model)
    )

