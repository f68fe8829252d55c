"""The first-run guide: four first steps, each one click away, shown until the operator dismisses it.

Shown above the pages on the first run; "Got it" hides it for good (remembered in QSettings, a
window preference, not domain data); View → Getting started brings it back.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from console.ui.layout import PAGE_MARGIN, SECTION_SPACING

DISMISSED_KEY = "guide/dismissed"

STEPS = (
    ("Try a prompt", "See which model a prompt would go to, and why, before anything is sent.", "try"),
    ("Compare two models", "Ask two models the same thing and read their answers, cost and speed side by side.",
     "compare"),
    ("Generate demo traffic", "Fill a separate demo log with realistic requests to see what the dashboards show.",
     "traffic"),
    ("Open the dashboards", "Spend against budgets, request rates, failures and drill-down to every attempt.",
     "dashboards"),
)


class FirstRunGuide(QFrame):
    """Signals:
        sig_step_requested(str): a step's button was pressed ("try", "compare", "traffic", "dashboards").
        sig_dismissed(): the operator closed the guide for good.
    """

    sig_step_requested = Signal(str)
    sig_dismissed = Signal()

    def __init__(self, settings: Callable[[], QSettings], parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("first-run-guide")
        self._settings = settings
        title = QLabel("Getting started")
        title.setObjectName("guide-title")
        dismiss = QPushButton("Got it, hide this")
        dismiss.setObjectName("guide-dismiss")
        dismiss.clicked.connect(self.dismiss)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(dismiss)
        steps = QHBoxLayout()
        steps.setSpacing(SECTION_SPACING)
        self.buttons: dict[str, QPushButton] = {}
        for number, (label, text, key) in enumerate(STEPS, start=1):
            column = QVBoxLayout()
            button = QPushButton(f"{number}. {label}")
            button.setObjectName(f"guide-{key}")
            button.clicked.connect(lambda _checked=False, k=key: self.sig_step_requested.emit(k))
            explain = QLabel(text)
            explain.setObjectName("hint")
            explain.setWordWrap(True)
            column.addWidget(button)
            column.addWidget(explain)
            column.addStretch(1)
            steps.addLayout(column, 1)
            self.buttons[key] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(PAGE_MARGIN, SECTION_SPACING, PAGE_MARGIN, SECTION_SPACING)
        layout.addLayout(head)
        layout.addLayout(steps)
        self.setVisible(not self.dismissed())

    def dismissed(self) -> bool:
        return self._settings().value(DISMISSED_KEY, False, type=bool)

    def dismiss(self) -> None:
        self._settings().setValue(DISMISSED_KEY, True)
        self.hide()
        self.sig_dismissed.emit()

    def reopen(self) -> None:
        self._settings().setValue(DISMISSED_KEY, False)
        self.show()
