"""What each arm of a rollout did over a period, read from the log's ``rollout_arm`` rows.

Counts, failures and cost sums come from one GROUP BY; latencies of the answered requests are
read as values for the p95 (a period of a rollout's traffic, not the whole log).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from console.core.ledger.rollouts import rollout_arm_table


@dataclass
class ArmTraffic:
    """One arm over a period: requests, failed ones, cost sum and sum of squares, answered latencies."""

    requests: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    cost_squares: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)


def arm_traffic(db: Engine, policy_name: str, route: str, since: float, until: float) -> dict[str, ArmTraffic]:
    """Each arm's traffic in [since, until); arms with no requests are absent."""
    arm = rollout_arm_table()
    where = (arm.c.policy_name == policy_name, arm.c.route == route, arm.c.ts >= since, arm.c.ts < until)
    out: dict[str, ArmTraffic] = {}
    with db.connect() as conn:
        for name, n, failures, cost, squares in conn.execute(
                select(arm.c.arm, func.count(), func.sum(1 - arm.c.ok), func.sum(arm.c.cost_usd),
                       func.sum(arm.c.cost_usd * arm.c.cost_usd)).where(*where).group_by(arm.c.arm)):
            out[name] = ArmTraffic(int(n), int(failures or 0), float(cost or 0), float(squares or 0))
        for name, latency in conn.execute(select(arm.c.arm, arm.c.latency_ms).where(*where, arm.c.ok == 1)):
            if name in out:
                out[name].latencies_ms.append(float(latency))
    return out


def requests_since(db: Engine, policy_name: str, route: str, since: float) -> dict[str, int]:
    """Requests per arm since ``since`` (what auto-advance counts)."""
    arm = rollout_arm_table()
    with db.connect() as conn:
        rows = conn.execute(select(arm.c.arm, func.count()).where(
            arm.c.policy_name == policy_name, arm.c.route == route, arm.c.ts >= since).group_by(arm.c.arm)).all()
    return {name: int(n) for name, n in rows}
