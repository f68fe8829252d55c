"""Drift alerts as a table: which task × model got worse, by how much, and how sure the test is.

Activating a row asks the page to open that pair's chart and the requests behind the alert.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from console.core.ledger.drift import DriftFlag
from console.core.ledger.filters import Filters
from console.ui.pages.dashboard.query import Drill

_METRIC = {"failure_rate": "failure rate", "fallback_rate": "fallback rate", "latency_p95": "latency p95"}
COLUMNS = ("Metric", "Task", "Model", "Baseline", "Recent", "n (base / recent)", "p-value")
Index = QModelIndex | QPersistentModelIndex


def _value(flag: DriftFlag, value: float, events: int | None) -> str:
    if flag.metric == "latency_p95":
        return f"{value:,.0f} ms"
    return f"{value:.1%}" + (f" ({events:,})" if events is not None else "")


class DriftModel(QAbstractTableModel):
    """Rows of DriftFlag, most significant first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.alerts: list[DriftFlag] = []

    def set_flags(self, flags: Sequence[DriftFlag]) -> None:
        self.beginResetModel()
        self.alerts = list(flags)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.alerts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.alerts):
            return None
        flag = self.alerts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _METRIC[flag.metric], flag.task, flag.model,
                _value(flag, flag.baseline_value, flag.baseline_events),
                _value(flag, flag.recent_value, flag.recent_events),
                f"{flag.baseline_n:,} / {flag.recent_n:,}",
                f"{flag.p_value:.1e}",
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"Recent window compared with the baseline window just before it; p = {flag.p_value:.2g} beat "
                    f"the Bonferroni-corrected threshold {flag.threshold:.2g}.")
        return None


def drill_for(flag: DriftFlag, base: Filters) -> Drill:
    """The requests behind an alert: that pair's recent window (failed ones for rate alerts)."""
    filters = replace(base.with_range(*flag.recent_window), task=flag.task, model=flag.model)
    return Drill(f"drift · {_METRIC[flag.metric]} · {flag.task} · {flag.model}", filters,
                 failed_only=flag.metric == "failure_rate")


class DriftList(QWidget):
    """The alerts table.

    Signals:
        sig_flag_activated(object): the DriftFlag a user clicked.
    """

    sig_flag_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = DriftModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.clicked.connect(self._on_view_clicked)
        self.summary = QLabel("<b>Drift alerts</b>")
        self.summary.setObjectName("section-title")
        self.summary.setWordWrap(True)  # its sentence at the title's size must not widen the window past 1440 px
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)

    def set_flags(self, flags: Sequence[DriftFlag]) -> None:
        self.model.set_flags(flags)
        if flags:
            self.summary.setText(f"<b>Drift alerts</b> · {len(flags)} — last day against the week before; click one")
        else:
            self.summary.setText("<b>Drift alerts</b> · none: no task × model is significantly worse than its "
                                 "own last week")

    def activate_row(self, row: int) -> None:
        self.view.selectRow(row)
        self.sig_flag_activated.emit(self.model.alerts[row])

    def _on_view_clicked(self, index: QModelIndex) -> None:
        self.activate_row(index.row())
