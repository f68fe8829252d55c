"""The requests table with its search box, and the selected request's attempt chain in full."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.ledger.chains import RequestChain
from console.ui.pages.dashboard.query import Drill
from console.ui.pages.dashboard.requests_model import SORT_ROLE, RequestsModel, Runner


def describe_chain(chain: RequestChain) -> str:
    """Every attempt of one request, one line each, for the detail pane."""
    r = chain.request
    lines = [f"{r['request_id']}  {datetime.fromtimestamp(r['ts']):%Y-%m-%d %H:%M:%S}  {r['kind']}  "
             f"policy {r['policy_name']}  task {r['task']} ({r['task_reason']})  team {r['team'] or '—'}",
             f"outcome {r['outcome']}  answered by {r['answered_by'] or '—'}  cost ${r['total_cost_usd']:.6f}  "
             f"latency {r['total_latency_ms']:,.0f} ms (routing overhead {r['overhead_ms']:.2f} ms)", ""]
    for a in chain.attempts:
        status = f" HTTP {a['http_status']}" if a["http_status"] else ""
        error = f" — {a['error_class']}: {a['error_message']}" if a["error_class"] else ""
        ttft = f", first token {a['ttft_ms']:,.0f} ms" if a["ttft_ms"] is not None else ""
        estimated = " (estimated)" if a["tokens_estimated"] else ""
        where = "classifier" if a.get("role") == "classify" else f"#{a['position'] + 1}"
        lines.append(f"{where} {a['model_alias']} via {a['provider']} ({a['provider_model_id']}): "
                     f"{a['outcome']}{status}{error}")
        lines.append(f"    {a['input_tokens']:,} in / {a['output_tokens']:,} out{estimated}, "
                     f"${a['cost_usd']:.6f}, {a['latency_ms']:,.0f} ms{ttft}")
    return "\n".join(lines)


class RequestsPanel(QWidget):
    """What a click opened, the table of those requests, and one request's chain.

    Signals:
        sig_reset_requested(): the user asked to go back to all requests of the shared filters.
    """

    sig_reset_requested = Signal()

    def __init__(self, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RequestsModel(run, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.title = QLabel("<b>Requests</b>")
        self.title.setObjectName("section-title")
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search loaded rows (model, outcome, team…)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.all_button = QPushButton("All requests")
        self.all_button.setToolTip("Show every request of the shared filters again")
        self.all_button.clicked.connect(self.sig_reset_requested.emit)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((140, 80, 85, 80, 110, 330, 90, 90)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select a request to see its attempt chain.")
        self.model.sig_page_loaded.connect(self._on_model_page_loaded)
        self.model.sig_page_failed.connect(lambda message: self.count.setText(f"could not read requests: {message}"))
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.count, 1)
        top.addWidget(self.search)
        top.addWidget(self.all_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setSizes([300, 110])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def show_drill(self, db: Any, drill: Drill) -> None:
        self.title.setText(f"<b>Requests</b> · {drill.title}")
        self.all_button.setEnabled(drill.title != "all requests")
        self.detail.clear()
        self.count.setText("loading…")
        self.model.show_requests(db, drill)

    def _on_model_page_loaded(self, _added: int) -> None:
        more = " (scroll for more)" if self.model.canFetchMore() else ""
        self.count.setText(f"{self.model.rowCount():,} loaded{more}")

    def _on_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows:
            return
        source = self.proxy.mapToSource(rows[0])
        self.detail.setPlainText(describe_chain(self.model.chains[source.row()]))
