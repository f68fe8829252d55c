"""The main window's menus (File, Edit, View, Go, Help), its command palette and its theme switch.

File and Edit carry the policy editor's own actions (one QAction each, so menu, toolbar, shortcut
and palette agree); Go holds Ctrl+1..n for the pages; View switches the theme at run time and
brings back the first-run guide.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from console.ui.command_palette import Command, CommandPalette


def build_menus(window: Any) -> dict[str, QAction]:
    """Fill ``window``'s menu bar; returns the window-level actions by name (icons use the names)."""
    editor = window.policy_page.actions_by_name
    bar = window.menuBar()
    actions: dict[str, QAction] = {}

    file_menu = bar.addMenu("&File")
    for name in ("new", "open"):
        file_menu.addAction(editor[name])
    file_menu.addMenu(window.policy_page.recent_menu)
    file_menu.addSeparator()
    for name in ("save", "save_as", "revert", "versions"):
        file_menu.addAction(editor[name])
    file_menu.addSeparator()
    actions["review"] = file_menu.addAction("Quarterly review…", window.show_review_dialog)
    file_menu.addSeparator()
    actions["quit"] = file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, window.close)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(editor["undo"])
    edit_menu.addAction(editor["redo"])
    edit_menu.addSeparator()
    palette = QAction("Command palette…", window)
    palette.setShortcuts([QKeySequence("Ctrl+K"), QKeySequence("Ctrl+Shift+P")])
    palette.triggered.connect(window.show_command_palette)
    edit_menu.addAction(palette)
    actions["palette"] = palette

    view_menu = bar.addMenu("&View")
    theme_menu = view_menu.addMenu("Theme")
    group = QActionGroup(window)
    for mode, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
        choice = QAction(label, window, checkable=True)
        choice.setData(mode)
        choice.triggered.connect(lambda _checked=False, m=mode: window.set_theme(m))
        group.addAction(choice)
        theme_menu.addAction(choice)
        actions[f"theme_{mode}"] = choice
    actions["theme"] = theme_menu.menuAction()
    actions["guide"] = view_menu.addAction("Getting started guide", window.show_guide)

    go_menu = bar.addMenu("&Go")
    for number in range(window.navigation.count()):
        title = window.navigation.item(number).text()
        go = go_menu.addAction(title, QKeySequence(f"Ctrl+{number + 1}"),
                               lambda n=number: window.navigation.setCurrentRow(n))
        actions[f"go_{number}"] = go

    help_menu = bar.addMenu("&Help")
    actions["about"] = help_menu.addAction("&About Routedesk", window._on_about_requested)
    return actions


def commands_of(window: Any) -> list[Command]:
    """Every command in the menus (submenus included) and every page, for the palette."""
    commands: list[Command] = []

    def walk(menu: QMenu, trail: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            if action.menu() is not None:
                if action.menu() is not window.policy_page.recent_menu:
                    walk(action.menu(), f"{trail}{action.text().replace('&', '')}: ")
                continue
            if "palette" in action.text().lower():
                continue
            title = trail + action.text().replace("&", "").rstrip(":").strip()
            commands.append(Command(title, action.trigger, action.shortcut().toString(), action.isEnabled()))

    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is not None and top.text().replace("&", "") != "Go":
            walk(menu, "")
    for number in range(window.navigation.count()):
        title = window.navigation.item(number).text()
        commands.append(Command(f"Go to {title}", lambda n=number: window.navigation.setCurrentRow(n),
                                f"Ctrl+{number + 1}"))
    return commands


def open_palette(window: Any) -> CommandPalette:
    palette = CommandPalette(commands_of(window), window)
    palette.show()
    palette.query.setFocus()
    return palette


def current_app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app
