"""What the bar charts show: latency and TTFT per model, the outcome mix, and which chains fired."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from console.core.ledger.filters import Filters
from console.ui.pages.dashboard.bar_chart import CategoryBars
from console.ui.pages.dashboard.loaders import LatencySection, RequestsSection
from console.ui.pages.dashboard.query import Drill
from console.ui.units import millis_ticks


def _ms(value: float) -> str:
    return "—" if value != value else f"{value:,.0f} ms"


def latency_chart() -> CategoryBars:
    return CategoryBars("Latency and time to first token", "", _ms, millis_ticks)


def outcome_chart() -> CategoryBars:
    return CategoryBars("How failed attempts ended", "attempts", lambda v: f"{v:,.0f}")


def chains_chart() -> CategoryBars:
    return CategoryBars("Fallback chains that fired", "requests", lambda v: f"{v:,.0f}")


def _window_note(window: tuple[float | None, float | None], filters: Filters) -> str:
    since, until = window
    if since is None or until is None or (filters.since is not None and since <= filters.since):
        return "whole range"
    return f"last {round((until - since) / 86400):g} days of the range (from {datetime.fromtimestamp(since):%b %d})"


def show_latency(chart: CategoryBars, section: LatencySection, filters: Filters) -> None:
    stats = section.stats
    window = filters.with_range(*section.window)
    nan = float("nan")
    chart.show_bars(
        [s.model for s in stats],
        [("p50", [s.p50_ms for s in stats]), ("p95", [s.p95_ms for s in stats]),
         ("TTFT p50", [nan if s.ttft_p50_ms is None else s.ttft_p50_ms for s in stats]),
         ("TTFT p95", [nan if s.ttft_p95_ms is None else s.ttft_p95_ms for s in stats])],
        [Drill(f"latency · {s.model}", replace(window, model=s.model)) for s in stats],
        note=f"successful attempts · {_window_note(section.window, filters)}",
    )


def show_outcomes(chart: CategoryBars, section: LatencySection, filters: Filters) -> None:
    window = filters.with_range(*section.window)
    chart.show_bars(
        [outcome for outcome, _n in section.outcomes],
        [("attempts", [n for _o, n in section.outcomes])],
        [Drill(f"outcome · {outcome}", window, failed_only=True, outcome=outcome) for outcome, _n in section.outcomes],
        note=f"{sum(n for _o, n in section.outcomes):,} failed · {_window_note(section.window, filters)}",
    )


def show_chains(chart: CategoryBars, section: RequestsSection, filters: Filters, limit: int = 8) -> None:
    fired = [row for row in section.chains if row[3] > 0][:limit]
    chart.show_bars(
        [f"{task}/{model}" for task, model, _n, _f in fired],
        [("fell back", [f for _t, _m, _n, f in fired])],
        [Drill(f"fallbacks · {task} · from {model}", replace(filters, task=task, model=model), failed_only=True)
         for task, model, _n, _f in fired],
        note=" · ".join(f"{task}/{model} {f / n:.1%}" for task, model, n, f in fired[:3]),
    )
