"""The review's charts as PNG bytes, drawn by the dashboards' own chart classes (``SpendChart``,
``CategoryBars``) off screen, in the light palette whatever the window's theme (paper is white).

Each chart is a real widget: sized, filled through the same ``show_*`` calls the Dashboards page
makes, given a few event-loop turns to lay out, then grabbed. Its export buttons are hidden first.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtWidgets import QApplication, QWidget

from console.core.ledger.filters import Filters
from console.core.ledger.policy_changes import PolicyChange
from console.core.policy.schema import Budget
from console.core.review.figures import Review

CHART_MIN_TRIALS = 30
WIDTH, HEIGHT = 900, 360  # drawn about 18 cm wide: the chart text stays about the size of the body text


def _grab(panel: QWidget, fill: Callable[[], None], height: int = HEIGHT) -> bytes:
    panel.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    panel.setPalette(QApplication.style().standardPalette())
    for button in (getattr(panel, "png_button", None), getattr(panel, "csv_button", None)):
        if button is not None:
            button.hide()
    panel.resize(WIDTH, height)
    panel.ensurePolished()
    # Laid out before it is filled: a bar chart wraps its category labels to the width its plot has
    # then, and an unshown widget's plot is a few pixels wide ("summariz / e/gemini / -flash").
    panel.show()  # not on screen (WA_DontShowOnScreen): only shown to the layout
    QApplication.processEvents()
    fill()
    for _ in range(3):  # layout, then pyqtgraph's deferred range and tick updates
        QApplication.processEvents()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    panel.grab().save(buffer, "PNG")
    buffer.close()
    panel.close()
    panel.deleteLater()
    return bytes(data.data())


def whole_budgets(review: Review) -> list[Budget]:
    """The policy's budgets over all traffic (the ones a spend chart of everything can draw)."""
    return [Budget(name=b.name, period=b.period, limit_usd=b.limit_usd)  # type: ignore[arg-type]
            for b in review.spend.budgets if b.scope == "all traffic"]


def spend_png(review: Review, by: str) -> bytes:
    from console.ui.pages.dashboard.spend_chart import SpendChart

    chart = SpendChart()
    series = review.spend.daily_by_task if by == "task" else review.spend.daily_by_model
    changes = [PolicyChange(v.first_traffic, review.policy_name, v.policy_hash, "production")
               for v in review.versions if v.first_traffic is not None]
    chart.title.setText(f"<b>Spend per day by {by}</b>")
    chart.split.hide()  # the split is chosen here, not by a reader of paper

    def fill() -> None:
        filters = Filters(review.period.since, review.period.until, policy=review.policy_name)
        # "now" past the period's end: a finished period has no day heading anywhere (no projection)
        chart.show_spend(series, by, filters, review.period.until + 3600, whole_budgets(review))
        chart.show_markers(changes)

    return _grab(chart, fill)


def latency_png(review: Review) -> bytes:
    from console.ui.pages.dashboard.breakdowns import latency_chart

    chart = latency_chart()
    lines = review.latency
    chart.title.setText("<b>Latency of successful attempts by task and model</b>")
    return _grab(chart, lambda: chart.show_bars(
        [f"{line.task}/{line.stats.model}" for line in lines],
        [("p50", [line.stats.p50_ms for line in lines]), ("p95", [line.stats.p95_ms for line in lines])],
        [None] * len(lines), note="each route's p95 target is in the table"))


def failure_png(review: Review) -> bytes:
    from console.ui.pages.dashboard.bar_chart import CategoryBars
    from console.ui.units import percent_ticks

    # a pair tried a handful of times has an interval reaching most of the axis: it stays in the table
    rates = [r for r in review.reliability.failures if r.trials >= CHART_MIN_TRIALS]
    chart = CategoryBars("Attempt failure rate by task and model", "", lambda v: f"{v:.1f}%", percent_ticks)
    return _grab(chart, lambda: chart.show_bars(
        [f"{r.task}/{r.model}" for r in rates],
        [("failure rate", [100 * r.rate for r in rates]), ("95% upper bound", [100 * r.ci_high for r in rates])],
        [None] * len(rates), note=f"the rate and the top of its 95% Wilson interval; pairs with at least "
                                  f"{CHART_MIN_TRIALS} attempts"))


def review_charts(review: Review) -> dict[str, bytes]:
    """Every chart of the review by name (``spend_task``, ``spend_model``, ``latency``, ``failures``)."""
    charts: dict[str, bytes] = {}
    if review.spend.counts.attempts:  # an empty period gets its sentence, not two empty axes
        charts = {"spend_task": spend_png(review, "task"), "spend_model": spend_png(review, "model")}
    if review.latency:
        charts["latency"] = latency_png(review)
    if any(r.trials >= CHART_MIN_TRIALS for r in review.reliability.failures):
        charts["failures"] = failure_png(review)
    return charts
