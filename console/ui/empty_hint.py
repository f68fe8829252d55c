"""An empty state for a part of a page that has nothing to show yet: what will appear and how to get it.

Bare charts before their first data show pyqtgraph's 0.1…0.9 axes, which mean nothing; a sentence
saying what will be drawn there, and what to do first, tells the operator where they are.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget


class HintOrContent(QStackedWidget):
    """Shows ``hint`` until ``show_content()``; ``show_hint()`` goes back (e.g. after a clear).

    Attributes:
        hint: the label shown while empty (object name ``empty-hint``, styled by the theme).
        content: the widget shown once there is something to show.
    """

    def __init__(self, content: QWidget, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = QLabel(hint)
        self.hint.setObjectName("empty-hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.content = content
        self.addWidget(self.hint)
        self.addWidget(content)
        self.setCurrentWidget(self.hint)

    @property
    def showing_hint(self) -> bool:
        return self.currentWidget() is self.hint

    def show_content(self) -> None:
        self.setCurrentWidget(self.content)

    def show_hint(self) -> None:
        self.setCurrentWidget(self.hint)
