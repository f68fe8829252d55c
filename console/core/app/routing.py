"""Route and explain: the Engine's two questions, and the types their answers come in.

Front ends route through ``workspace.engine(policy, path)`` (the one engine per policy and event
loop) and read what comes back as these plain types; ``explain`` plans without calling anyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.request import Message, Request
from console.core.routing.events import Delta, Discarded, RouteEvent, RouteResult, Started
from console.core.routing.types import Classified, Plan

__all__ = [
    "Classified", "Delta", "Discarded", "Engine", "Message", "Plan", "Request", "RouteEvent", "RouteResult",
    "Started", "explain", "first_token_history", "rules_task",
]


def explain(policy: Policy, request: Request, *, path: str | Path | None = None, task: str | None = None,
            missing_keys: Mapping[str, str] | None = None,
            ttft_history: Mapping[str, Sequence[float]] | None = None) -> Plan:
    """The task, its reason and the ordered plan for ``request``, by rules; no model is called, nothing logged.

    ``missing_keys`` (``keys.missing_keys``, which may block on the keyring) drops keyless models with the reason.
    ``ttft_history`` (``first_token_history``) gives each model the first-token deadline its history earns.
    """
    seed = {alias: list(values) for alias, values in (ttft_history or {}).items()}
    return Engine(policy, policy_path=path, ttft_seed=seed).explain(request, task=task, missing_keys=missing_keys)


def first_token_history(policy: Policy, log_url: str | None = None) -> dict[str, list[float]]:
    """Each model's recent streamed times to first token (ms, oldest first) from the log at ``log_url``.

    Read-only; a log that does not exist yet has none. Raises ``LogError`` when it cannot be read."""
    from console.core.app.log import LogError, open_log, read_error_message
    from console.core.ledger.ttft_history import recent_ttft

    db = open_log(log_url)
    try:
        return recent_ttft(db, {alias: model.model for alias, model in policy.models.items()})
    except Exception as err:  # noqa: BLE001 - said as a sentence by the caller
        raise LogError(read_error_message(log_url, err)) from None
    finally:
        db.dispose()


def rules_task(request: Request, policy: Policy) -> str:
    """The task the policy's rules give ``request`` (no classifier model is asked)."""
    from console.core.routing.classify import classify_by_rules

    return classify_by_rules(request, policy).task
