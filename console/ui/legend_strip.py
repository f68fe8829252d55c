"""A chart's legend as one wrapped line of text above the plot: the dashboards' charts and the What-if
chart. Never over the data (pyqtgraph's legend is a box inside the plot), never cut short.
"""

from __future__ import annotations

import html
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class LegendStrip(QLabel):
    """The legend as one wrapped line of text above the plot: never over the data, never cut short.

    One rich-text label costs far less to update than pyqtgraph's legend (an item per entry)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("legend")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.entries: list[tuple[str, str]] = []  # (name, colour "#rrggbb")

    @property
    def names(self) -> list[str]:
        return [name for name, _colour in self.entries]

    def show_entries(self, entries: Sequence[tuple[str, QColor]], glyph: str = "■") -> bool:
        """Show ``entries``; False when they are the ones shown already."""
        wanted = [(name, QColor(tint).name()) for name, tint in entries]
        if wanted == self.entries:
            return False
        self.entries = wanted
        self.setText("&nbsp;&nbsp; ".join(
            f'<span style="color:{tint}">{glyph}</span>&nbsp;{html.escape(name)}' for name, tint in wanted))
        self.setVisible(bool(wanted))
        return True
