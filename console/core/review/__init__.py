"""The quarterly review: what a team reads in a meeting, built from the log, the pilots, the policy's
saved versions and the price catalogue. Pure data, no Qt: front ends render it (``console.cli``,
``console.ui.review``).

    period = parse_period(quarter_text="2026Q4")       # or since="90d"
    review = build_review(db, policy, period)          # every figure from the ledger's own queries
    mark_reviewed(policy.name, on=date.today())        # the next review falls due a quarter later

Names load on first use: the window asks ``schedule`` for a due date at start-up, which must not
import the log's queries (numpy, SQLAlchemy) with it.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"build_review": "build", "Review": "figures", "PeriodError": "period", "ReviewPeriod": "period",
          "parse_period": "period", "mark_reviewed": "schedule", "next_review_due": "schedule"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
