"""The YAML that will be saved, shown beside the editor, and its diff against the file on disk."""

from __future__ import annotations

import difflib
from typing import Any

from PySide6.QtGui import QFont, QFontDatabase, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout


def unified_diff(disk_text: str, new_text: str, name: str) -> str:
    lines = difflib.unified_diff(
        disk_text.splitlines(keepends=True), new_text.splitlines(keepends=True), f"{name} (on disk)", f"{name} (to save)"
    )
    return "".join(lines)


def _code_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class YamlPanel(QPlainTextEdit):
    """Read-only view of exactly the text saving writes."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        from console.ui.pages.policy_editor.yaml_highlight import YamlHighlighter

        self.setObjectName("yaml-view")
        self.setReadOnly(True)
        self.setFont(_code_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = YamlHighlighter(self.document())

    def show_text(self, text: str) -> None:
        if text == self.toPlainText():
            return
        scroll = self.verticalScrollBar().value()
        self.setPlainText(text)
        self.verticalScrollBar().setValue(scroll)

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByLineNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()


class PendingDiff(QPlainTextEdit):
    """What saving would change in the file, kept up to date as the policy is edited."""

    NO_CHANGES = "No unsaved changes: the file on disk holds this policy."

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        from console.ui.pages.policy_editor.yaml_highlight import DiffHighlighter

        self.setObjectName("pending-diff")
        self.setReadOnly(True)
        self.setFont(_code_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = DiffHighlighter(self.document())
        self.changed_lines = 0

    def show_diff(self, disk_text: str, new_text: str, name: str) -> None:
        diff = unified_diff(disk_text, new_text, name) if disk_text else ""
        if not disk_text:
            diff = "".join(f"+{line}" for line in new_text.splitlines(keepends=True))  # a new file: all of it
        self.changed_lines = sum(1 for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        text = diff or self.NO_CHANGES
        if text != self.toPlainText():
            scroll = self.verticalScrollBar().value()
            self.setPlainText(text)
            self.verticalScrollBar().setValue(scroll)


class DiffDialog(QDialog):
    """Shows what saving changes in the file and asks to go ahead."""

    def __init__(self, diff_text: str, parent: Any = None, note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Changes to save")
        view = QPlainTextEdit(diff_text or "No changes: the file on disk already holds this policy.")
        view.setReadOnly(True)
        view.setFont(_code_font())
        from console.ui.pages.policy_editor.yaml_highlight import DiffHighlighter

        self.highlighter = DiffHighlighter(view.document())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(view)
        layout.addWidget(buttons)
        self.resize(720, 520)
