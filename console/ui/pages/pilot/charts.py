"""Pilot charts: pass rate per model with its Wilson 95% interval as error bars, and cost per 1,000."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.ui.empty_hint import HintOrContent
from console.ui.plots import (SeriesColours, apply_palette, palette_text, set_category_ticks, side_by_side, still_plot,
                              text_colour)
from console.ui.units import money, money_ticks, percent_ticks


class PilotCharts(QWidget):
    """Attributes:
        pass_plot, cost_plot: the two charts, redrawn on every ``show_summaries``.
        empty: says what will be charted until a pilot has summaries to show.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.pass_plot = still_plot("Pass rate (95% CI)", "of cases", percent_ticks)
        self.cost_plot = still_plot("Cost per 1,000 requests", "", money_ticks)
        plots = side_by_side(self.pass_plot, self.cost_plot)
        self.empty = HintOrContent(plots, "When a pilot finishes, each model's pass rate (with its 95% interval) "
                                          "and its cost per 1,000 requests are charted here. Choose where the cases "
                                          "come from, a task, a baseline and a candidate, then Run pilot.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        self.colours = SeriesColours()  # a model keeps its colour from one pilot to the next
        self.names: list[str] = []  # the models on the category axes, as shown

    def show_summaries(self, summaries: Sequence[Any]) -> None:
        if not summaries:
            self.empty.show_hint()
            return
        self.empty.show_content()
        x = np.arange(len(summaries), dtype=float)
        names = [s.model.rsplit("/", 1)[-1] for s in summaries]
        self.colours.reserve([s.model for s in summaries])
        brushes = [pg.mkBrush(self.colours(s.model)) for s in summaries]
        rates = np.array([s.pass_rate * 100 for s in summaries])
        low = np.array([(s.pass_rate - s.ci_low) * 100 for s in summaries])
        high = np.array([(s.ci_high - s.pass_rate) * 100 for s in summaries])
        self.pass_plot.clear()
        self.pass_plot.addItem(pg.BarGraphItem(x=x, height=rates, width=0.55, brushes=brushes))
        self.pass_plot.addItem(pg.ErrorBarItem(x=x, y=rates, top=high, bottom=low, beam=0.2, pen=pg.mkPen(text_colour(self.pass_plot), width=2)))
        for i, rate in enumerate(rates):
            label = palette_text(f"{rate:.1f}%", anchor=(0.5, 1.0))
            label.setPos(x[i], rate + high[i] + 1)
            self.pass_plot.addItem(label)
        self.pass_plot.setYRange(0, 110, padding=0)
        costs = np.array([s.cost_per_1k_usd for s in summaries])
        self.cost_plot.clear()
        self.cost_plot.addItem(pg.BarGraphItem(x=x, height=costs, width=0.55, brushes=brushes))
        for i, cost in enumerate(costs):
            label = palette_text(money(cost), anchor=(0.5, 1.0))
            label.setPos(x[i], cost)
            self.cost_plot.addItem(label)
        top = float(costs.max()) if costs.size else 0.0
        self.cost_plot.setYRange(0, top * 1.2 if top > 0 else 1.0, padding=0)
        self.names = names
        for plot in (self.pass_plot, self.cost_plot):
            apply_palette(plot)
            plot.setXRange(-0.6, max(len(summaries) - 0.4, 0.6), padding=0)
        self._wrap_names()

    def _wrap_names(self) -> None:
        """Each model's name wrapped to the width of its own slot on the axis, so long names
        ("Mixtral-8x7B-Instruct-v0.1" beside "Llama-3.1-70B-Instruct-Turbo") never run into each
        other, and wrapped again when the charts are resized."""
        for plot in (self.pass_plot, self.cost_plot):
            axis = plot.getPlotItem().getAxis("bottom")
            font = axis.style.get("tickFont") or axis.font()
            slot_px = plot.getPlotItem().vb.width() / max(len(self.names), 1)
            chars = max(6, int(slot_px / (QFontMetrics(font).averageCharWidth() * 1.15)) - 1)
            set_category_ticks(axis, self.names, chars)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.names:
            self._wrap_names()
