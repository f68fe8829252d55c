"""The rollouts half of section 5: each staged rollout of the policy that moved in the period, read
by the rollout feature's own functions (state, events, arm traffic), with the saving it realised.

Realised saving: the baseline arm's cost per request minus the candidate's, both measured on the
same route over the same period, times the candidate arm's requests, scaled to 30 days of the
rollout's time within the period. A log
written before rollouts existed has no such tables: the section is then empty, not an error.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from console.core.review.figures import ArmLine, RolloutLine
from console.core.review.period import ReviewPeriod

MONTH_S = 30 * 86400.0


def _event_words(action: str, share: float, by: str, ts: float) -> str:
    day = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")
    return f"{day} {action} to {share:g}%" + (f" (by {by})" if by else "")


def rollout_lines(db: Engine, period: ReviewPeriod, policy_name: str) -> list[RolloutLine]:
    from console.core.rollout.arms import arm_traffic
    from console.core.rollout.state import read_events, read_states

    try:
        states = read_states(db, policy_name)
    except (OperationalError, ProgrammingError):
        return []  # a log from before rollouts: no rollout_state table
    lines = []
    for (_policy, route), state in sorted(states.items()):
        events = [e for e in read_events(db, policy_name, route) if period.since <= e.ts < period.until]
        if not events and not (state.started_ts < period.until and state.updated_ts >= period.since):
            continue
        traffic = arm_traffic(db, policy_name, route, period.since, period.until)
        arms = tuple(ArmLine(arm, state.candidate if arm == "candidate" else state.replaces, t.requests, t.failures,
                             t.cost_usd) for arm, t in sorted(traffic.items()))
        by_arm = {a.arm: a for a in arms}
        realised = None
        if "baseline" in by_arm and "candidate" in by_arm:
            b, c = by_arm["baseline"], by_arm["candidate"]
            running = period.until - max(state.started_ts, period.since)  # the rollout's time within the period
            realised = (b.cost_per_request - c.cost_per_request) * c.requests * MONTH_S / max(running, 1.0)
        lines.append(RolloutLine(route, state.candidate, state.replaces, state.describe(),
                                 tuple(_event_words(e.action, e.share, e.by, e.ts) for e in events), arms, realised))
    return lines
