"""The period a What-if replay or an assessment covers: the one choice both offer, and its time range."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QComboBox, QWidget

PERIODS = {"last 7 days": 7, "last 30 days": 30, "last 90 days": 90}


class PeriodBox(QComboBox):
    """Last 7, 30 or 90 days (30 to start with)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addItems(list(PERIODS))
        self.setCurrentText("last 30 days")

    def time_range(self) -> tuple[float, float]:
        """(since, until) in epoch seconds, ending now."""
        until = time.time()
        return until - PERIODS[self.currentText()] * 86400, until
