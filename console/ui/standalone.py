"""Run one page in a window of its own (``python -m console.ui.pages.<page>``)."""

from __future__ import annotations

import sys
from typing import Any, Callable

from PySide6.QtWidgets import QApplication, QMainWindow

from console.ui.engine_bridge import EngineBridge
from console.ui.theme import apply_theme, follow_system_theme


def run_page(title: str, build: Callable[[EngineBridge], Any]) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    follow_system_theme(app)
    bridge = EngineBridge()
    window = QMainWindow()
    window.setWindowTitle(f"Routedesk — {title}")
    window.setCentralWidget(build(bridge))
    window.resize(1200, 800)
    window.show()
    app.aboutToQuit.connect(bridge.shutdown)
    return app.exec()
