"""Binds form widgets to paths under one entry of the document (the selected route).

Widgets show the document's values, push SetValue commands when the user edits them, and turn
red with the diagnostic as tooltip when validation has something to say about their field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCheckBox, QLineEdit, QWidget

from console.ui.pages.policy_editor.commands import SetValue
from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument
from console.ui.pages.policy_editor.section_model import from_text, to_text
from console.ui.pages.policy_editor.validation import problems_under

PROBLEM_PROPERTY = "problem"


def mark_problem(widget: QWidget, messages: list[str]) -> None:
    """Show (or clear) a validation marker on a widget: a styled 'problem' property and a tooltip."""
    has_problem = bool(messages)
    if bool(widget.property(PROBLEM_PROPERTY)) == has_problem and widget.toolTip() == "\n".join(messages):
        return
    widget.setProperty(PROBLEM_PROPERTY, has_problem)
    widget.setToolTip("\n".join(messages))
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FormBinding:
    """Widgets bound to ``base + subpath``; ``base`` changes when another entry is selected."""

    def __init__(self, document: PolicyDocument, stack: QUndoStack) -> None:
        self._document, self._stack = document, stack
        self.base: DocPath | None = None
        self._fields: list[tuple[QWidget, DocPath, str]] = []
        self._diagnostics: list[Any] = []

    def line(self, widget: QLineEdit, subpath: DocPath, kind: str = "text") -> QLineEdit:
        self._fields.append((widget, subpath, kind))
        widget.editingFinished.connect(lambda: self._commit(subpath, from_text(widget.text(), kind)))
        return widget

    def check(self, widget: QCheckBox, subpath: DocPath, default: bool = False) -> QCheckBox:
        self._fields.append((widget, subpath, "bool" if not default else "bool-default-true"))
        widget.toggled.connect(lambda checked: self._commit(subpath, checked if checked != default else MISSING))
        return widget

    def _commit(self, subpath: DocPath, value: Any) -> None:
        if self.base is None:
            return
        command = SetValue(self._document, self.base + subpath, value)
        if command.changes_anything:
            self._stack.push(command)

    def refresh(self) -> None:
        for widget, subpath, kind in self._fields:
            widget.setEnabled(self.base is not None)
            value = self._document.get(self.base + subpath) if self.base is not None else MISSING
            widget.blockSignals(True)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value) if value is not MISSING else kind == "bool-default-true")
            elif isinstance(widget, QLineEdit) and not widget.hasFocus():
                widget.setText(to_text(value, kind))
            widget.blockSignals(False)
        self.show_diagnostics(self._diagnostics)

    def show_diagnostics(self, diagnostics: list[Any]) -> None:
        self._diagnostics = list(diagnostics)
        for widget, subpath, _kind in self._fields:
            problems = problems_under(self._diagnostics, self.base + subpath) if self.base is not None else []
            mark_problem(widget, [p.message for p in problems])

    def widget_for(self, path: DocPath) -> QWidget | None:
        """The widget showing ``path`` (or the closest field containing it)."""
        if self.base is None or path[: len(self.base)] != self.base:
            return None
        rest = path[len(self.base) :]
        best: QWidget | None = None
        for widget, subpath, _kind in self._fields:
            if rest[: len(subpath)] == subpath:
                best = widget
        return best
