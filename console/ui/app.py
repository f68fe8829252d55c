"""``run_window``: the QApplication, the theme, the main window, and a clean exit."""

from __future__ import annotations

import sys
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication


ICON_DELAY_MS = 150


def run_window(argv: list[str] | None = None) -> int:
    """Open the console window; returns the exit code when it closes."""
    from console.core.heap import settle
    from console.ui.demo import demo_policy_path
    from console.ui.main_window import MainWindow
    from console.ui.pages.policy_editor.recent_files import recent_files
    from console.ui.startup_probe import maybe_probe, policy_opened
    from console.ui.main_window import settings
    from console.ui.theme import apply_theme, dark_for, follow_system_theme, saved_theme_mode

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("Routedesk")
    app.setOrganizationName("routedesk")
    apply_theme(app, dark_for(saved_theme_mode(settings())))
    follow_system_theme(app, lambda: saved_theme_mode(settings()))
    window = MainWindow()
    window.settle_heap = True
    recent = [path for path in recent_files() if path.is_file()]
    maybe_probe(window)
    window.show()
    # Paint the window first, then open the policy (parsing, validating and building its editor take
    # a few hundred ms): the window appears at once and fills in right after.
    def open_first() -> None:
        window.open_first_policy(recent[0] if recent else demo_policy_path())
        policy_opened(window)
        # qtawesome's import (~0.15 s) waits until the window has painted and the policy is open.
        QTimer.singleShot(ICON_DELAY_MS, window, window.apply_icons)
        settle(collect=False)  # what start-up built lives as long as the window: keep full GCs short

    AfterFirstPaint(window, open_first)
    return app.exec()


class AfterFirstPaint(QObject):
    """Run ``then`` once the application has painted for the first time (or after a fallback delay).

    A zero-delay timer is not enough: Qt runs it before the first paint event, so the window would
    appear only after the policy was parsed and its editor built.
    """

    FALLBACK_MS = 400  # a window that never paints (minimised, no screen) still opens its policy

    def __init__(self, window: QObject, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then: Callable[[], None] | None = then
        self._painted = False
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        QTimer.singleShot(self.FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.Paint and self._then is not None and not self._painted:
            self._painted = True
            # Two passes later, not one: the first lets this paint finish and reach the screen (the
            # backing store is flushed after the paint event), so the window is really visible
            # before the policy's parse and editor build hold the GUI thread.
            QTimer.singleShot(0, self, lambda: QTimer.singleShot(0, self, self._run))
        return False

    def _run(self) -> None:
        then, self._then = self._then, None
        if then is None:
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        then()
