"""The row on a page that says which policy it uses, and offers the editor's one when they differ.

Pages that take the active policy (side by side, pilot) keep the policy their results came from;
this row names it (full path in the tooltip) and shows "Use …" when the editor has moved on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class PolicyInUse(QWidget):
    """Signals:
        sig_switch_requested(): the operator chose the offered policy.
    """

    sig_switch_requested = Signal()

    def __init__(self, empty_text: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.label = QLabel(empty_text)
        self.label.setObjectName("policy-in-use")
        self.offer = QPushButton()
        self.offer.setObjectName("policy-offer")
        self.offer.hide()
        self.offer.clicked.connect(self.sig_switch_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.offer)

    def show_used(self, text: str, tooltip: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(tooltip)

    def show_offer(self, choice: Any, why: str, used: Any = None) -> None:
        """Offer ``choice`` (a PolicyChoice), or hide the offer when None; ``used`` is what the page uses now."""
        if choice is None:
            self.offer.hide()
            return
        same_file = used is not None and used.path == choice.path  # the same file, saved again with changes
        self.offer.setText(f"Use {choice.label} as saved now" if same_file else f"Use {choice.label}")
        self.offer.setToolTip(f"{choice.path}\n{why}")
        self.offer.show()
