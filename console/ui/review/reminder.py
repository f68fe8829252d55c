"""The review reminder in the status bar: when the policy in front is next due for its quarterly review,
and, once it is due (or within ``SOON`` of it), a click that opens **Quarterly review…**.

The date is stored per policy in the data directory (``console.core.review.schedule``); reading it
costs two small files, so it is read again whenever the policy in front changes.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QToolButton

SOON = datetime.timedelta(days=14)


def file_date(path: Path | None) -> datetime.date | None:
    """The day ``path`` last changed (local time), or None: how old a policy never saved here is."""
    try:
        return datetime.date.fromtimestamp(Path(path).stat().st_mtime) if path is not None else None
    except OSError:
        return None


def due_text(policy_name: str, *, today: datetime.date | None = None, short: bool = False,
             path: Path | None = None) -> str:
    """'2027-03-06 (in 90 days)', 'today', '2026-11-01 (overdue by 35 days)'; ``short``: the date only.
    ``path``: the policy's file, whose date stands in for a policy never saved or reviewed here."""
    from console.core.review.schedule import next_review_due

    today = today or datetime.date.today()
    try:
        due = next_review_due(policy_name, today=today, first_seen=file_date(path))
    except OSError:
        return "unknown (the data directory cannot be read)"
    return due.isoformat() if short else due_words(due, today)


def due_words(due: datetime.date, today: datetime.date) -> str:
    """``due`` as due_text writes it, seen from ``today``."""
    days = (due - today).days
    if days == 0:
        return f"{due.isoformat()} (today)"
    return f"{due.isoformat()} ({'in' if days > 0 else 'overdue by'} {abs(days)} day{'s' if abs(days) != 1 else ''})"


class ReviewReminder(QToolButton):
    """'Review due …' for the policy in front; highlighted and clickable once the review is near.

    Signals:
        sig_review_requested(): the user asked to generate the review now.
    """

    sig_review_requested = Signal()

    def __init__(self, today: Callable[[], datetime.date] = datetime.date.today, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("review-reminder")
        self.setAutoRaise(True)
        self.today = today
        self.due: datetime.date | None = None
        self.clicked.connect(self.sig_review_requested)
        self.hide()

    def follow(self, choice: Any) -> None:
        """Show the due date of ``choice``'s policy (a PolicyChoice); hidden when no policy is in front."""
        policy = getattr(choice, "policy", None)
        if policy is None:
            self.due = None
            self.hide()
            return
        from console.core.review.schedule import next_review_due

        today = self.today()
        path = getattr(choice, "path", None)
        try:
            self.due = next_review_due(policy.name, today=today, first_seen=file_date(path))
        except OSError:
            self.hide()
            return
        near = self.due - today <= SOON
        self.setText(f"Review {'due' if near else 'next'}: {due_words(self.due, today)}"
                     + (" · generate…" if near else ""))
        self.setToolTip(f"The quarterly review of '{policy.name}'"
                        + (": click to generate it now" if near else "; File › Quarterly review… makes it any time"))
        self.setStyleSheet("font-weight: bold; color: #b35c00;" if near else "")
        self.setEnabled(True)
        self.show()
