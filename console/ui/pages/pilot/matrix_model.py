"""The case × model matrix as a lazy Qt table model: rows are fetched in chunks as the view scrolls.

Columns: the case's prompt, then per model "pass" (✓/✗) and "cost". The tooltip of a cell holds
the answer and why it failed, so 1,319 long answers are never laid out until someone hovers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.ui.theme import outcome_colours

CHUNK = 256
Index = QModelIndex | QPersistentModelIndex


class PilotMatrixModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cases: list[Any] = []
        self._models: list[str] = []
        self._cells: dict[tuple[str, str], Any] = {}
        self._shown = 0

    def show_report(self, report: Any) -> None:
        self.beginResetModel()
        self._cases = list(report.cases)
        self._models = list(report.models)
        self._cells = dict(report.cells)
        self._shown = min(CHUNK, len(self._cases))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1 + 2 * len(self._models)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._shown < len(self._cases)

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        more = min(CHUNK, len(self._cases) - self._shown)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + more - 1)
        self._shown += more
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        if section == 0:
            return "case"
        model = self._models[(section - 1) // 2]
        short = model.rsplit("/", 1)[-1]
        return f"{short} pass" if (section - 1) % 2 == 0 else f"{short} cost"

    def cell_at(self, index: Index) -> Any:
        if not index.isValid() or index.column() == 0 or index.row() >= self._shown:
            return None
        case = self._cases[index.row()]
        return self._cells.get((case.case_id, self._models[(index.column() - 1) // 2]))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._shown or index.column() >= self.columnCount():
            return None
        case = self._cases[index.row()]
        if index.column() == 0:
            if role == Qt.ItemDataRole.DisplayRole:
                # a shadow case keeps no prompt once graded (or with a bar that needs none): its request id
                return (case.prompt or case.case_id)[:120].replace("\n", " ")
            if role == Qt.ItemDataRole.ToolTipRole:
                return case.prompt + (f"\n\nreference:\n{case.reference}" if case.reference else "")
            return None
        cell = self.cell_at(index)
        is_pass = (index.column() - 1) % 2 == 0
        if cell is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return ("✓" if cell.passed else "✗") if is_pass else f"${cell.cost_usd:.5f}"
        if role == Qt.ItemDataRole.ForegroundRole and is_pass:
            good, bad = outcome_colours()  # read when painted: a theme switch recolours the table
            return QColor(good if cell.passed else bad)
        if role == Qt.ItemDataRole.ToolTipRole:
            why = "\n".join(cell.failures)
            return (f"{why}\n\n" if why else "") + cell.output[:2000]
        return None
