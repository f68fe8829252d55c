"""One route's rollout on the Rollout page: where it stands, its share over time, its guardrails, two buttons.

Shows a ``RolloutStatus`` and its events (``console.core.app.rollout``); the buttons only ask
(``sig_advance_requested`` / ``sig_rollback_requested``) and the page does the work off the GUI thread.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget)

from console.core.app.rollout import BREACH, ROLLED_BACK, RolloutEvent, RolloutStatus, share_over_time
from console.ui.plots import GridAxis, GridDateAxis, colour, follow_palette, format_axis
from console.ui.units import percent_ticks
from console.ui.result_table import result_table

HEADERS = ("guardrail", "verdict", "A", "B", "B − A", "interval", "margin", "n A / B")
NAMES = {"failure_rate": "failure rate", "p95_latency": "p95 latency", "cost_per_request": "cost per request"}


def _measure(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    return {"failure_rate": f"{value:.2%}", "p95_latency": f"{value:.0f} ms"}.get(name, f"${value:.6f}")


def _difference(value: float | None, relative: bool) -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:+.1%}" if relative else f"{value * 100:+.2f} pts"


def span(seconds: float) -> str:
    """12 s, 5 min, 3.5 h, 2.0 days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 172800 else f"{seconds / 86400:.1f} days"


class RolloutPanel(QGroupBox):
    """Signals:
        sig_advance_requested(str, int): advance this route, expected to be at this step (0-based).
        sig_rollback_requested(str): roll this route back.
    """

    sig_advance_requested = Signal(str, int)
    sig_rollback_requested = Signal(str)

    def __init__(self, route: str, parent: QWidget | None = None) -> None:
        super().__init__(route, parent)
        self.route = route
        self.status: RolloutStatus | None = None
        self.where = QLabel()
        self.where.setObjectName("rollout-where")
        self.where.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.error = QLabel()  # what a button could not do; stays until the next button
        self.error.setWordWrap(True)
        self.error.setObjectName("rollout-error")
        self.error.setVisible(False)
        self.message.setVisible(False)
        self.advance_button = QPushButton("Advance")
        self.advance_button.clicked.connect(self._on_advance_clicked)
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.clicked.connect(lambda: self.sig_rollback_requested.emit(self.route))
        self.chart = pg.PlotWidget(axisItems={"bottom": GridDateAxis(), "left": GridAxis("left")},
                                   title="share on the candidate")
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.setMenuEnabled(False)
        self.chart.showGrid(x=True, y=True, alpha=0.25)
        self.chart.setYRange(0, 100, padding=0.05)
        self.chart.setFixedHeight(220)
        format_axis(self.chart.getPlotItem().getAxis("left"), percent_ticks)
        follow_palette(self.chart)
        self.curve = self.chart.plot([], [], pen=pg.mkPen(colour(0), width=2))
        self.breaches = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(colour(2)), pen=None, symbol="x")
        self.chart.addItem(self.breaches)
        self.table = result_table(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setFixedHeight(220)
        buttons = QHBoxLayout()
        buttons.addWidget(self.where, 1)
        buttons.addWidget(self.advance_button)
        buttons.addWidget(self.rollback_button)
        row = QHBoxLayout()
        row.addWidget(self.chart, 1)
        row.addWidget(self.table, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.error)

    def show_status(self, status: RolloutStatus, now: float | None = None) -> None:
        self.status = status
        state = status.state
        self.setTitle(f"{state.route}: {state.candidate} in place of {state.replaces}")
        self.where.setText(f"{state.describe()}. Steps {' → '.join(f'{s:g}%' for s in state.steps)}; guardrails "
                           f"over the last {span(status.period[1] - status.period[0])} of this step; on breach: "
                           f"{status.rollout.on_breach}.")
        nxt = state.next_share
        self.advance_button.setText("Resume at %g%%" % nxt if state.status == ROLLED_BACK else
                                    f"Advance to {nxt:g}%" if nxt is not None else "At the last step")
        self.advance_button.setEnabled(nxt is not None)
        self.rollback_button.setEnabled(state.status != ROLLED_BACK)
        self._show_share(status.events, time.time() if now is None else now)
        self._show_checks(status)

    def _show_share(self, events: list[RolloutEvent], now: float) -> None:
        times, shares = share_over_time(events, now)
        self.curve.setData(times, shares)
        tripped = [e for e in events if e.detail.get("breached")]
        self.breaches.setData([e.ts for e in tripped], [e.share for e in tripped])
        last = next((e for e in reversed(tripped)), None)
        self.message.setVisible(last is not None)
        self.message.setText("" if last is None else
                             f"Last breach ({last.action}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime(last.ts))} UTC): "
                             + "; ".join(f"{NAMES.get(b['name'], b['name'])} B − A "
                                         f"{_difference(b.get('estimate'), b.get('relative', False))} "
                                         f"[{_difference(b.get('lower'), b.get('relative', False))}, "
                                         f"{_difference(b.get('upper'), b.get('relative', False))}], margin "
                                         f"{_difference(b.get('margin'), b.get('relative', False))}"
                                         for b in last.detail["breached"]))

    def _show_checks(self, status: RolloutStatus) -> None:
        self.table.setRowCount(len(status.checks))
        for row, check in enumerate(status.checks):
            interval = ("–" if check.lower is None else
                        f"[{_difference(check.lower, check.relative)}, {_difference(check.upper, check.relative)}] "
                        f"at {check.confidence:.0%}")
            cells = (NAMES.get(check.name, check.name), check.status, _measure(check.name, check.baseline),
                     _measure(check.name, check.candidate), _difference(check.estimate, check.relative), interval,
                     _difference(check.margin, check.relative),
                     f"{check.requests_baseline} / {check.requests_candidate} (≥ {check.min_requests})")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1 and check.status == BREACH:
                    item.setForeground(colour(2))
                self.table.setItem(row, col, item)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_advance_clicked(self) -> None:
        if self.status is not None:
            self.sig_advance_requested.emit(self.route, self.status.state.step)


def panel_text(panel: RolloutPanel) -> str:
    """Everything the panel shows as text (tests and screen readers)."""
    cells = [panel.table.item(r, c).text() for r in range(panel.table.rowCount()) for c in range(panel.table.columnCount())
             if panel.table.item(r, c) is not None]
    return "\n".join([panel.title(), panel.where.text(), panel.advance_button.text(), *cells, panel.message.text(),
                      panel.error.text()])

