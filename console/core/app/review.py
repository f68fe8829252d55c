"""The quarterly review use case, for ``routedesk review`` and the window's **Quarterly review…**:
open the log read-only, build the review (``console.core.review``), and move the policy's next
review date a quarter on. Rendering it (PDF, HTML) is the front ends' job (``console.ui.review``).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from console.core.policy.schema import Policy
from console.core.review.period import PeriodError, ReviewPeriod, parse_period

if TYPE_CHECKING:
    from console.core.review.demo import ReviewDemo
    from console.core.review.figures import Review

__all__ = ["PeriodError", "ReviewPeriod", "next_review_due", "parse_period", "quarterly_review", "review_demo"]


def quarterly_review(policy: Policy, period: ReviewPeriod, *, url: str | None = None, data_root: Path | None = None,
                     progress: Callable[[str, float], object] | None = None, now: float | None = None,
                     mark: bool = True) -> "Review":
    """The review of ``policy`` over ``period``; with ``mark`` its next review falls due a quarter on.

    Raises app.log.LogError when the log cannot be opened."""
    from console.core.app.log import open_log
    from console.core.review.build import build_review
    from console.core.review.schedule import mark_reviewed

    db = open_log(url)
    try:
        review = build_review(db, policy, period, progress=progress, data_root=data_root, now=now)
    finally:
        db.dispose()
    if mark:
        try:
            mark_reviewed(policy.name, on=datetime.date.fromtimestamp(review.generated_at), root=data_root)
        except OSError:
            review.notes.append("the next review date could not be saved (the data directory is not writable)")
    return review


def next_review_due(policy_name: str, *, data_root: Path | None = None) -> datetime.date:
    from console.core.review.schedule import next_review_due as due

    return due(policy_name, root=data_root)


def review_demo(folder: Path, *, requests: int = 20_000) -> "ReviewDemo":
    """A quarter of demo history in ``folder`` (its own log, versions, prices, schedule) to review."""
    from console.core.resources import example_policy_path
    from console.core.review.demo import write_review_demo

    source = example_policy_path("demo-traffic.yaml")
    if source is None:
        raise FileNotFoundError("this build ships no policies/demo-traffic.yaml to make the demo from")
    return write_review_demo(folder, source.read_text(encoding="utf-8"), requests=requests)
