"""The dashboards page: shared filters on top, charts in a grid, drift alerts and requests below.

Every read goes through ``DashboardData`` (off the GUI thread); charts get arrays and draw. Any
click on a chart, bar or drift alert fills the requests table with the requests behind it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from console.core.ledger.drift import DriftFlag
from console.core.policy.schema import Budget
from console.ui.layout import CONTROL_SPACING, page_layout
from console.ui.pages.dashboard import breakdowns
from console.ui.pages.dashboard.budget_chart import BudgetChart
from console.ui.pages.dashboard.data_worker import DashboardData
from console.ui.pages.dashboard.drift_list import DriftList, drill_for
from console.ui.pages.dashboard.empty_state import EmptyState
from console.ui.pages.dashboard.filters_bar import FiltersBar
from console.ui.pages.dashboard.loaders import AttemptsSection, RequestsSection
from console.ui.pages.dashboard.query import Clock, DashboardQuery, Drill
from console.ui.pages.dashboard.rate_chart import RateChart
from console.ui.pages.dashboard.requests_panel import RequestsPanel
from console.ui.pages.dashboard.spend_chart import SpendChart

ALL_REQUESTS = "all requests"


class DashboardPage(QWidget):
    """Spend, failure and fallback rates, latency, drift and requests over the routing log.

    Signals:
        sig_dashboard_drawn(float): every chart of the current query is drawn; ms since the query began.
        sig_drill_opened(object): the requests table now shows this Drill.
    """

    sig_dashboard_drawn = Signal(float)
    sig_drill_opened = Signal(object)

    def __init__(self, bridge: Any, log_url: str | None = None, clock: Clock = time.time,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.data = DashboardData(bridge, clock, self)
        self.query = DashboardQuery()
        self.last_draw_ms: float | None = None
        self._started = 0.0
        self._latest: float | None = None
        self._apply_pending = False
        self.filters_bar = FiltersBar(clock)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.hide()
        self.summary = QLabel(" ")
        self.summary.setObjectName("hint")
        self.spend = SpendChart()
        self.budgets = BudgetChart()
        self.failures = RateChart("Failure rate by task × model", "failure")
        self.outcomes = breakdowns.outcome_chart()
        self.fallbacks = RateChart("Fallback rate by task × first choice", "fallback")
        self.chains = breakdowns.chains_chart()
        self.latency = breakdowns.latency_chart()
        self.charts = [self.spend, self.failures, self.budgets, self.outcomes, self.fallbacks, self.chains,
                       self.latency]
        self.drift = DriftList()
        self.requests = RequestsPanel(self.data.run)
        self.empty = EmptyState(self.data.run)
        self._build_layout()
        self._connect()
        self.data.open(log_url)

    def _build_layout(self) -> None:
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(CONTROL_SPACING)
        for n, chart in enumerate(self.charts):
            last_alone = n == len(self.charts) - 1 and n % 2 == 0
            grid.addWidget(chart, n // 2, n % 2, 1, 2 if last_alone else 1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(grid_host)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.drift)
        lower.addWidget(self.requests)
        lower.setSizes([500, 900])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.scroll)
        split.addWidget(lower)
        split.setSizes([540, 320])
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.summary)
        content_layout.addWidget(split, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        layout = page_layout(QVBoxLayout(self))
        layout.addWidget(self.banner)
        layout.addWidget(self.filters_bar)
        layout.addWidget(self.stack, 1)

    def _connect(self) -> None:
        self.data.sig_opened.connect(self._on_data_opened)
        self.data.sig_open_failed.connect(self._on_data_open_failed)
        self.data.sig_choices_loaded.connect(self.filters_bar.set_choices)
        self.data.sig_section_loaded.connect(self._on_data_section_loaded)
        self.data.sig_section_failed.connect(self._on_data_section_failed)
        self.data.sig_query_finished.connect(self._on_data_query_finished)
        self.data.sig_log_changed.connect(self._on_data_log_changed)
        self.filters_bar.sig_filters_changed.connect(self.apply_query)
        self.spend.sig_spend_by_changed.connect(self._on_spend_spend_by_changed)
        for chart in self.charts:
            chart.sig_drill_requested.connect(self.open_drill)
        self.drift.sig_flag_activated.connect(self._on_drift_flag_activated)
        self.requests.sig_reset_requested.connect(self.show_all_requests)
        self.empty.sig_demo_ready.connect(self._on_empty_demo_ready)

    # --- opening and querying -----------------------------------------------------------------
    def open_log(self, url: str | None) -> None:
        self.data.open(url)

    def set_budgets(self, budgets: Sequence[Budget]) -> None:
        self.data.budgets = list(budgets)
        if self.data.db is not None and self.stack.currentIndex() == 1:
            self._load(["attempts", "budgets"])

    def apply_query(self, query: DashboardQuery) -> None:
        """Redraw every chart for ``query`` and show all its requests.

        Changes made in one turn of the event loop (a reset that clears two filters) coalesce into
        one read: a superseded read would still cost its full time on the reader threads."""
        self.query = replace(query, spend_by=self.query.spend_by)
        for chart in self.charts:
            chart.zoomed = False  # a new range or filter: show all of it (live refreshes keep a zoom)
        if not self._apply_pending:
            self._apply_pending = True
            self._started = time.perf_counter()
            QTimer.singleShot(0, self._apply_now)

    def _apply_now(self) -> None:
        self._apply_pending = False
        started = self._started
        self._load()
        self._started = started  # measure from the first change, not from the coalesced read
        self.show_all_requests()

    def _load(self, sections: Sequence[str] | None = None) -> None:
        self._started = time.perf_counter()
        if sections is None:
            self.data.load(self.query)
        else:
            self.data.load(self.query, sections)

    def _on_data_opened(self, latest: float | None) -> None:
        self._latest = latest
        url = self.data.url or ""
        self.empty.set_log(self.data.url)
        if latest is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        if "routedesk-demo-log" in url:
            self.banner.setText("Showing generated demo traffic from a separate demo log, not your routing log.")
            self.banner.show()
        self.apply_query(self.filters_bar.query())

    def _on_data_open_failed(self, message: str) -> None:
        self.empty.set_log(self.data.url, error=message)
        self.empty.button.setEnabled(False)
        self.stack.setCurrentIndex(0)

    def _on_empty_demo_ready(self, url: str) -> None:
        self.open_log(url)

    def _on_data_log_changed(self, latest: float) -> None:
        """New traffic: slide a relative range to now and redraw; leave a scrolled table alone."""
        self._latest = latest
        if self.stack.currentIndex() == 0:
            self.stack.setCurrentIndex(1)
            self.data.refresh_choices()
        self.query = self.query.moved_to(self._clock())
        self._load()
        at_top = self.requests.view.verticalScrollBar().value() == 0
        if self.requests.model.drill is not None and self.requests.model.drill.title == ALL_REQUESTS and at_top:
            self.show_all_requests()

    def _on_spend_spend_by_changed(self, by: str) -> None:
        self.query = replace(self.query, spend_by=by)  # type: ignore[arg-type]
        self.filters_bar.spend_by = by
        self._load(["attempts"])

    # --- sections arrive ----------------------------------------------------------------------
    def _on_data_section_loaded(self, name: str, result: Any) -> None:
        f = self.query.filters
        if name == "attempts":
            self._show_attempts(result)
        elif name == "requests":
            self._show_requests(result)
        elif name == "latency":
            breakdowns.show_latency(self.latency, result, f)
            breakdowns.show_outcomes(self.outcomes, result, f)
        elif name == "budgets":
            self.budgets.show_budgets(result)
        elif name == "drift":
            self.drift.set_flags(result)

    def _show_attempts(self, section: AttemptsSection) -> None:
        for chart in (self.spend, self.failures):  # markers first: their lines are drawn with the data
            chart.show_markers(section.markers)
        self.spend.show_spend(section.spend, self.query.spend_by, self.query.filters, self._clock(),
                              self.data.budgets)
        self.failures.show_rates(section.failures, self.query.filters)
        self._attempt_totals = section.totals
        self._show_summary()

    def _show_requests(self, section: RequestsSection) -> None:
        self.fallbacks.show_markers(section.markers)
        self.fallbacks.show_rates(section.fallbacks, self.query.filters)
        breakdowns.show_chains(self.chains, section, self.query.filters)
        self._request_totals = section.totals
        self._show_summary()

    def _show_summary(self) -> None:
        attempts = getattr(self, "_attempt_totals", None)
        requests = getattr(self, "_request_totals", None)
        if attempts is None or requests is None:
            return
        n, failed, cost = attempts
        r, r_failed, fell, _ = requests
        self.summary.setText(
            f"{r:,} requests · {r_failed:,} failed ({r_failed / max(r, 1):.1%}) · {fell:,} fell back "
            f"({fell / max(r, 1):.1%}) · {n:,} attempts, {failed:,} failed ({failed / max(n, 1):.1%}) · "
            f"spend ${cost:,.2f}")

    def _on_data_section_failed(self, name: str, message: str) -> None:
        self.summary.setText(f"could not read {name}: {message}")

    def _on_data_query_finished(self) -> None:
        self.last_draw_ms = (time.perf_counter() - self._started) * 1000
        self.sig_dashboard_drawn.emit(self.last_draw_ms)

    # --- drilling -----------------------------------------------------------------------------
    def show_all_requests(self) -> None:
        self.requests.show_drill(self.data.db, Drill(ALL_REQUESTS, self.query.filters))

    def open_drill(self, drill: Drill) -> None:
        self.requests.show_drill(self.data.db, drill)
        self.sig_drill_opened.emit(drill)

    def _on_drift_flag_activated(self, flag: DriftFlag) -> None:
        chart = self.fallbacks if flag.metric == "fallback_rate" else self.failures
        if flag.metric == "latency_p95":
            chart = self.latency
        else:
            chart.focus_pair(flag.task, flag.model)  # type: ignore[union-attr]
        self.scroll.ensureWidgetVisible(chart)
        self.open_drill(drill_for(flag, self.query.filters))

    def shutdown(self) -> None:
        self.data.shutdown()

