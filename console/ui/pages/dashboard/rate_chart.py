"""Rates over time per task × model, with 95% Wilson bands: the failure-rate and fallback-rate charts.

Only the pairs with the most events get a line (``MAX_LINES``), so twelve pairs do not become an
unreadable knot; a pair asked for by a drift alert is always drawn, and drawn thicker. Clicking
near a point opens that bucket's failed (or fallen-back) requests of that pair.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from console.core.ledger.filters import Filters
from console.core.ledger.series import RateSeries
from console.ui.pages.dashboard.chart_panel import ChartPanel, bucket_label, fast_line
from console.ui.pages.dashboard.query import Drill
from console.ui.plots import format_axis
from console.ui.units import percent_ticks

MAX_LINES = 6
MIN_TRIALS_FOR_SCALE = 20
BANDS = 2  # bands for the top pairs only: six overlapping bands hide the lines


def band_path(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> QPainterPath:
    """The region between two curves: along ``low`` forward, back along ``high`` (what FillBetweenItem fills)."""
    return pg.arrayToQPath(np.concatenate([x, x[::-1]]), np.concatenate([low, high[::-1]]))


class RateChart(ChartPanel):
    """One line per task × model pair (top pairs by events), with its confidence band."""

    def __init__(self, title: str, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent=parent)
        self.noun = noun  # "failure" or "fallback"
        self.plot.setLabel("left", f"{noun} rate")
        format_axis(self.plot.getAxis("left"), percent_ticks)
        self.series: RateSeries | None = None
        self.filters = Filters()
        self.shown: list[int] = []  # key indexes drawn
        self.focus: tuple[str, str] | None = None
        self.lines: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._pool: list[tuple[pg.PlotDataItem, QGraphicsPathItem]] = []  # (line, band)

    def show_rates(self, series: RateSeries, filters: Filters) -> None:
        self.series, self.filters = series, filters
        self._redraw()

    def focus_pair(self, task: str, model: str) -> None:
        """Draw (and emphasise) one pair, as a drift alert asks."""
        self.focus = (task, model)
        if self.series is not None:
            self._redraw()

    def _items(self, n: int) -> tuple[pg.PlotDataItem, QGraphicsPathItem]:
        """The n-th line and its band, made once and reused: rebuilding items costs more than drawing them.

        The band is a plain path item outlined from numpy (``band_path``, ~0.01 ms) rather than a
        FillBetweenItem between two curves, which re-traces its outline through QPolygonF copies:
        ~0.5 ms a band alone and ~5 ms while a section is being read, as those calls hand the GIL
        to the reader and wait to get it back."""
        while len(self._pool) <= n:
            band = QGraphicsPathItem()
            band.setPen(QPen(Qt.PenStyle.NoPen))
            band.setZValue(-1)  # under every line
            self.plot.addItem(band)
            line = fast_line(self.plot, np.zeros(0), np.zeros(0))
            self._pool.append((line, band))
        return self._pool[n]

    def reserve(self, n: int = MAX_LINES) -> int:
        """Make hidden lines and bands until the pool holds ``n`` (done while the page is idle, so the
        first filter change that shows more pairs reuses items instead of making them); returns how
        many were made."""
        made = max(0, n - len(self._pool))
        for k in range(len(self._pool), n):
            line, band = self._items(k)
            line.setVisible(False)
            band.setVisible(False)
        return made

    def _redraw(self) -> None:
        series = self.series
        assert series is not None
        self.lines = {}
        order = list(np.argsort(-series.events.sum(axis=0), kind="stable"))
        shown = [int(j) for j in order[:MAX_LINES]]
        if self.focus in series.keys and series.keys.index(self.focus) not in shown:
            shown.append(series.keys.index(self.focus))
        self.shown = shown
        x = series.bucket_starts + series.bucket_seconds / 2
        rates = series.rates() * 100
        low, high = (b * 100 for b in series.band())
        symbols = len(x) <= 120  # dots help on a few points and only cost on many
        legend = []
        self.colours.reserve([" · ".join(series.keys[j]) for j in shown])
        for n, j in enumerate(shown):
            line, band = self._items(n)
            have = series.trials[:, j] > 0
            task, model = series.keys[j]
            tint = self.colours(f"{task} · {model}")
            emphasised = self.focus == (task, model)
            banded = bool(have.sum() > 1 and (n < BANDS or emphasised))
            if banded:
                band_colour = QColor(tint)
                band_colour.setAlpha(45)
                band.setBrush(band_colour)
                band.setPath(band_path(x[have], low[have, j], high[have, j]))
            band.setVisible(banded)  # a hidden band keeps a stale outline; nothing reads it
            line.setData(x[have], rates[have, j], pen=pg.mkPen(tint, width=3 if emphasised else 1.6),
                         symbol="o" if symbols else None, symbolSize=5, symbolBrush=tint, symbolPen=None)
            line.setVisible(True)
            legend.append((f"{task} · {model}", tint))
            self.lines[(task, model)] = line
        self.set_legend(legend, glyph="━")
        for line, band in self._pool[len(shown):]:
            if line.isVisible():
                line.setData([], [])
                line.setVisible(False)
            band.setVisible(False)
        hidden = len(series.keys) - len(shown)
        overall = series.events.sum() / max(series.trials.sum(), 1)
        self.note.setText(f"overall {overall:.1%} of {series.trials.sum():,}"
                          + (f" · {len(shown)} of {len(series.keys)} pairs (most {self.noun}s)" if hidden > 0 else ""))
        # Scale to the buckets with enough trials to mean something: a 1-of-1 blip must not flatten a real spike.
        cells = series.trials[:, shown]
        solid = rates[:, shown][cells >= MIN_TRIALS_FOR_SCALE]
        drawn = solid if solid.size else rates[:, shown][cells > 0]
        top = float(np.nanmax(drawn)) if drawn.size else 10.0
        span = (float(x[0] - series.bucket_seconds / 2), float(x[-1] + series.bucket_seconds / 2)) if len(x) else None
        self.show_range(span, (0, min(100.0, max(top, 1.0) * 1.1)))
        self.settle()

    def _hit(self, x: float, y: float) -> tuple[int, int] | None:
        series = self.series
        if series is None or not self.shown or len(series.bucket_starts) == 0:
            return None
        i = int(np.searchsorted(series.bucket_starts, x, side="right") - 1)
        if i < 0 or x > series.bucket_starts[i] + series.bucket_seconds:
            return None
        rates = series.rates()[i] * 100
        candidates = [(abs(rates[j] - y), j) for j in self.shown if series.trials[i, j] > 0]
        if not candidates:
            return None
        return i, min(candidates)[1]

    def describe(self, x: float, y: float) -> str | None:
        hit = self._hit(x, y)
        if hit is None:
            return None
        i, j = hit
        s = self.series
        assert s is not None
        low, high = s.band()
        task, model = s.keys[j]
        return (f"{bucket_label(float(s.bucket_starts[i]), s.bucket_seconds)} · {task} · {model}: "
                f"{s.events[i, j] / s.trials[i, j]:.1%} ({s.events[i, j]:,} of {s.trials[i, j]:,}), "
                f"95% CI {low[i, j]:.1%}–{high[i, j]:.1%}")

    def drill_at(self, x: float, y: float) -> Drill | None:
        hit = self._hit(x, y)
        if hit is None:
            return None
        i, j = hit
        s = self.series
        assert s is not None
        task, model = s.keys[j]
        start = float(s.bucket_starts[i])
        since = max(start, self.filters.since or start)
        until = min(start + s.bucket_seconds, self.filters.until or start + s.bucket_seconds)
        filters = replace(self.filters.with_range(since, until), task=task, model=model)
        return Drill(f"{self.noun}s · {task} · {model} · {bucket_label(start, s.bucket_seconds)}", filters,
                     failed_only=True)

    def csv_table(self) -> tuple[Sequence[str], list[Sequence[Any]]]:
        s = self.series
        if s is None:
            return [], []
        low, high = s.band()
        rows = [[bucket_label(float(b), s.bucket_seconds), task, model, int(s.trials[i, j]), int(s.events[i, j]),
                 f"{low[i, j]:.6f}", f"{high[i, j]:.6f}"]
                for i, b in enumerate(s.bucket_starts) for j, (task, model) in enumerate(s.keys) if s.trials[i, j]]
        return ["bucket", "task", "model", "trials", f"{self.noun}s", "ci95_low", "ci95_high"], rows
