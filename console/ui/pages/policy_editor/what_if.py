"""What-if: replay the unsaved draft over a period of the routing log and show what would change.

The replay (``app.replay.replay_policy``) runs off the GUI thread with progress and cancel
(``ui/progress_job.py``, shared with the Assessment page). Shows the headline spend change, daily
actual against projected spend, the routing changes, blocked requests and the untested swaps, each
with Pilot this swap.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QPushButton, QSizePolicy, QTableWidget, QTabWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from console.ui.progress_job import ProgressJob
from console.ui.replay_period import PeriodBox
from console.ui.result_table import result_table
from console.ui.units import money

CHANGE_HEADERS = ("task", "from", "to", "requests", "share", "actual $", "projected $", "evidence", "quality")
BLOCK_HEADERS = ("task", "rule", "outcome", "requests", "reason")
TAB_TITLES = ("Routing changes", "Constraints", "Untested swaps")  # short: all three fit a side panel


class WhatIfPanel(QWidget):
    """Signals:
        sig_pilot_swap(task, baseline, candidate, bar_text): Pilot this swap was clicked.
        sig_replayed(object): a replay finished; its report.
    """

    sig_pilot_swap = Signal(str, str, str, str)
    sig_replayed = Signal(object)

    def __init__(self, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._policy: Any = None
        self.report: Any = None
        self.period = PeriodBox()
        self.job = ProgressJob(bridge, run_label="Replay draft", running="Replaying…", noun="Replay", parent=self)
        self.run_button, self.cancel_button, self.progress = (self.job.run_button, self.job.cancel_button,
                                                              self.job.progress_bar)
        self.run_button.clicked.connect(self.run)
        self.job.sig_job_finished.connect(self._on_finished)
        self.headline = QLabel("Replay the draft over real traffic: nothing is called, nothing is logged.")
        self.headline.setWordWrap(True)
        # The chart (pyqtgraph, ~0.2 s to import) is made when the tab is first shown, not when the
        # editor opens: every policy tab builds this panel before the window's first paint.
        self._chart: Any = None
        self.legend: Any = None  # the chart's LegendStrip, made with it
        self._chart_holder = QVBoxLayout()
        self._chart_holder.setContentsMargins(0, 0, 0, 0)
        self.changes = result_table(CHANGE_HEADERS)
        self.blocked = result_table(BLOCK_HEADERS)
        self.untested = QListWidget()
        self.pilot_button = QPushButton("Pilot this swap")
        self.pilot_button.setEnabled(False)
        self.pilot_button.clicked.connect(self._on_pilot_clicked)
        self.untested.currentRowChanged.connect(lambda row: self.pilot_button.setEnabled(row >= 0))
        self._swaps: list[tuple[str, str, str]] = []
        self.job.sig_status_changed.connect(self.headline.setText)
        swaps = QWidget()
        swaps_row = QHBoxLayout(swaps)
        swaps_row.setContentsMargins(0, 0, 0, 0)
        swaps_row.addWidget(self.untested, 1)
        swaps_row.addWidget(self.pilot_button)
        # three lists under one set of tabs: each gets the panel's height, which a side panel has little of
        self.details = QTabWidget()
        self.details.addTab(self.changes, "")
        self.details.addTab(self.blocked, "")
        self.details.addTab(swaps, "")
        self._name_tabs(None)
        layout = QVBoxLayout(self)
        layout.addLayout(self.job.controls(self.period))
        layout.addWidget(self.headline)
        layout.addLayout(self._chart_holder, 2)
        layout.addWidget(self.details, 3)

    def _name_tabs(self, report: Any) -> None:
        counts = ("", "", "") if report is None else (
            f" ({len(report.changes)})", f" ({len(report.constraints)})", f" ({len(report.untested_swaps)})")
        for index, (title, count) in enumerate(zip(TAB_TITLES, counts)):
            self.details.setTabText(index, title + count)
        self.details.setTabToolTip(0, "Logged first choice → the draft's first choice, per task")
        self.details.setTabToolTip(1, "Requests the draft blocks or moves for region, residency, on-prem only, "
                                      "context, cost ceiling or budget")
        self.details.setTabToolTip(2, "Changed pairs with no pilot yet: Pilot this swap opens the Pilot page")

    @property
    def chart(self) -> Any:
        """The daily actual-against-projected chart (dates on x, its legend above it), made on first use."""
        if self._chart is None:
            from console.ui.legend_strip import LegendStrip
            from console.ui.plots import still_plot
            from console.ui.units import money_ticks

            self.legend = LegendStrip()
            self._chart = still_plot("Spend per day", "", money_ticks, dates=True)
            # the tables below keep their share of a short side panel: the plot asks for no height of its own
            self._chart.setMinimumHeight(140)
            self._chart.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
            self._chart_holder.addWidget(self.legend)
            self._chart_holder.addWidget(self._chart, 1)
        return self._chart

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self.chart  # noqa: B018 - made when first seen, so the empty chart shows where results will go
        super().showEvent(event)

    def set_policy(self, policy: Any) -> None:
        """Replay ``policy`` from now on (None while the draft has errors)."""
        self._policy = policy
        self.job.set_ready(policy is not None)

    def run(self) -> None:
        if self._policy is None or self.job.busy:
            return
        from console.core.app.replay import replay_policy

        since, until = self.period.time_range()
        policy, url = self._policy, getattr(self.bridge, "log_url", None)
        self.job.start(lambda progress: replay_policy(policy, url=url, since=since, until=until, progress=progress))

    def cancel(self) -> None:
        self.job.cancel()

    def _on_finished(self, report: Any) -> None:
        self.show_report(report)
        self.sig_replayed.emit(report)

    def show_report(self, report: Any) -> None:
        self.report = report
        spend = report.spend
        change = spend.projected_usd - spend.actual_usd
        percent = 100 * change / spend.actual_usd if spend.actual_usd else 0.0
        note = (f" {spend.estimated_output} requests priced with output tokens from the task's logged output."
                if spend.estimated_output else "")
        self.headline.setText(
            f"{report.requests} requests: spend {money(spend.actual_usd)} → {money(spend.projected_usd)} "
            f"({'+' if change >= 0 else ''}{money(change)}, {percent:+.1f}%). {report.changed_requests} change route.{note}")
        self._draw_days(report)
        self._fill(self.changes, [
            (c.task, c.from_model or "(none logged)", c.to_model, c.requests, f"{100 * c.share:.1f}%",
             money(c.actual_usd), money(c.projected_usd), "" if c.exposure is None else c.exposure.evidence,
             "" if c.to_model == "(blocked)" else (c.pilot.summary if c.pilot else "untested swap"))
            for c in report.changes])
        self._fill(self.blocked, [(k.task, k.rule, k.outcome, k.requests, k.reason) for k in report.constraints])
        self._name_tabs(report)
        self.untested.clear()
        self._swaps = [(c.task, c.from_model, c.to_model) for c in report.untested_swaps]
        for task, frm, to in self._swaps:
            self.untested.addItem(f"{task}: {frm} → {to}")
        self.pilot_button.setEnabled(False)

    def _draw_days(self, report: Any) -> None:
        import pyqtgraph as pg

        from console.ui.plots import colour

        self.chart.clear()
        # each day's point at its UTC noon: inside that date in every time zone the date axis may show
        xs = [datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() + 43200
              for day in report.spend_by_day]
        days = list(report.spend_by_day.values())
        series = (("actual", [d.actual_usd for d in days], colour(0)),
                  ("projected", [d.projected_usd for d in days], colour(1)))
        for name, ys, tint in series:
            self.chart.plot(xs, ys, pen=pg.mkPen(tint, width=2), symbol="o", symbolSize=5, symbolBrush=tint,
                            symbolPen=None, name=name)
        self.legend.show_entries([(name, tint) for name, _ys, tint in series], glyph="━")

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[Any, ...]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(str(value)))
        table.resizeColumnsToContents()

    def _on_pilot_clicked(self) -> None:
        row = self.untested.currentRow()
        if 0 <= row < len(self._swaps):
            task, frm, to = self._swaps[row]
            from console.core.app.replay import swap_bar_yaml

            self.sig_pilot_swap.emit(task, frm, to, swap_bar_yaml(frm))
