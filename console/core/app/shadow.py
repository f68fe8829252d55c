"""Grade a route's shadow (live pilot) and manage what it collected: one use case for every front end.

``run_shadow_pilot`` is ``run_pilot`` over the cases the route's shadow collected: the baseline is
``production`` (whatever answered the request), the candidate and the bar are the route's
``shadow:`` settings, so the verdict, intervals and cost lines are the pilot's own. The run id
depends only on that set-up, so grading again later resumes it and grades only the new cases; once
a case is graded its prompt text is erased (the pilot no longer needs it). ``forget_shadow_cases``
deletes a route's collected cases outright (``routedesk pilot --from-shadow ROUTE --forget``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from console.core.app.pilot import BarError, PilotError, PilotOutcome, PilotSetupRequest, PilotSource, load_bar, run_pilot
from console.core.budget.period import period_bounds
from console.core.policy.check_shadow import bar_path
from console.core.policy.schema import Policy
from console.core.shadow.store import PRODUCTION, ShadowSpend

if TYPE_CHECKING:
    from console.core.workspace import Workspace

__all__ = ["PRODUCTION", "ShadowPilot", "ShadowSpend", "forget_shadow_cases", "run_shadow_pilot", "shadow_setup",
           "shadow_spend"]


@dataclass
class ShadowPilot:
    """A graded shadow: the pilot's outcome, the shadow spend, and how many prompts were erased now."""

    outcome: PilotOutcome
    spend: ShadowSpend
    cap_usd: float
    prompts_erased: int

    @property
    def spend_line(self) -> str:
        s = self.spend
        return (f"shadow spend on route '{s.route}': {_usd(s.today_usd)} today of the ${self.cap_usd:.2f} daily cap "
                f"({s.calls_today} calls), {_usd(s.month_usd)} in the last 30 days; counted in the budgets too")


def _usd(amount: float) -> str:
    """Cents for sums that have them; small sums keep their digits (a cheap model's day can be $0.0004)."""
    return f"${amount:,.2f}" if amount >= 0.01 else f"${amount:.6f}".rstrip("0").rstrip(".") if amount else "$0"


def shadow_setup(policy: Policy | None, policy_path: str | Path | None, route: str) -> PilotSetupRequest:
    """The pilot a route's ``shadow:`` section describes; PilotError when it has none or its bar is bad."""
    if policy is None:
        raise PilotError("a shadow pilot needs the policy that names it")
    found = policy.routes.get(route)
    if found is None:
        raise PilotError(f"the policy has no route '{route}' (routes: {', '.join(policy.routes) or 'none'})")
    if found.shadow is None:
        raise PilotError(f"route '{route}' has no shadow: add `shadow: {{model: B, sample: 0.05, max_usd_per_day: 2, "
                         "bar: bars/NAME.yaml}` to it")
    try:
        bar = load_bar(bar_path(policy_path, found.shadow.bar))
    except BarError as err:
        raise PilotError(str(err)) from None
    return PilotSetupRequest(route, PRODUCTION, (found.shadow.model,), bar, PilotSource("shadow", route))


async def run_shadow_pilot(
    workspace: "Workspace", policy: Policy | None, policy_path: str | Path | None, route: str, *,
    progress: Callable[[int, int], None] | None = None, on_start: Callable[[str, int], None] | None = None,
) -> ShadowPilot:
    """Grade what the route's shadow collected against its bar (resuming earlier grading)."""
    from console.core.shadow.store import erase_prompts

    request = shadow_setup(policy, policy_path, route)
    workspace.flush_log(10)  # shadows that finished a moment ago are readable
    outcome = await run_pilot(workspace, policy, policy_path, request, progress=progress, on_start=on_start)
    db = workspace.recorder.db  # type: ignore[attr-defined]
    graded = sorted({case for case, _ in outcome.report.cells})
    erased = await asyncio.to_thread(erase_prompts, db, graded)
    spend = await asyncio.to_thread(shadow_spend, workspace, route)
    assert policy is not None and policy.routes[route].shadow is not None
    return ShadowPilot(outcome, spend, policy.routes[route].shadow.max_usd_per_day, erased)  # type: ignore[union-attr]


def shadow_spend(workspace: "Workspace", route: str | None, *, now: float | None = None) -> ShadowSpend:
    """Shadow calls' cost today (UTC) and over 30 days, from the log (``route`` None: every route)."""
    from console.core.shadow.store import shadow_spend as read_spend

    end = time.time() if now is None else now
    try:
        db = workspace.recorder.db  # type: ignore[attr-defined]
    except Exception as err:  # an unreadable or newer log: a sentence, not a traceback
        raise PilotError(str(err)) from None
    return read_spend(db, route, day_start=period_bounds("day", end)[0], now=end + 1e-3)


def forget_shadow_cases(workspace: "Workspace", route: str) -> int:
    """Delete the route's collected shadow cases (prompts and answers); graded cells stay. How many."""
    from console.core.shadow.store import forget_cases

    try:
        db = workspace.recorder.db  # type: ignore[attr-defined]
    except Exception as err:
        raise PilotError(str(err)) from None
    workspace.flush_log(10)
    return forget_cases(db, route)
