"""The quarterly review: what a team reads in a meeting, built from the log, the pilots, the policy's
saved versions and the price catalogue. Pure data, no Qt: front ends render it (``console.cli``,
``console.ui.review``).

    period = parse_period(quarter="2026Q4")            # or since="90d"
    review = build_review(db, policy, period)          # every figure from the ledger's own queries
    mark_reviewed(policy.name, on=date.today())        # the next review falls due a quarter later
"""

from console.core.review.build import build_review
from console.core.review.figures import Review
from console.core.review.period import PeriodError, ReviewPeriod, parse_period
from console.core.review.schedule import mark_reviewed, next_review_due

__all__ = ["PeriodError", "Review", "ReviewPeriod", "build_review", "mark_reviewed", "next_review_due",
           "parse_period"]
