"""When each policy's next review is due: ``<data_dir>/review-schedule.json``, one entry per policy name.

The article behind Routedesk asks for a review every quarter. A policy never reviewed is due a
quarter after its first saved version; one never saved here either, a quarter after ``first_seen``
(the caller's date for it: the window passes the day its file last changed, so a policy just written
or copied is not "due today"), or now when nothing says how old it is. Generating a review moves the
date a quarter on. The file is small and written atomically; an unreadable one counts as empty.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path

FILE = "review-schedule.json"
QUARTER = datetime.timedelta(days=91)


def _file(root: Path | None) -> Path:
    from console.core import paths

    return (root or paths.data_dir()) / FILE


def _read(root: Path | None) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def next_review_due(policy_name: str, *, root: Path | None = None, today: datetime.date | None = None,
                    first_seen: datetime.date | None = None) -> datetime.date:
    """The date the policy's next review is due (may be in the past: it is overdue)."""
    entry = _read(root).get(policy_name)
    if isinstance(entry, dict) and "next" in entry:
        try:
            return datetime.date.fromisoformat(entry["next"])
        except (TypeError, ValueError):
            pass
    from console.core.policy.versions import versions

    try:
        kept = versions(policy_name, root=root / "policy-versions" if root else None)
    except OSError:
        kept = []
    if kept:
        return kept[0].saved_at.date() + QUARTER
    if first_seen is not None:
        return first_seen + QUARTER
    return today or datetime.date.today()


def last_reviewed(policy_name: str, *, root: Path | None = None) -> datetime.date | None:
    entry = _read(root).get(policy_name)
    try:
        return datetime.date.fromisoformat(entry["last"]) if isinstance(entry, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def mark_reviewed(policy_name: str, *, on: datetime.date, root: Path | None = None) -> datetime.date:
    """Record a review of ``policy_name`` on ``on``; returns the next due date (a quarter on)."""
    data = _read(root)
    due = on + QUARTER
    data[policy_name] = {"last": on.isoformat(), "next": due.isoformat()}
    target = _file(root)
    fd, temp = tempfile.mkstemp(prefix=".review-schedule-", suffix=".json", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.replace(temp, target)
    return due
