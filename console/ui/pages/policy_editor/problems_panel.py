"""The problems panel: every diagnostic of the open policy; activating one goes to its field."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle


class ProblemsPanel(QListWidget):
    """Lists diagnostics as ``line: path: message``.

    Signals:
        sig_problem_activated(str): the diagnostic path of the activated entry.
    """

    sig_problem_activated = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("problems")
        self.itemActivated.connect(self._on_item_activated)
        self.itemClicked.connect(self._on_item_activated)

    def show_diagnostics(self, diagnostics: list[Any]) -> None:
        self.clear()
        if not diagnostics:
            item = QListWidgetItem("No problems: this policy is valid.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)
            return
        error_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warning_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for diagnostic in diagnostics:
            where = f"line {diagnostic.line}: " if diagnostic.line else ""
            text = f"{where}{diagnostic.path + ': ' if diagnostic.path else ''}{diagnostic.message}"
            if diagnostic.suggestion:
                text += f" (did you mean '{diagnostic.suggestion}'?)"
            item = QListWidgetItem(error_icon if diagnostic.is_error else warning_icon, text)
            item.setData(Qt.ItemDataRole.UserRole, diagnostic.path)
            self.addItem(item)

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.sig_problem_activated.emit(path)
