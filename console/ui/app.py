"""``run_window``: the QApplication, the theme, the main window, and a clean exit."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def run_window(argv: list[str] | None = None) -> int:
    """Open the console window; returns the exit code when it closes."""
    from console.ui.demo import demo_policy_path
    from console.ui.main_window import MainWindow
    from console.ui.pages.policy_editor.recent_files import recent_files
    from console.ui.theme import apply_theme, follow_system_theme

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("Routedesk")
    app.setOrganizationName("routedesk")
    apply_theme(app)
    follow_system_theme(app)
    window = MainWindow()
    recent = [path for path in recent_files() if path.is_file()]
    window.open_first_policy(recent[0] if recent else demo_policy_path())
    window.show()
    return app.exec()
