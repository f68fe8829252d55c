"""Budget burn: each budget's spend so far this period as a share of its limit, and a projection.

Budgets have different periods (a day, a month) and limits, so the chart is normalised: x is how
much of the period has passed, y how much of the limit is spent; the ceiling is the 100% line for
all of them. Hover shows the dollars.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.ui.pages.dashboard.chart_panel import ChartPanel
from console.ui.pages.dashboard.loaders import BudgetView
from console.ui.pages.dashboard.query import Drill
from console.ui.plots import format_axis
from console.ui.units import money, percent_ticks


def _elapsed_share(view: BudgetView, times: np.ndarray) -> np.ndarray:
    span = view.period_end - view.burn.period_start
    return (np.asarray(times, dtype=float) - view.burn.period_start) / span * 100


class BudgetChart(ChartPanel):
    """Spent share per budget (solid), projection to period end (dotted), the ceiling (dashed 100%)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Budgets this period", time_axis=False, parent=parent)
        self.plot.setLabel("left", "% of limit spent")
        self.plot.setLabel("bottom", "% of period passed")
        for side in ("left", "bottom"):
            format_axis(self.plot.getAxis(side), percent_ticks)
        self.views: list[BudgetView] = []
        self._limit = pg.InfiniteLine(pos=100, angle=0, pen=pg.mkPen("#d64545", width=1.5, style=Qt.PenStyle.DashLine),
                                      label="limit", labelOpts={"position": 0.03, "color": "#d64545",
                                                                "anchors": [(0, 1), (0, 1)]})
        self._limit.setVisible(False)
        self.plot.addItem(self._limit)
        self._pool: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []  # (spent so far, projection) per budget

    def _lines(self, n: int) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """The n-th budget's lines, made once and reused: rebuilding items costs more than drawing them."""
        while len(self._pool) <= n:
            spent, projection = pg.PlotDataItem(), pg.PlotDataItem()
            self.plot.addItem(spent)
            self.plot.addItem(projection)
            self._pool.append((spent, projection))
        return self._pool[n]

    def show_budgets(self, views: Sequence[BudgetView]) -> None:
        self.views = list(views)
        self._limit.setVisible(bool(self.views))
        for spent, projection in self._pool[len(self.views):]:
            spent.setVisible(False)
            projection.setVisible(False)
        legend = []
        top = 100.0
        self.colours.reserve([view.burn.name for view in self.views])
        for n, view in enumerate(self.views):
            tint = self.colours(view.burn.name)
            burn = view.burn
            x = _elapsed_share(view, view.times)
            y = view.cumulative / burn.limit_usd * 100
            spent, projection = self._lines(n)
            spent.setData(x, y, pen=pg.mkPen(tint, width=2.5))
            spent.setVisible(True)
            legend.append((f"{burn.name}/{burn.period}: {money(burn.spent_usd)} of {money(burn.limit_usd)} "
                           f"→ {money(view.projected_usd)}", tint))
            end_x = float(x[-1]) if len(x) else 0.0
            projected = view.projected_usd / burn.limit_usd * 100
            projection.setData([end_x, 100.0], [burn.spent_usd / burn.limit_usd * 100, projected],
                               pen=pg.mkPen(tint, width=1.5, style=Qt.PenStyle.DotLine))
            projection.setVisible(True)
            top = max(top, projected, float(y.max()) if len(y) else 0.0)
        self.set_legend(legend, glyph="━")
        if not self.views:
            self.note.setText("no budgets: open a policy that has budgets to see ceilings and projections")
            return
        over = [v.burn.name for v in self.views if v.projected_usd > v.burn.limit_usd]
        self.note.setText("projected over: " + ", ".join(over) if over else "all projected within their limits")
        self.show_range((-2, 102), (0, top * 1.1))
        self.settle()

    def _nearest(self, x: float, y: float) -> BudgetView | None:
        if not self.views:
            return None
        return min(self.views, key=lambda v: abs(_spent_share_at(v, x) - y))

    def describe(self, x: float, y: float) -> str | None:
        view = self._nearest(x, y)
        if view is None:
            return None
        burn = view.burn
        moment = burn.period_start + (view.period_end - burn.period_start) * x / 100
        spent = _spent_share_at(view, x) * burn.limit_usd / 100
        return (f"{burn.name}: ${spent:,.2f} by {datetime.fromtimestamp(moment):%b %d %H:%M} · limit "
                f"${burn.limit_usd:,.2f} per {burn.period} · projected ${view.projected_usd:,.2f} by "
                f"{datetime.fromtimestamp(view.period_end):%b %d %H:%M} · then {burn.action}")

    def drill_at(self, x: float, y: float) -> Drill | None:
        view = self._nearest(x, y)
        return None if view is None else Drill(f"budget {view.burn.name} · this {view.burn.period}", view.filters)

    def csv_table(self) -> tuple[Sequence[str], list[Sequence[Any]]]:
        rows = [[v.burn.name, v.burn.period, datetime.fromtimestamp(v.burn.period_start).isoformat(),
                 f"{v.burn.spent_usd:.6f}", f"{v.burn.limit_usd:.2f}", f"{v.projected_usd:.6f}", v.burn.action]
                for v in self.views]
        return ["budget", "period", "period_start", "spent_usd", "limit_usd", "projected_usd", "action"], rows


def _spent_share_at(view: BudgetView, x: float) -> float:
    if len(view.times) == 0:
        return 0.0
    return float(np.interp(x, _elapsed_share(view, view.times), view.cumulative / view.burn.limit_usd * 100))
