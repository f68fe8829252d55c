"""Demo traffic: synthetic requests with known totals, written into a log for charts and demos.

``routedesk demo-traffic`` writes it in one go; the dashboard's empty state writes it a chunk at a
time (each chunk off the GUI thread) so it can show progress.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # the generator needs numpy: loaded when traffic is made, not with the CLI
    from console.core.ledger.traffic import TrafficTotals

__all__ = ["DemoTrafficWriter", "new_totals", "parse_spike", "write_demo_traffic"]

CHUNK = 3_000


def parse_spike(text: str) -> tuple[str, str]:
    """``TASK:MODEL`` for a planted failure spike; ValueError saying what is wrong."""
    from console.core.ledger.traffic import parse_spike as parse

    return parse(text)


def new_totals() -> "TrafficTotals":
    """An empty tally that ``write_demo_traffic`` fills: requests, attempts, cost per kind."""
    from console.core.ledger.traffic import TrafficTotals

    return TrafficTotals()


def write_demo_traffic(url: str | None, requests: int, *, days: float, seed: int = 42,
                       spike: tuple[str, str] | None = None, spike_hours: float | None = None,
                       end: float | None = None, totals: "TrafficTotals | None" = None) -> int:
    """Write ``requests`` synthetic requests into the log at ``url``; the attempts written.

    Raises app.log.LogError when the log cannot be opened.
    """
    from console.core.app.log import open_log_for_writing
    from console.core.ledger.bulk import write_records
    from console.core.ledger.traffic import generate

    options: dict[str, Any] = {"days": days, "seed": seed, "spike": spike, "totals": totals}
    if spike_hours is not None:
        options["spike_hours"] = spike_hours
    if end is not None:
        options["end"] = end
    db = open_log_for_writing(url)
    try:
        return write_records(db, generate(requests, **options))
    finally:
        db.dispose()


class DemoTrafficWriter:
    """Writes demo traffic one chunk per call, with a failure spike planted in the last hours."""

    def __init__(self, url: str, requests: int, *, days: float, end: float, seed: int = 42,
                 spike: tuple[str, str] = ("support", "gpt-mini"), spike_hours: float = 12) -> None:
        from console.core.ledger.traffic import generate

        self.url = url
        self.total = requests
        self.done = 0
        self._records: Iterator[Any] = generate(requests, days=days, seed=seed, end=end, spike=spike,
                                                spike_hours=spike_hours)
        self._db: Any = None

    def write_chunk(self) -> int:
        """Write the next chunk; returns requests written so far (== total when finished)."""
        from console.core.app.log import open_log_for_writing
        from console.core.ledger.bulk import write_records

        if self._db is None:
            self._db = open_log_for_writing(self.url)
        batch = list(islice(self._records, CHUNK))
        write_records(self._db, batch)
        self.done += len(batch)
        if self.done >= self.total or not batch:
            self._db.dispose()
            self.done = self.total
        return self.done
