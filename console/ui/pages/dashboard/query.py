"""What the dashboards are asked to show: the shared filters, the time range and how spend is split.

Plain Python (no Qt), so loaders running off the GUI thread and tests can use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from console.core.ledger.filters import Filters
from console.core.ledger.queries import Bucket, SpendBy
from console.core.ledger.series import auto_bucket

#: (label, seconds); None seconds is the custom range.
RANGE_PRESETS: list[tuple[str, float | None]] = [
    ("Last hour", 3600.0),
    ("Last 24 hours", 86400.0),
    ("Last 7 days", 7 * 86400.0),
    ("Last 30 days", 30 * 86400.0),
    ("Last 90 days", 90 * 86400.0),
    ("Last 365 days", 365 * 86400.0),
    ("Custom range", None),
]
DEFAULT_PRESET = "Last 30 days"
KIND_CHOICES: list[tuple[str, str | None]] = [
    ("Production", "production"), ("Pilot", "pilot"), ("Comparison", "comparison"), ("Imported", "imported"),
    ("Shadow (live pilots)", "shadow"),
    ("All kinds", None),
]


@dataclass(frozen=True)
class Drill:
    """Which requests a click asks for: a chart point, a bar or a drift alert."""

    title: str
    filters: Filters
    failed_only: bool = False
    outcome: str | None = None


@dataclass(frozen=True)
class DashboardQuery:
    """The filters every chart shares, plus chart-level choices."""

    filters: Filters = field(default_factory=Filters)
    spend_by: SpendBy = "model"
    relative_seconds: float | None = 30 * 86400.0  # a preset that follows "now"; None for a fixed range

    @property
    def bucket(self) -> Bucket:
        return auto_bucket(self.filters.since, self.filters.until)

    def moved_to(self, now: float) -> "DashboardQuery":
        """A relative range slid so it ends at ``now`` (fixed ranges stay put)."""
        if self.relative_seconds is None:
            return self
        return replace(self, filters=self.filters.with_range(now - self.relative_seconds, now))


Clock = Callable[[], float]
