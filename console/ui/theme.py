"""Light and dark themes: follow the system, or a choice made in View → Theme (switchable at run time).

The palette comes from the platform (Fusion style, which honours dark palettes everywhere); the
stylesheet in ``resources/style.qss`` (when present) adds the few things a palette cannot say,
such as the red marker on a field with a validation problem and hints in the placeholder colour.
The type scale's rules (title and section sizes) and the margins come from console.ui.layout.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

FALLBACK_STYLESHEET = """
*[problem="true"] { border: 1px solid #d64545; background-color: rgba(214, 69, 69, 40); }
QFrame#banner { background-color: rgba(214, 160, 40, 60); border: 1px solid #d6a028; border-radius: 4px; }
QListWidget#navigation { font-size: 11pt; }
QListWidget#navigation::item { padding: 8px 10px; }
QLabel#hint { color: palette(placeholder-text); }
QLabel#example-note { background-color: rgba(66, 133, 244, 40); border: 1px solid #4285f4; border-radius: 4px; padding: 4px 6px; }
QLabel#empty-hint { color: palette(placeholder-text); font-size: 11pt; padding: 12px; }
QFrame#page-header { border-bottom: 1px solid palette(mid); }
QLabel#page-subtitle { color: palette(placeholder-text); }
QLabel#policy-in-use { font-weight: 600; }
QLabel#refusal { color: #d64545; }
QFrame#first-run-guide { border-bottom: 1px solid palette(mid); background-color: rgba(66, 133, 244, 28); }
QToolBar { spacing: 4px; padding: 2px 8px; }
"""
THEME_KEY = "view/theme"
THEME_MODES = ("system", "light", "dark")


def stylesheet() -> str:
    from console.core.resources import resource_path
    from console.ui.layout import type_scale_stylesheet

    candidate = resource_path("style.qss")
    try:
        sheet = candidate.read_text(encoding="utf-8")
    except OSError:
        sheet = FALLBACK_STYLESHEET
    return sheet + type_scale_stylesheet()


def is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: QColor(37, 39, 43),
        QPalette.ColorRole.WindowText: QColor(222, 224, 228),
        QPalette.ColorRole.Base: QColor(28, 30, 33),
        QPalette.ColorRole.AlternateBase: QColor(44, 47, 52),
        QPalette.ColorRole.Text: QColor(222, 224, 228),
        QPalette.ColorRole.Button: QColor(48, 51, 56),
        QPalette.ColorRole.ButtonText: QColor(222, 224, 228),
        QPalette.ColorRole.Highlight: QColor(61, 126, 214),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: QColor(48, 51, 56),
        QPalette.ColorRole.ToolTipText: QColor(222, 224, 228),
        QPalette.ColorRole.PlaceholderText: QColor(140, 144, 150),
        QPalette.ColorRole.Link: QColor(110, 165, 240),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 123, 128))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 123, 128))
    return palette


def apply_theme(app: QApplication, dark: bool | None = None) -> None:
    """Apply the light or dark theme (``dark`` None: follow the system)."""
    dark = is_dark() if dark is None else dark
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(stylesheet())


def dark_for(mode: str) -> bool | None:
    """``mode`` as apply_theme's ``dark``: None follows the system."""
    return {"light": False, "dark": True}.get(mode)


def set_theme_mode(app: QApplication, mode: str, settings: Any = None) -> None:
    """Switch to ``mode`` (system, light or dark) now, and remember it when ``settings`` is given."""
    if mode not in THEME_MODES:
        raise ValueError(f"theme must be one of {', '.join(THEME_MODES)}, not {mode!r}")
    if settings is not None:
        settings.setValue(THEME_KEY, mode)
    apply_theme(app, dark_for(mode))


def saved_theme_mode(settings: Any) -> str:
    mode = str(settings.value(THEME_KEY, "system"))
    return mode if mode in THEME_MODES else "system"


def follow_system_theme(app: QApplication, mode: Callable[[], str] = lambda: "system") -> None:
    """Re-theme when the system switches between light and dark (unless a fixed theme was chosen)."""
    QGuiApplication.styleHints().colorSchemeChanged.connect(
        lambda _scheme: apply_theme(app) if mode() == "system" else None)


#: (good, bad) text colours: the light theme's green and red are under 3:1 against the dark
#: window, so the dark theme takes lighter shades of the same hues (both over 4.5:1, WCAG AA).
OUTCOME_COLOURS = {False: ("#1b5e20", "#c62828"), True: ("#81c784", "#ef9a9a")}


def outcome_colours() -> tuple[str, str]:
    """(good, bad) text colours for the theme now on screen, read from the application's palette."""
    app = QGuiApplication.instance()
    window = app.palette().color(QPalette.ColorRole.Window) if isinstance(app, QGuiApplication) else QColor("white")
    return OUTCOME_COLOURS[window.lightness() < 128]
