"""Put the review together: each section from its own module, over one open log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from console.core.policy.schema import Policy
from console.core.review.figures import NewModelLine, Recommendation, Review
from console.core.review.period import ReviewPeriod

Progress = Callable[[str, float], object]


def build_review(db: Engine, policy: Policy, period: ReviewPeriod, *, progress: Progress | None = None,
                 data_root: Path | None = None, now: float | None = None) -> Review:
    """The review of ``policy``'s traffic in ``period`` (``data_root``: the data directory, for tests)."""
    from console.core.replay.assess import assess_traffic
    from console.core.review.changes_section import price_lines, version_lines
    from console.core.review.latency_section import latency_section
    from console.core.review.pilots_section import pilot_lines
    from console.core.review.recommend import new_models, recommendations
    from console.core.review.reliability_section import reliability_section
    from console.core.review.rollouts_section import rollout_lines
    from console.core.review.schedule import last_reviewed
    from console.core.review.spend_section import spend_section

    def step(name: str, fraction: float) -> None:
        if progress is not None:
            progress(name, fraction)

    step("spend", 0.0)
    spend = spend_section(db, period, policy_name=policy.name, budgets=policy.budgets)
    step("reliability", 0.15)
    reliability = reliability_section(db, period, policy_name=policy.name)
    step("latency", 0.4)
    tasks = sorted({line.key for line in spend.by_task} | set(policy.routes))
    latency = latency_section(db, period, policy, tasks)
    step("policy versions", 0.5)
    versions = version_lines(db, policy.name, period,
                             versions_root=data_root / "policy-versions" if data_root else None)
    pilots = pilot_lines(db, period, policy.name)
    rollouts = rollout_lines(db, period, policy.name)
    prices = price_lines(period, last_reviewed(policy.name, root=data_root), folder=data_root)
    notes = []
    lines: list[NewModelLine] = []
    advice: list[Recommendation] = []
    if spend.counts.requests == 0:
        # The assessment replays every task the log holds: with none of it this policy's, its
        # advice ("code: keep, $13.82, 54% of spend") would be about other policies' traffic.
        notes.append(f"the log has no production requests under policy '{policy.name}' in {period.label}")
    else:
        step("assessment", 0.6)
        assessment = assess_traffic(policy, db, since=period.since, until=period.until)
        lines = new_models(assessment, {p.model for p in prices if p.old == "(new)"})
        advice = recommendations(assessment, reliability.drift, pilots)
    step("done", 1.0)
    return Review(policy.name, period, time.time() if now is None else now, spend, reliability, latency, versions,
                  pilots, rollouts, prices, lines, advice, notes)
