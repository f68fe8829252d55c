"""Every page's frame: a header (the page's name, a line saying what it is for or what it uses) above it.

One header for all pages keeps the window's margins and type scale the same everywhere: its
margins and the sizes the theme gives ``page-title`` come from console.ui.layout.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.ui.layout import PAGE_MARGIN, SECTION_SPACING

PAGE_PURPOSE = {
    "Policies": "Edit routing policies: models, rules, routes, budgets. Try a prompt against the plan before saving.",
    "Keys": "Provider keys kept in the system keyring, and whether each works.",
    "Local models": "GGUF models run in this process with llama.cpp: load, unload, try.",
    "Dashboards": "Spend, rates and outcomes from the routing log.",
    "Side by side": "One prompt, several models, answers streaming next to each other with cost and latency.",
    "Pilot": "Run a candidate model against the baseline on real cases and read the verdict against a quality bar.",
    "Assessment": "Which tasks are over-served: each task's volume and spend, and what a cheaper model would save.",
    "Rollout": "Routes moving to another model in steps: where each stands, its guardrails, advance or roll back.",
    "Team": "The team gateway: its API keys (create, revoke) and the policy it serves.",
}


class PageFrame(QWidget):
    """A page under its header.

    Attributes:
        page: the page itself.
        title, subtitle: the header's labels (the subtitle can be replaced: ``set_subtitle``).
    """

    def __init__(self, title: str, page: QWidget, parent: Any = None) -> None:
        super().__init__(parent)
        self.page = page
        header = QFrame()
        header.setObjectName("page-header")
        self.title = QLabel(title)
        self.title.setObjectName("page-title")
        self.purpose = PAGE_PURPOSE.get(title, "")
        self.subtitle = QLabel(self.purpose)
        self.subtitle.setObjectName("page-subtitle")
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(header)
        row.setContentsMargins(PAGE_MARGIN, SECTION_SPACING, PAGE_MARGIN, SECTION_SPACING)
        row.setSpacing(PAGE_MARGIN)
        row.addWidget(self.title)
        row.addWidget(self.subtitle, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(page, 1)

    def set_subtitle(self, text: str, tooltip: str = "") -> None:
        """Say what the page uses now (e.g. which policy's budgets), after what it is for."""
        self.subtitle.setText(f"{self.purpose}  ·  {text}" if self.purpose else text)
        self.subtitle.setToolTip(tooltip)
