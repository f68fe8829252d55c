"""A Qt table model over one section of a PolicyDocument (models, providers, budgets, ...).

The model holds no data of its own: rows are the section's keys (a mapping) or entries (a list),
columns are paths inside each entry. Edits become undo commands; the document's change
announcements become dataChanged or a reset. Cells with a diagnostic are tinted and carry the
message as their tooltip, so validation markers show where the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QUndoStack

from console.ui.pages.policy_editor.commands import RenameKey, SetValue
from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument
from console.ui.pages.policy_editor.validation import problems_under

AnyIndex = QModelIndex | QPersistentModelIndex
PROBLEM_TINT = QColor(230, 80, 80, 70)


@dataclass(frozen=True)
class Column:
    """One column: where its value lives inside an entry and how text becomes a value.

    ``path`` () is the entry's key (mapping sections only). ``kind`` is text, number, integer,
    list (comma separated) or bool. ``choices`` offers values for a combo-box editor.
    """

    title: str
    path: DocPath
    kind: str = "text"
    choices: Callable[[PolicyDocument], list[str]] | None = None
    editable: bool = True
    show: Callable[[Any], str] | None = None


def to_text(value: Any, kind: str) -> str:
    if value is MISSING or value is None:
        return ""
    if kind == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def from_text(text: str, kind: str) -> Any:
    """The document value for typed text; text that does not parse stays text so validation flags it."""
    text = text.strip()
    if not text:
        return MISSING
    if kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "bool":
        return text.lower() in ("yes", "true", "1", "on")
    if kind in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if kind == "integer" and number.is_integer() else number
    if kind == "int-or-word":
        return int(text) if text.lstrip("-").isdigit() else text
    return text


class SectionTableModel(QAbstractTableModel):
    """Rows of one policy section, editable through the undo stack.

    Signals:
        sig_edit_refused(str): an edit was not made (a rename to an empty or taken name), and why.
    """

    sig_edit_refused = Signal(str)

    def __init__(
        self, document: PolicyDocument, stack: QUndoStack, section: DocPath, columns: list[Column], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._document, self._stack, self._section, self._columns = document, stack, section, columns
        self._diagnostics: list[Any] = []
        self._row_keys = self._current_keys()
        document.subscribe(self._on_document_changed)

    # --- shape ----------------------------------------------------------------------------
    @property
    def is_list(self) -> bool:
        return isinstance(self._document.get(self._section, {}), list)

    @property
    def columns(self) -> list[Column]:
        return self._columns

    def _current_keys(self) -> list[Any]:
        node = self._document.get(self._section, {})
        if isinstance(node, list):
            return list(range(len(node)))
        return list(node) if isinstance(node, dict) else []

    def row_path(self, row: int) -> DocPath:
        return self._section + (self._row_keys[row],)

    def cell_path(self, index: AnyIndex) -> DocPath:
        return self.row_path(index.row()) + self._columns[index.column()].path

    def row_of(self, key: Any) -> int:
        return self._row_keys.index(key) if key in self._row_keys else -1

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._row_keys)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section].title
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._columns[index.column()].editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    # --- data -----------------------------------------------------------------------------
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._row_keys)):
            return None
        column = self._columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column.path == ():
                return str(self._row_keys[index.row()])
            value = self._document.get(self.cell_path(index))
            if column.show is not None and role == Qt.ItemDataRole.DisplayRole:
                return column.show(value)
            return to_text(value, column.kind)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole):
            problems = self._problems_at(index)
            if not problems:
                return None
            if role == Qt.ItemDataRole.BackgroundRole:
                return PROBLEM_TINT
            return "\n".join(p.message for p in problems)
        return None

    def _problems_at(self, index: AnyIndex) -> list[Any]:
        column = self._columns[index.column()]
        if column.path == ():  # the key column also shows problems of the entry as a whole
            return problems_under(self._diagnostics, self.row_path(index.row()), exact=True)
        return problems_under(self._diagnostics, self.cell_path(index))

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or not self._columns[index.column()].editable:
            return False
        column, text = self._columns[index.column()], str(value if value is not None else "")
        if column.path == ():
            old, new = str(self._row_keys[index.row()]), text.strip()
            if new == old:
                return False
            if not new or new in self._row_keys:
                kind = self._section[-1].rstrip("s") if self._section else "entry"
                why = (f"A {kind} needs a name" if not new else
                       f"There is already a {kind} called '{new}': names must be unique")
                self.sig_edit_refused.emit(f"{why}. '{old}' keeps its name.")
                return False
            self._stack.push(RenameKey(self._document, self._section, old, new))
            return True
        command = SetValue(self._document, self.cell_path(index), from_text(text, column.kind))
        if not command.changes_anything:
            return False
        self._stack.push(command)
        return True

    # --- reacting -------------------------------------------------------------------------
    def set_diagnostics(self, diagnostics: list[Any]) -> None:
        self._diagnostics = list(diagnostics)
        self._emit_all_changed()

    def _emit_all_changed(self) -> None:
        if self._row_keys and self._columns:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._row_keys) - 1, len(self._columns) - 1))

    def _on_document_changed(self, path: DocPath) -> None:
        related = path[: len(self._section)] == self._section or self._section[: len(path)] == path
        if not related:
            return
        keys = self._current_keys()
        if keys == self._row_keys:
            self._emit_all_changed()
            return
        self.beginResetModel()
        self._row_keys = keys
        self.endResetModel()

    def detach(self) -> None:
        self._document.unsubscribe(self._on_document_changed)
