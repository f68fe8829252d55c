"""Bars over categories (models, outcomes, chains), optionally grouped, each bar a way into its requests.

Category labels are never cut short: a label longer than its slot wraps onto more lines at its
natural breaks (``_``, ``-``, ``/``, ``.``, spaces), and the axis grows to hold them.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from console.ui.pages.dashboard.chart_panel import ChartPanel
from console.ui.pages.dashboard.query import Drill
from console.ui.plots import format_axis, set_category_ticks
from console.ui.units import TickFormat, count_ticks

Format = Callable[[float], str]


class CategoryBars(ChartPanel):
    """Grouped bars: one cluster per category label, one bar per group (e.g. p50 and p95)."""

    def __init__(self, title: str, unit_label: str, fmt: Format, ticks: TickFormat = count_ticks,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, time_axis=False, parent=parent)
        self.plot.setLabel("left", unit_label)
        format_axis(self.plot.getAxis("left"), ticks)
        self.fmt = fmt
        self.labels: list[str] = []
        self.groups: list[tuple[str, np.ndarray]] = []
        self.drills: list[Drill | None] = []
        self.bars: list[pg.BarGraphItem] = []  # the bars drawn now, one item per group
        self._bar_pool: list[pg.BarGraphItem] = []
        self._ticks: tuple[list[str], int] = ([], 0)

    def show_bars(self, labels: Sequence[str], groups: Sequence[tuple[str, Sequence[float]]],
                  drills: Sequence[Drill | None], note: str = "") -> None:
        self.labels = list(labels)
        self.groups = [(name, np.asarray(values, dtype=float)) for name, values in groups]
        self.drills = list(drills)
        self.bars = []
        count = max(len(self.groups), 1)
        width = 0.8 / count
        x = np.arange(len(self.labels), dtype=float)
        self.colours.reserve([name for name, _v in self.groups])
        for g, (name, values) in enumerate(self.groups):
            offset = -0.4 + width * (g + 0.5)
            heights = np.nan_to_num(values)
            bar = self._bar(g)
            bar.setOpts(x=x + offset, height=heights, width=width * 0.92, brush=self.colours(name), pen=None)
            bar.setVisible(True)
            self.bars.append(bar)
        for bar in self._bar_pool[len(self.groups):]:
            bar.setVisible(False)
        self.set_legend([(name, self.colours(name)) for name, _v in self.groups] if count > 1 else [])
        # Labels share the axis: wrap each to what its slot holds (~7 px a character).
        slot_chars = max(8, int(max(self.plot.vb.width(), 300) / max(len(self.labels), 1) / 7) - 1)
        if (self.labels, slot_chars) != self._ticks:  # setting ticks redraws the axis, even the same ones
            set_category_ticks(self.plot.getAxis("bottom"), self.labels, slot_chars)
            self._ticks = (list(self.labels), slot_chars)
        top = max((float(np.nanmax(v)) for _n, v in self.groups if len(v) and np.isfinite(v).any()), default=1.0)
        self.show_range((-0.6, max(len(self.labels) - 0.4, 0.6)), (0, top * 1.08))
        self.note.setText(note)
        self.settle()

    def _bar(self, g: int) -> pg.BarGraphItem:
        """Group g's bars, made once and reused: rebuilding items costs more than drawing them."""
        while len(self._bar_pool) <= g:
            bar = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=1.0)
            self.plot.addItem(bar)
            self._bar_pool.append(bar)
        return self._bar_pool[g]

    def _hit(self, x: float, y: float) -> tuple[int, int] | None:
        if not self.labels:
            return None
        i = int(round(x))
        if not 0 <= i < len(self.labels) or abs(x - i) > 0.45:
            return None
        width = 0.8 / max(len(self.groups), 1)
        g = int((x - i + 0.4) // width)
        g = min(max(g, 0), len(self.groups) - 1)
        return i, g

    def describe(self, x: float, y: float) -> str | None:
        hit = self._hit(x, y)
        if hit is None:
            return None
        i, _g = hit
        parts = [f"{name} {self.fmt(values[i])}" for name, values in self.groups]
        return f"{self.labels[i]}: " + ", ".join(parts)

    def drill_at(self, x: float, y: float) -> Drill | None:
        hit = self._hit(x, y)
        return None if hit is None else self.drills[hit[0]]

    def csv_table(self) -> tuple[Sequence[str], list[Sequence[Any]]]:
        rows = [[label, *(f"{values[i]:.6g}" for _n, values in self.groups)] for i, label in enumerate(self.labels)]
        return ["category", *(name for name, _v in self.groups)], rows

    def bar_centre(self, label: str, group: int = 0) -> tuple[float, float]:
        """Data coordinates of the middle of one bar (tests click there)."""
        i = self.labels.index(label)
        width = 0.8 / max(len(self.groups), 1)
        value = float(np.nan_to_num(self.groups[group][1][i]))
        return i - 0.4 + width * (group + 0.5), value / 2
