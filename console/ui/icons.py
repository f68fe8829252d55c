"""The window's icons: Material Design Icons from qtawesome's bundled fonts, coloured for the theme.

qtawesome (and qtpy under it) costs ~0.15 s to import, so nothing here runs before the window's
first paint: ``apply_icons`` is called once the window is up, and again after a theme switch so the
glyphs take the new text colour.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

ACTION_ICONS = {
    "new": "mdi6.file-plus-outline", "open": "mdi6.folder-open-outline", "recent": "mdi6.history",
    "save": "mdi6.content-save-outline", "save_as": "mdi6.content-save-edit-outline", "revert": "mdi6.restore",
    "undo": "mdi6.undo", "redo": "mdi6.redo", "palette": "mdi6.console", "quit": "mdi6.exit-to-app",
    "about": "mdi6.information-outline", "guide": "mdi6.lightbulb-on-outline", "theme": "mdi6.theme-light-dark",
    "versions": "mdi6.file-clock-outline", "review": "mdi6.file-chart-outline",
}
PAGE_ICONS = {
    "Policies": "mdi6.routes", "Keys": "mdi6.key-outline", "Local models": "mdi6.chip",
    "Dashboards": "mdi6.chart-box-outline", "Side by side": "mdi6.compare-horizontal", "Pilot": "mdi6.flask-outline",
    "Assessment": "mdi6.scale-balance", "Rollout": "mdi6.stairs-up", "Team": "mdi6.account-group-outline",
}


def icon(name: str) -> QIcon:
    """The named glyph in the palette's text colour (disabled: the disabled text colour)."""
    os.environ.setdefault("QT_API", "pyside6")  # qtpy must use the binding the window runs on
    import qtawesome

    palette = QApplication.palette()
    return qtawesome.icon(name, color=palette.color(QPalette.ColorRole.WindowText),
                          color_disabled=palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText))


def apply_icons(window: Any) -> None:
    """Give the window's actions and navigation their icons (again after a theme switch)."""
    for name, action in window.named_actions().items():
        if name in ACTION_ICONS:
            action.setIcon(icon(ACTION_ICONS[name]))
    for row in range(window.navigation.count()):
        item = window.navigation.item(row)
        if item.text() in PAGE_ICONS:
            item.setIcon(icon(PAGE_ICONS[item.text()]))
    window.icons_applied = True
