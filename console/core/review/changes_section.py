"""Sections 4 and 6: the policy's saved versions in the period (each with what moved, and when the
log first saw traffic under it), and the catalogue prices that changed since the last review."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from console.core.ledger.tables import policy_change_table
from console.core.policy.price_history import read_changes
from console.core.policy.schema import Policy, Prices
from console.core.review.figures import PriceLine, VersionLine
from console.core.review.period import ReviewPeriod


def first_traffic(db: Engine, policy_name: str) -> dict[str, float]:
    """policy hash → when the log first saw a production request under it (``policy_change``)."""
    table = policy_change_table()
    stmt = select(table.c.policy_hash, table.c.first_seen).where(table.c.policy_name == policy_name,
                                                                  table.c.kind == "production")
    with db.connect() as conn:
        return {str(h): float(ts) for h, ts in conn.execute(stmt)}


def version_lines(db: Engine, policy_name: str, period: ReviewPeriod, *,
                  versions_root: Path | None = None) -> list[VersionLine]:
    from console.core.policy.loader import load_policy_text
    from console.core.policy.version_diff import diff_summary
    from console.core.policy.versions import versions

    seen = first_traffic(db, policy_name)
    lines: list[VersionLine] = []
    previous: Policy | None = None
    for version in versions(policy_name, root=versions_root):
        try:
            policy = load_policy_text(version.text(), str(version.file)).parsed
        except OSError:
            policy = None
        saved = version.saved_at.timestamp()
        if period.since <= saved < period.until:
            summary = diff_summary(previous, policy) if policy is not None else ["(no longer a valid policy)"]
            lines.append(VersionLine(saved, version.policy_hash, seen.get(version.policy_hash), summary))
        previous = policy or previous
    return lines


def _words(prices: Prices | None) -> str:
    if prices is None:
        return "(new)"
    text = f"${prices.input:g} in / ${prices.output:g} out"
    return text + (f" / ${prices.cached_input:g} cached" if prices.cached_input is not None else "")


def price_lines(period: ReviewPeriod, last_review: datetime.date | None, *,
                folder: Path | None = None) -> list[PriceLine]:
    """Price changes recorded since the last review (or the period's start, whichever is earlier)."""
    start = datetime.datetime.fromtimestamp(period.since, tz=datetime.timezone.utc).date()
    if last_review is not None and last_review < start:
        start = last_review
    end = datetime.datetime.fromtimestamp(period.until, tz=datetime.timezone.utc).date()
    return [PriceLine(c.as_of.isoformat(), c.model_id, _words(c.old), _words(c.new), c.source)
            for c in read_changes(folder, since=start, until=end)]
