"""Staged rollouts: where each stands, its guardrails, and moving it on or back (``routedesk rollout``, the Rollout page).

A rollout's state lives in the routing log, so every process sees one state: the window, the CLI
and ``routedesk serve`` each reach it through a ``Rollouts`` (the Workspace's ``rollouts``, or
``open_rollouts(url)`` for a command that does not route). Changes are compare-and-set: a call
made on a state another process has moved on raises ``RolloutConflict`` saying where it is now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.core.policy.schema import Policy
from console.core.rollout.guardrails import BREACH, PASS, WAITING, GuardrailCheck
from console.core.rollout.service import RolloutStatus, Rollouts
from console.core.rollout.state import (
    ACTIVE, COMPLETE, HELD, ROLLED_BACK, RolloutConflict, RolloutError, RolloutEvent, RolloutState,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "ACTIVE", "BREACH", "COMPLETE", "HELD", "PASS", "ROLLED_BACK", "WAITING", "GuardrailCheck", "OpenRollouts",
    "RolloutConflict", "RolloutError", "RolloutEvent", "RolloutState", "RolloutStatus", "Rollouts",
    "advance_rollout", "open_rollouts", "rollback_rollout", "rollout_history", "rollout_status", "share_over_time",
]


class OpenRollouts:
    """``Rollouts`` over a log opened for a command; close() (or ``with``) disposes of the log."""

    def __init__(self, db: "Engine") -> None:
        self.db = db
        self.rollouts = Rollouts(lambda: db)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Rollouts:
        return self.rollouts

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_rollouts(url: str | None = None) -> OpenRollouts:
    """The rollouts of the log at ``url`` (None: the default log); LogError when it cannot be opened."""
    from console.core.app.log import open_log_for_writing

    return OpenRollouts(open_log_for_writing(url))


def rollout_status(rollouts: Rollouts, policy: Policy, route: str | None = None, *, check: bool = False) -> list[RolloutStatus]:
    """Each rollout of ``policy`` (or one route) with its guardrails now. ``check`` acts as the periodic
    check does: a breach rolls back or holds, a due step advances."""
    return rollouts.status(policy, route, act=check, by="guardrail")


def advance_rollout(rollouts: Rollouts, policy: Policy, route: str, *, by: str,
                    expected_step: int | None = None) -> RolloutState:
    """One step on (a rolled-back rollout starts again at its first step)."""
    return rollouts.advance(policy, route, by=by, expected_step=expected_step)


def rollback_rollout(rollouts: Rollouts, policy: Policy, route: str, *, by: str) -> RolloutState:
    """Share 0: the route's traffic back on the model the candidate replaces."""
    return rollouts.rollback(policy, route, by=by)


def rollout_history(rollouts: Rollouts, policy: Policy, route: str) -> list[RolloutEvent]:
    return rollouts.history(policy, route)


def share_over_time(events: list[RolloutEvent], now: float) -> tuple[list[float], list[float]]:
    """The candidate's share as a step line (times, percents) from the events, held until ``now``."""
    times: list[float] = []
    shares: list[float] = []
    for event in events:
        if shares:  # the share held until this event, then jumps
            times.append(event.ts)
            shares.append(shares[-1])
        times.append(event.ts)
        shares.append(event.share)
    if shares:
        times.append(max(now, times[-1]))
        shares.append(shares[-1])
    return times, shares
