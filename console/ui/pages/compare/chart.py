"""Cost and latency per column as two bar charts (pyqtgraph), side by side."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.ui.empty_hint import HintOrContent
from console.ui.plots import apply_palette, palette_text, set_category_ticks, side_by_side, still_plot
from console.ui.units import millis_ticks, money_ticks

_BAR = "#5c6bc0"
_FAILED = "#e57373"


class CostLatencyChart(QWidget):
    """Attributes:
        cost_plot, latency_plot: the two charts; their bars are replaced on every ``show_columns``.
        empty: says what will be charted until the first comparison has columns to show.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cost_plot = still_plot("Cost per column", "", money_ticks)
        self.latency_plot = still_plot("Latency per column (TTFT inside)", "", millis_ticks)
        plots = side_by_side(self.cost_plot, self.latency_plot)
        self.empty = HintOrContent(plots, "Cost and latency of each column are charted here once a comparison "
                                          "has run: tick the models, type a prompt and press Run side by side.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        self.values: dict[str, list[float]] = {}

    def show_columns(self, labels: Sequence[str], costs: Sequence[float], latencies: Sequence[float],
                     ttfts: Sequence[float | None], ok: Sequence[bool]) -> None:
        if not labels:
            self.empty.show_hint()
            return
        self.empty.show_content()
        x = np.arange(len(labels), dtype=float)
        brushes = [pg.mkBrush(_BAR if good else _FAILED) for good in ok]
        self.values = {"cost": list(costs), "latency": list(latencies)}
        for plot, heights in ((self.cost_plot, costs), (self.latency_plot, latencies)):
            plot.clear()
            values = np.asarray(heights, dtype=float)
            plot.addItem(pg.BarGraphItem(x=x, height=values, width=0.6, brushes=brushes))
            set_category_ticks(plot.getPlotItem().getAxis("bottom"), labels, 14)
            top = float(values.max()) if values.size else 0.0
            plot.setYRange(0.0, top * 1.15 if top > 0 else 1.0, padding=0)
            plot.setXRange(-0.6, max(len(labels) - 0.4, 0.6), padding=0)
        if not any(costs):
            note = palette_text("every column was free (local or unpriced)", anchor=(0.5, 0.5))
            note.setPos((len(labels) - 1) / 2, 0.5)
            self.cost_plot.addItem(note)
            apply_palette(self.cost_plot)
        first = np.asarray([t if t is not None else 0.0 for t in ttfts], dtype=float)
        self.latency_plot.addItem(pg.BarGraphItem(x=x, height=first, width=0.3, brush=pg.mkBrush("#ffb74d")))
