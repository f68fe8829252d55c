"""A section of the policy as an editable table with Add and Remove buttons."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from console.ui.pages.policy_editor.commands import InsertItem, MoveItem, RemoveItem, SetValue
from console.ui.pages.policy_editor.delegates import ChoiceDelegate
from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument
from console.ui.pages.policy_editor.section_model import SectionTableModel
from console.ui.pages.policy_editor.sections import SectionSpec


class SectionEditor(QWidget):
    """Table of one section; every edit goes through the undo stack.

    Signals:
        sig_row_selected(object): the document path of the selected entry (or None).
    """

    sig_row_selected = Signal(object)

    def __init__(self, spec: SectionSpec, document: PolicyDocument, stack: QUndoStack, parent: Any = None,
                 *, movable: bool = False) -> None:
        super().__init__(parent)
        self.spec, self._document, self._stack = spec, document, stack
        self.model = SectionTableModel(document, stack, spec.path, spec.columns, self)
        self.view = QTableView(self)
        self.view.setObjectName(f"table-{spec.path[-1]}")
        self.view.setModel(self.model)
        self.view.setItemDelegate(ChoiceDelegate(document, spec.columns, self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        self.view.selectionModel().currentRowChanged.connect(self._on_view_current_row_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self.refusal = QLabel()  # why the last edit was refused; cleared by the next edit
        self.refusal.setObjectName("refusal")
        self.refusal.setWordWrap(True)
        self.refusal.hide()
        self.model.sig_edit_refused.connect(self._on_model_edit_refused)
        stack.indexChanged.connect(lambda _index: self.refusal.hide())

        add, remove = QPushButton(f"Add {spec.new_key_stem or 'entry'}"), QPushButton("Remove")
        add.clicked.connect(self.add_entry)
        remove.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        if spec.hint:
            hint = QLabel(spec.hint)
            hint.setObjectName("hint")
            hint.setWordWrap(True)
            buttons.addWidget(hint, 1)
        else:
            buttons.addStretch(1)
        if movable:  # order matters where the first match wins (classification rules)
            self.up, self.down = QPushButton("Move up"), QPushButton("Move down")
            self.up.clicked.connect(lambda: self.move_selected(-1))
            self.down.clicked.connect(lambda: self.move_selected(1))
            buttons.addWidget(self.up)
            buttons.addWidget(self.down)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addWidget(self.refusal)
        layout.addLayout(buttons)
        self.view.resizeColumnsToContents()

    def add_entry(self) -> None:
        entry = self.spec.new_entry(self._document)
        if not self.spec.new_key_stem:  # list sections (budgets, rules) have no keys
            self._stack.push(InsertItem(self._document, self.spec.path, entry))
            self.view.selectRow(self.model.rowCount() - 1)
            return
        existing, number = set(self._document.keys(self.spec.path)), 1
        while f"{self.spec.new_key_stem}-{number}" in existing:
            number += 1
        key = f"{self.spec.new_key_stem}-{number}"
        self._stack.push(SetValue(self._document, self.spec.path + (key,), entry, f"Add {key}"))
        self.view.selectRow(self.model.row_of(key))

    def remove_selected(self) -> None:
        row = self.view.currentIndex().row()
        if row < 0:
            return
        path = self.model.row_path(row)
        if isinstance(path[-1], int):
            self._stack.push(RemoveItem(self._document, self.spec.path, path[-1]))
        else:
            self._stack.push(SetValue(self._document, path, MISSING, f"Remove {path[-1]}"))

    def move_selected(self, delta: int) -> bool:
        """Move the selected list entry ``delta`` places (undoable); False at either end or with no selection."""
        row = self.view.currentIndex().row()
        target = row + delta
        if row < 0 or not 0 <= target < self.model.rowCount() or self.spec.new_key_stem:
            return False
        from console.ui.pages.policy_editor.undo_labels import describe

        where = "up" if delta < 0 else "down"
        self._stack.push(MoveItem(self._document, self.spec.path, row, target,
                                  f"move {describe(self.spec.path + (row,))} {where}"))
        self.view.setCurrentIndex(self.model.index(target, max(self.view.currentIndex().column(), 0)))
        return True

    def select_path(self, path: DocPath) -> bool:
        """Select the cell a diagnostic path points at; False when it is not in this section."""
        if path[: len(self.spec.path)] != self.spec.path or len(path) <= len(self.spec.path):
            return False
        row = self.model.row_of(path[len(self.spec.path)])
        if row < 0:
            return False
        rest, column = path[len(self.spec.path) + 1 :], 0
        for number, spec_column in enumerate(self.spec.columns):
            if spec_column.path and rest[: len(spec_column.path)] == spec_column.path:
                column = number
        index = self.model.index(row, column)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self.view.setFocus()
        return True

    def _on_view_current_row_changed(self, current: Any, _previous: Any) -> None:
        self.sig_row_selected.emit(self.model.row_path(current.row()) if current.isValid() else None)

    def _on_model_edit_refused(self, message: str) -> None:
        self.refusal.setText(message)
        self.refusal.show()

    def _on_model_reset(self) -> None:
        self.view.resizeColumnsToContents()
