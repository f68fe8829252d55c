"""Binds form widgets to paths under one entry of the document (the selected route).

Widgets show the document's values, push SetValue commands when the user edits them, and turn
red with the diagnostic as tooltip when validation has something to say about their field.

A field never shows a value the document does not hold, except while it is being typed: every
refresh writes the document's value into it, focused or not, unless the user has typed into it
since its last commit and the document's value for it has not moved. Ctrl+Z / redo inside a field
are the document's undo / redo (QLineEdit's own would show text the policy does not hold).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence, QUndoStack
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


def undo_direction(event: QKeyEvent) -> int:
    """-1 for an undo key, +1 for a redo key (Ctrl+Y too, as the editor's Redo action has it), else 0."""
    if event.matches(QKeySequence.StandardKey.Undo):
        return -1
    if event.matches(QKeySequence.StandardKey.Redo) or QKeySequence(event.keyCombination()) == QKeySequence("Ctrl+Y"):
        return +1
    return 0


class DocumentUndoKeys(QObject):
    """Event filter on bound line edits: undo/redo keys run the document's undo stack.

    The ShortcutOverride is accepted so neither QLineEdit's own undo nor a window-wide Undo
    shortcut acts first; the key press that follows commits any typed text (so it is undoable
    too) and then undoes or redoes on the document.
    """

    def __init__(self, undo_from: Callable[[QLineEdit, int], None]) -> None:
        super().__init__()
        self._undo_from = undo_from  # (field, -1 undo / +1 redo): commit the field's typing, then undo/redo

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) or not isinstance(watched, QLineEdit):
            return False
        assert isinstance(event, QKeyEvent)
        direction = undo_direction(event)
        if direction == 0:
            return False
        event.accept()
        if event.type() == QEvent.Type.KeyPress:
            self._undo_from(watched, direction)
        return True


class FormBinding:
    """Widgets bound to ``base + subpath``; ``base`` changes when another entry is selected."""

    def __init__(self, document: PolicyDocument, stack: QUndoStack) -> None:
        self._document, self._stack = document, stack
        self.base: DocPath | None = None
        self._fields: list[tuple[QWidget, DocPath, str]] = []
        self._diagnostics: list[Any] = []
        self._shown: dict[QLineEdit, str] = {}  # the document's text each field was last given
        self._undo_keys = DocumentUndoKeys(self.undo_from)

    def line(self, widget: QLineEdit, subpath: DocPath, kind: str = "text") -> QLineEdit:
        self._fields.append((widget, subpath, kind))
        widget.editingFinished.connect(lambda: self._commit_typed(widget, subpath, kind))
        widget.installEventFilter(self._undo_keys)
        return widget

    def _commit_typed(self, widget: QLineEdit, subpath: DocPath, kind: str) -> None:
        widget.setModified(False)  # committed: the field is no longer "being typed"
        self._commit(subpath, from_text(widget.text(), kind))

    def undo_from(self, widget: QLineEdit, direction: int) -> None:
        """Undo (-1) or redo (+1) on the document from inside ``widget``, committing its typing first."""
        for field, subpath, kind in self._fields:
            if field is widget:
                self._commit_typed(widget, subpath, kind)
        if direction < 0:
            self._stack.undo()
        else:
            self._stack.redo()

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
            elif isinstance(widget, QLineEdit):
                shown = to_text(value, kind)
                typing = widget.hasFocus() and widget.isModified() and self._shown.get(widget) == shown
                if not typing and widget.text() != shown:
                    widget.setText(shown)  # also clears isModified: what it shows is the document's
                elif not typing:
                    widget.setModified(False)
                self._shown[widget] = shown
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
