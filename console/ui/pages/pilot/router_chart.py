"""The learned router's quality/cost curve: pass rate against cost per 1,000 requests.

Drawn: the router's measured curve, each model alone, the random router between the cheapest and
the strongest model, the longest-prompts heuristic, the target line, and the operating point. The
operating point is a vertical line the operator drags along the cost axis; it snaps to the curve's
nearest point and says its pass rate, calls per model and cost. ``save_chart_png`` renders the same
chart offscreen for ``routedesk router eval``.

Signals:
    sig_operating_point_moved(float, float): the point's lam and its pass rate over the strongest model's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.ui.plots import apply_palette, colour, format_axis, palette_text, still_plot, text_colour
from console.ui.units import money, money_ticks, percent_ticks


class RouterCurveChart(QWidget):
    """Attributes:
        plot: the chart. point_label: the operating point in words. point: the current CurvePoint.
    """

    sig_operating_point_moved = Signal(float, float)
    """The operator moved the operating point: its lam and pass rate / strongest model's pass rate."""

    def __init__(self, parent: Any = None, *, movable: bool = True) -> None:
        super().__init__(parent)
        self.movable = movable  # False for a saved picture: nothing there can be dragged
        self.plot = still_plot("Pass rate against cost (held-out prompts)", "pass rate", percent_ticks)
        self.plot.setLabel("bottom", "cost per 1,000 requests")
        format_axis(self.plot.getPlotItem().getAxis("bottom"), money_ticks)
        self.legend = self.plot.addLegend(offset=(-10, -10))  # bottom right: the curves end top right
        self.point_label = QLabel()
        self.point_label.setWordWrap(True)
        self.point_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.point_label)
        self.report: Any = None
        self.point: Any = None
        self.handle: pg.InfiniteLine | None = None
        self.marker: pg.ScatterPlotItem | None = None

    def show_report(self, report: Any) -> None:
        self.report = report
        curve = report.curve
        plot = self.plot
        plot.clear()
        text = text_colour(self)  # the chart's own: on a theme switch it changes before the plot's
        self.legend.setLabelTextColor(text)
        costs = [p.cost_per_1k for p in curve.points]
        rates = [p.pass_rate * 100 for p in curve.points]
        order = np.argsort(costs, kind="stable")
        plot.plot(np.array(costs)[order], np.array(rates)[order], pen=pg.mkPen(colour(0), width=2.5), name="router")
        weak, strong = curve.cheapest, curve.strongest
        plot.plot([curve.single_costs_per_1k[weak], curve.single_costs_per_1k[strong]],
                  [curve.single_pass_rates[weak] * 100, curve.single_pass_rates[strong] * 100],
                  pen=pg.mkPen(colour(1), width=1.5, style=Qt.PenStyle.DashLine), name="random")
        if report.longest_curve:
            xs, ys = zip(*report.longest_curve)
            plot.plot(list(xs), [y * 100 for y in ys], pen=pg.mkPen(colour(2), width=1.5, style=Qt.PenStyle.DotLine),
                      name="longest prompts first")
        goal = report.target * curve.strongest_pass_rate * 100
        plot.addItem(pg.InfiniteLine(goal, angle=0, pen=pg.mkPen(colour(4), width=1, style=Qt.PenStyle.DashLine),
                                     label=f"target {report.target:.0%} of the strongest",
                                     labelOpts={"position": 0.15, "color": text}))
        for i, model in enumerate(curve.models):
            plot.plot([curve.single_costs_per_1k[i]], [curve.single_pass_rates[i] * 100], pen=None, symbol="s",
                      symbolSize=9, symbolBrush=pg.mkBrush(colour(5 + i)))
            label = palette_text(model.rsplit("/", 1)[-1], anchor=(0.0 if i != strong else 1.0, 1.2))
            label.setPos(curve.single_costs_per_1k[i], curve.single_pass_rates[i] * 100)
            plot.addItem(label)
        start = report.calibrated
        self.marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(colour(0)), pen=pg.mkPen("w", width=1.5))
        plot.addItem(self.marker)
        self.handle = pg.InfiniteLine(start.cost_per_1k, angle=90, movable=True, pen=pg.mkPen(colour(0), width=1.5),
                                      hoverPen=pg.mkPen(colour(0), width=3))
        self.handle.sigPositionChanged.connect(self._on_handle_moved)
        plot.addItem(self.handle)
        low, high = min(rates + [curve.single_pass_rates[weak] * 100]), max(rates + [goal])
        plot.setYRange(max(0.0, low - 5), min(102.0, high + 7), padding=0)  # room for the models' names
        plot.setXRange(0, max(costs + list(curve.single_costs_per_1k)) * 1.05, padding=0)
        apply_palette(plot)
        self._settle(start.cost_per_1k, emit=False)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.report is not None:  # a theme switch: redraw
            point = self.point
            self.show_report(self.report)  # the legend and target label take the new text colour
            if point is not None and self.handle is not None:
                self.handle.setValue(point.cost_per_1k)

    def _on_handle_moved(self, line: pg.InfiniteLine) -> None:
        self._settle(float(line.value()), emit=True)

    def _settle(self, cost: float, *, emit: bool) -> None:
        points = self.report.curve.points
        self.point = min(points, key=lambda p: (abs(p.cost_per_1k - cost), p.cost_per_1k))
        if self.marker is not None:
            self.marker.setData([self.point.cost_per_1k], [self.point.pass_rate * 100])
        curve = self.report.curve
        ratio = self.point.pass_rate / (curve.strongest_pass_rate or 1.0)
        shares = ", ".join(f"{m.rsplit('/', 1)[-1]} {s:.0%}" for m, s in zip(curve.models, self.point.shares))
        self.point_label.setText(f"Operating point: pass rate {self.point.pass_rate:.1%} ({ratio:.0%} of "
                                 f"{curve.models[curve.strongest].rsplit('/', 1)[-1]}), calls: {shares}, "
                                 f"{money(self.point.cost_per_1k)} per 1,000 requests."
                                 + (" Drag the line to move it." if self.movable else ""))
        if emit:
            self.sig_operating_point_moved.emit(self.point.lam, ratio)

    def point_target(self) -> float:
        """The target the current point stands for: its pass rate over the strongest model's."""
        return float(self.point.pass_rate / (self.report.curve.strongest_pass_rate or 1.0)) if self.point else 0.95


def save_chart_png(report: Any, path: Path, size: tuple[int, int] = (960, 600)) -> Path:
    """Render the chart of ``report`` offscreen to ``path`` (creating a Qt application when there is none)."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    chart = RouterCurveChart(movable=False)
    chart.resize(*size)
    chart.show_report(report)
    chart.ensurePolished()
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    image = chart.grab()
    chart.deleteLater()
    if not image.save(str(path), "PNG"):
        raise OSError(f"Qt could not write {path}")
    return path
