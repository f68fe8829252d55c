"""Spend over time, stacked by model, provider, task or team, with day-budget ceilings and the
current bucket's projection to its end.

A ceiling far above the bars (a $50/day budget over $1/day of spend) is not drawn as a line the
chart must stretch to: that would flatten the bars into the axis. It becomes a note pinned to the
plot's top edge saying where the ceiling is and how far the spend is below it. Live traffic only
gets a projection; imported history (or a pilot) has no "rest of this hour" to project.

Clicking a segment opens the requests of that bucket and that model/provider/task/team.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from console.core.budget.period import period_bounds
from console.core.ledger.filters import Filters
from console.core.ledger.series import StackedSeries
from console.core.policy.schema import Budget
from console.ui.pages.dashboard.chart_panel import ChartPanel, bucket_label
from console.ui.pages.dashboard.query import Drill
from console.ui.plots import format_axis
from console.ui.units import money, money_ticks

#: a ceiling more than this many times the tallest bar is noted at the top edge instead of drawn
OFF_SCALE = 3.0
CEILING_RED = "#d64545"

SPEND_BY = [("by model", "model"), ("by provider", "provider"), ("by task", "task"), ("by team", "team")]
_FILTER_FIELD = {"model": "model", "provider": "provider", "task": "task", "team": "team"}


class SpendChart(ChartPanel):
    """Stacked spend bars.

    Signals:
        sig_spend_by_changed(str): the user picked another split (model, provider, task, team).
    """

    sig_spend_by_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Spend", parent=parent)
        self.split = QComboBox()
        for label, value in SPEND_BY:
            self.split.addItem(label, value)
        self.split.currentIndexChanged.connect(
            lambda _i: self.sig_spend_by_changed.emit(self.split.currentData()))
        self.header.insertWidget(1, self.split)
        format_axis(self.plot.getAxis("left"), money_ticks)
        self.series: StackedSeries | None = None
        self.by = "model"
        self.filters = Filters()
        self.now = 0.0
        self.bars: list[pg.BarGraphItem] = []  # the bars drawn now, one item per key
        self._bar_pool: list[pg.BarGraphItem] = []
        self._outline = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=1.0)  # the projection
        self._outline.setVisible(False)
        self._outline.setZValue(1)  # over the bars, which are added later
        self.plot.addItem(self._outline)
        self._ceiling_lines: list[pg.InfiniteLine] = []
        self._ceiling_labels: list[tuple[float, str]] = []
        self._ceilings: list[float] = []  # the ceilings drawn as lines (within scale)
        self.off_scale = pg.TextItem(color=CEILING_RED, anchor=(1, 0))  # ceilings far above the bars
        self.off_scale.setParentItem(self.plot.vb)  # pinned to the view's corner, not to data
        self.off_scale.setVisible(False)
        self.plot.vb.sigResized.connect(self._place_off_scale)
        self.projection: tuple[float, float] | None = None  # (bucket start, projected USD)

    def show_spend(self, series: StackedSeries, by: str, filters: Filters, now: float,
                   budgets: Sequence[Budget] = ()) -> None:
        self.series, self.by, self.filters, self.now = series, by, filters, now
        self.bars = []
        x = series.bucket_starts + series.bucket_seconds / 2
        width = series.bucket_seconds * 0.85
        base = np.zeros(len(x))
        self.colours.reserve(series.keys)
        for j, key in enumerate(series.keys):
            heights = series.values[:, j]
            bar = self._bar(j)
            tint = self.colours(key)
            bar.setOpts(x=x, y0=base.copy(), height=heights, width=width, brush=tint,
                        pen=pg.mkPen(tint.darker(130), width=0.5))
            bar.setVisible(True)
            self.bars.append(bar)
            base = base + heights
        for bar in self._bar_pool[len(series.keys):]:
            bar.setVisible(False)
        self.set_legend([(key, self.colours(key)) for key in series.keys])
        self.projection = self._draw_projection(series, base)
        data_top = max(float(base.max()) if len(base) else 0.0, self.projection[1] if self.projection else 0.0)
        self._draw_ceilings(series, budgets, data_top)
        total = series.total
        self.note.setText(f"total {money(total)} · {bucket_words(series.bucket_seconds)} bars"
                          + (f" · this {bucket_words(series.bucket_seconds)} heading for {money(self.projection[1])}"
                             if self.projection else ""))
        top = max([data_top, *self._ceilings])
        self.show_range(None, (0, max(top, 1e-6) * 1.12))
        self.settle()

    def _bar(self, j: int) -> pg.BarGraphItem:
        """The j-th key's bars, made once and reused: rebuilding items costs more than drawing them."""
        while len(self._bar_pool) <= j:
            bar = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=1.0)
            self.plot.addItem(bar)
            self._bar_pool.append(bar)
        return self._bar_pool[j]

    def _draw_projection(self, series: StackedSeries, totals: np.ndarray) -> tuple[float, float] | None:
        """An outline bar: the last, unfinished bucket at its current rate to the bucket's end."""
        self._outline.setVisible(False)
        if len(totals) == 0:
            return None
        start = float(series.bucket_starts[-1])
        elapsed = self.now - start
        if not 0 < elapsed < series.bucket_seconds or (self.filters.until or 0) < self.now - 60:
            return None
        if self.filters.kind != "production":
            return None  # imported history, pilots and comparisons are not heading anywhere
        projected = float(totals[-1]) * series.bucket_seconds / max(elapsed, 60.0)
        self._outline.setOpts(x=[start + series.bucket_seconds / 2], y0=[0.0], height=[projected],
                              width=series.bucket_seconds * 0.85, brush=pg.mkBrush(None),
                              pen=self._outline_pen())
        self._outline.setVisible(True)
        return start, projected

    def _outline_pen(self) -> Any:
        return pg.mkPen(self.palette().text().color(), width=1, style=Qt.PenStyle.DashLine)

    def on_palette_changed(self) -> None:
        if hasattr(self, "_outline"):
            self._outline.setOpts(pen=self._outline_pen())

    def _place_off_scale(self) -> None:
        self.off_scale.setPos(self.plot.vb.width() - 4, 2)

    def _draw_ceilings(self, series: StackedSeries, budgets: Sequence[Budget], data_top: float) -> None:
        """A budget's share per bucket, for budgets whose scope is exactly what the chart shows.

        Ceilings within ``OFF_SCALE`` times the tallest bar are dashed lines; higher ones are
        noted at the plot's top edge, so the bars keep the chart's height."""
        shown = {"task": self.filters.task, "team": self.filters.team, "model": self.filters.model,
                 "provider": self.filters.provider}
        labelled: list[tuple[float, str]] = []
        for budget in budgets:
            if budget.scope.model_dump() != shown:
                continue  # a team's budget drawn over everyone's spend would mislead
            start, end = period_bounds(budget.period, self.now)  # this month's real length, not 30 days
            ceiling = budget.limit_usd * series.bucket_seconds / (end - start)
            scope = ", ".join(f"{k}={v}" for k, v in budget.scope.model_dump().items() if v) or "all traffic"
            labelled.append((ceiling, f"{budget.name}: {money(ceiling)} per {bucket_span(series.bucket_seconds)} "
                                      f"({scope})"))
        far = [(c, label) for c, label in labelled if data_top > 0 and c > data_top * OFF_SCALE]
        labelled = [(c, label) for c, label in labelled if (c, label) not in far]
        note = "\n".join(f"▲ {label}, off the scale: {c / data_top:,.0f}× the tallest bar" for c, label in far)
        if note != self.off_scale.textItem.toPlainText():  # setting text re-lays the item out
            self.off_scale.setText(note)
            self._place_off_scale()
        self.off_scale.setVisible(bool(far))
        self._ceilings = [ceiling for ceiling, _label in labelled]
        if labelled == self._ceiling_labels:
            return  # the same lines are already drawn (a filter change rarely changes them)
        for line in self._ceiling_lines:
            self.plot.removeItem(line)
        self._ceiling_lines = []
        for ceiling, label in labelled:
            line = pg.InfiniteLine(pos=ceiling, angle=0, pen=pg.mkPen(CEILING_RED, width=1.5,
                                                                      style=Qt.PenStyle.DashLine),
                                   label=label, labelOpts={"position": 0.98, "color": CEILING_RED,
                                                           "anchors": [(1, 1), (1, 1)]})
            line.setZValue(2)  # over the bars and the projection
            self.plot.addItem(line)
            self._ceiling_lines.append(line)
        self._ceiling_labels = labelled

    # --- hover, click, export ------------------------------------------------------------------
    def _hit(self, x: float, y: float) -> tuple[int, int] | None:
        series = self.series
        if series is None or len(series.bucket_starts) == 0:
            return None
        i = int(np.searchsorted(series.bucket_starts, x, side="right") - 1)
        if i < 0 or x > series.bucket_starts[i] + series.bucket_seconds:
            return None
        tops = np.cumsum(series.values[i])
        j = int(np.searchsorted(tops, y, side="right"))
        if y < 0 or j >= len(series.keys):
            return None
        return i, j

    def describe(self, x: float, y: float) -> str | None:
        hit = self._hit(x, y)
        if hit is None:
            return None
        i, j = hit
        series = self.series
        assert series is not None
        label = bucket_label(float(series.bucket_starts[i]), series.bucket_seconds)
        return (f"{label} · {series.keys[j]}: ${series.values[i, j]:,.4f} "  # exact, unlike the ticks
                f"(bucket total ${series.values[i].sum():,.4f})")

    def drill_at(self, x: float, y: float) -> Drill | None:
        hit = self._hit(x, y)
        if hit is None:
            return None
        i, j = hit
        series = self.series
        assert series is not None
        start = float(series.bucket_starts[i])
        since = max(start, self.filters.since or start)
        until = min(start + series.bucket_seconds, self.filters.until or start + series.bucket_seconds)
        filters = replace(self.filters.with_range(since, until), **{_FILTER_FIELD[self.by]: series.keys[j]})
        label = bucket_label(start, series.bucket_seconds)
        return Drill(f"spend · {self.by} {series.keys[j]} · {label}", filters)

    def csv_table(self) -> tuple[Sequence[str], list[Sequence[Any]]]:
        if self.series is None:
            return [], []
        s = self.series
        rows = [[bucket_label(float(b), s.bucket_seconds), *(f"{v:.6f}" for v in s.values[i])]
                for i, b in enumerate(s.bucket_starts)]
        return ["bucket", *s.keys], rows

    def drawn_total(self) -> float:
        """The dollars the bars add up to, read back from the plot items."""
        return float(sum(np.sum(bar.opts["height"]) for bar in self.bars))


def bucket_words(seconds: int) -> str:
    """A bucket's size as the note and labels say it: "5-minute", "hour", "day"."""
    if seconds >= 86400:
        return "day"
    if seconds >= 3600:
        return "hour"
    return f"{seconds // 60}-minute"


def bucket_span(seconds: int) -> str:
    """A bucket's length after "per": "5 minutes", "hour", "day"."""
    return bucket_words(seconds).replace("-minute", " minutes")
