"""Quit right after the main window's first paint, for the cold-start benchmark.

Set ``ROUTEDESK_EXIT_AFTER_FIRST_PAINT=1``: the window opens as usual and the process exits as soon
as the window has painted once, so a parent process can time start-up to first paint. Set it to
``policy`` to exit once the first policy is open in the editor and painted instead.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ENV = "ROUTEDESK_EXIT_AFTER_FIRST_PAINT"


class FirstPaintProbe(QObject):
    """Watches the application for the first Paint event (of any widget), then quits."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._done = False
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.Paint and not self._done:
            self._done = True
            QTimer.singleShot(0, QApplication.quit)  # after this paint completes
        return False


def maybe_probe(widget: QWidget) -> None:
    if os.environ.get(ENV) == "1":
        FirstPaintProbe(widget)


def policy_opened(widget: QWidget) -> None:
    """Called once the first policy is in the editor."""
    if os.environ.get(ENV) == "policy":
        widget.repaint()
        QTimer.singleShot(0, QApplication.quit)
