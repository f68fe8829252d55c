"""Tasks and their classification rules: the rules table and a builder for one rule's condition."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from PySide6.QtCore import Qt

from console.ui.pages.policy_editor.commands import SetValue
from console.ui.pages.policy_editor.conditions import LEAF_KINDS, ConditionRow, from_rows, summary, to_rows
from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument
from console.ui.pages.policy_editor.form_binding import DocumentUndoKeys
from console.ui.pages.policy_editor.section_editor import SectionEditor
from console.ui.pages.policy_editor.section_model import Column
from console.ui.pages.policy_editor.sections import TASKS, SectionSpec

RULES = SectionSpec(
    "Rules",
    ("classification", "rules"),
    [
        Column("Name", ("name",)),
        Column("Task", ("task",), choices=lambda d: d.keys(("tasks",))),
        Column("When", ("when",), editable=False, show=summary),
    ],
    lambda d: {"name": "new-rule", "task": (d.keys(("tasks",)) or [""])[0], "when": {"keywords": ["example"]}},
    hint="First matching rule wins; requests no rule matches go to the default task.",
)

PLACEHOLDERS = {
    "keywords": "python, function, traceback",
    "regex": r"def \w+\(",
    "tokens": "min..max, e.g. 2000..",
    "meta": "team=ops; region=eu|us",
}


class ConditionBuilder(QGroupBox):
    """Edits the ``when`` of one rule as all/any of rows, each optionally negated."""

    def __init__(self, document: PolicyDocument, stack: QUndoStack, parent: Any = None) -> None:
        super().__init__("Condition", parent)
        self._document, self._stack = document, stack
        self._rule_path: DocPath | None = None
        self._rows: list[tuple[QCheckBox, QComboBox, QLineEdit]] = []
        self._shown_when: Any = MISSING  # the condition the rows were last built from
        self._undo_keys = DocumentUndoKeys(self._undo_from)
        self.combinator = QComboBox()
        self.combinator.addItem("all of these", "all")
        self.combinator.addItem("any of these", "any")
        self.combinator.activated.connect(self._apply)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self._rows_box = QVBoxLayout()
        add = QPushButton("Add test")
        add.clicked.connect(self._on_add_clicked)
        top = QHBoxLayout()
        top.addWidget(QLabel("Match when"))
        top.addWidget(self.combinator)
        top.addStretch(1)
        top.addWidget(add)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self._rows_box)
        layout.addWidget(self.note)
        layout.addStretch(1)
        document.subscribe(self._on_document_changed)
        self.setEnabled(False)

    def show_rule(self, rule_path: DocPath | None) -> None:
        self._rule_path = rule_path
        self._reload()

    def _reload(self) -> None:
        focused = next((row for row, (_n, _k, value) in enumerate(self._rows) if value.hasFocus()), None)
        for widgets in self._rows:
            for widget in widgets:
                widget.blockSignals(True)  # leaving focus must not commit the stale text it shows
                widget.setParent(None)
                widget.deleteLater()
        self._rows.clear()
        self._shown_when = copy.deepcopy(self._document.get(self._rule_path + ("when",)) if self._rule_path else MISSING)
        self._rebuild()
        if focused is not None and focused < len(self._rows):
            field = self._rows[focused][2]
            field.show()  # a widget new to a shown layout is shown only later (queued); focus needs it now
            field.setFocus()  # the operator stays in the field they were in

    def _rebuild(self) -> None:
        if self._rule_path is None or self._document.get(self._rule_path) is MISSING:
            self.setEnabled(False)
            self.note.setText("Select a rule to edit its condition.")
            return
        shown = to_rows(self._document.get(self._rule_path + ("when",), {}))
        self.setEnabled(shown is not None)
        if shown is None:
            self.note.setText("This condition nests all/any more deeply than the builder shows; edit it in YAML.")
            return
        self.note.setText("")
        combinator, rows = shown
        self.combinator.setCurrentIndex(0 if combinator == "all" else 1)
        for row in rows:
            self._add_row(row)

    def _add_row(self, row: ConditionRow) -> None:
        negate, kind, value = QCheckBox("not"), QComboBox(), QLineEdit(row.text)
        kind.addItems(list(LEAF_KINDS))
        kind.setCurrentText(row.kind)
        negate.setChecked(row.negated)
        value.setPlaceholderText(PLACEHOLDERS[row.kind])
        negate.toggled.connect(self._apply)
        kind.activated.connect(self._apply)
        value.editingFinished.connect(self._apply)
        value.installEventFilter(self._undo_keys)
        line = QHBoxLayout()
        for widget in (negate, kind, value):
            line.addWidget(widget, 1 if widget is value else 0)
        self._rows_box.addLayout(line)
        self._rows.append((negate, kind, value))

    def current_rows(self) -> list[ConditionRow]:
        return [ConditionRow(k.currentText(), v.text(), n.isChecked()) for n, k, v in self._rows]

    def _on_add_clicked(self) -> None:
        self._add_row(ConditionRow("keywords", ""))

    def _apply(self, *_args: Any) -> None:
        if self._rule_path is None:
            return
        for _negate, _kind, value in self._rows:
            value.setModified(False)  # committed: no longer "being typed"
        rows = [row for row in self.current_rows() if row.text.strip()]
        condition = from_rows(self.combinator.currentData(), rows)
        command = SetValue(self._document, self._rule_path + ("when",), condition, "Edit rule condition")
        if command.changes_anything:
            self._stack.push(command)

    def _undo_from(self, _field: QLineEdit, direction: int) -> None:
        self._apply()  # what was typed becomes an undoable step first
        if direction < 0:
            self._stack.undo()
        else:
            self._stack.redo()

    def _on_document_changed(self, path: DocPath) -> None:
        if self._rule_path is not None and (path[: len(self._rule_path)] == self._rule_path or len(path) < 3):
            # Rows show the document's condition, except while a value is being typed and the
            # condition under it has not moved (the same rule as FormBinding's fields).
            typing = any(v.hasFocus() and v.isModified() for _n, _k, v in self._rows)
            if not typing or self._document.get(self._rule_path + ("when",)) != self._shown_when:
                self._reload()


class TasksAndRules(QWidget):
    """Tasks table, the default task, the rules table and the condition builder."""

    def __init__(self, document: PolicyDocument, stack: QUndoStack, parent: Any = None) -> None:
        super().__init__(parent)
        self._document, self._stack = document, stack
        self.tasks = SectionEditor(TASKS, document, stack)
        self.rules = SectionEditor(RULES, document, stack, movable=True)  # the first matching rule wins
        self.builder = ConditionBuilder(document, stack)
        self.rules.sig_row_selected.connect(self.builder.show_rule)
        self.default_task = QComboBox()
        self.default_task.setEditable(True)
        self.default_task.setObjectName("field:classification.default")
        self.default_task.activated.connect(self._on_default_task_activated)
        self.honour_hint = QCheckBox("Honour a request's task hint")
        self.honour_hint.toggled.connect(self._on_honour_hint_toggled)
        form = QFormLayout()
        form.addRow("Default task", self.default_task)
        form.addRow("", self.honour_hint)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tasks)
        left_layout.addLayout(form)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.rules)
        right.addWidget(self.builder)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        document.subscribe(self._on_document_changed)
        self._refresh_form()

    def _refresh_form(self) -> None:
        self.default_task.blockSignals(True)
        self.default_task.clear()
        self.default_task.addItems(self._document.keys(("tasks",)))
        self.default_task.setCurrentText(str(self._document.get(("classification", "default"), "")))
        self.default_task.blockSignals(False)
        self.honour_hint.blockSignals(True)
        self.honour_hint.setChecked(bool(self._document.get(("classification", "honour_task_hint"), True)))
        self.honour_hint.blockSignals(False)

    def _on_default_task_activated(self, _index: int) -> None:
        command = SetValue(self._document, ("classification", "default"), self.default_task.currentText())
        if command.changes_anything:
            self._stack.push(command)

    def _on_honour_hint_toggled(self, checked: bool) -> None:
        self._stack.push(SetValue(self._document, ("classification", "honour_task_hint"), checked))

    def _on_document_changed(self, path: DocPath) -> None:
        if not path or path[0] in ("tasks", "classification"):
            self._refresh_form()

    def select_path(self, path: DocPath) -> bool:
        if path[:1] == ("tasks",):
            return self.tasks.select_path(path)
        if path[:2] == ("classification", "rules"):
            return self.rules.select_path(path)
        if path[:1] == ("classification",):
            self.default_task.setFocus()
            return True
        return False
