"""Commands an operator can find: menus, the palette, undo labels in words, rule order, refused renames."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from console.ui.command_palette import Command, filter_commands, fuzzy_score


def _window(qtbot: QtBot, policy: Path):  # type: ignore[no-untyped-def]
    from console.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_first_policy(policy)
    return window


def test_the_menus_hold_file_edit_view_go_and_help(qtbot: QtBot, policy_file: Path) -> None:
    window = _window(qtbot, policy_file)
    try:
        titles = [action.text().replace("&", "") for action in window.menuBar().actions()]
        assert titles == ["File", "Edit", "View", "Go", "Help"]
        window.window_actions["go_4"].trigger()
        assert window.stack.currentIndex() == 4
        window.apply_icons()
        assert not window.named_actions()["save"].icon().isNull() and not window.navigation.item(0).icon().isNull()
    finally:
        window.close()


def test_every_page_in_the_navigation_gets_an_icon(qtbot: QtBot, policy_file: Path) -> None:
    window = _window(qtbot, policy_file)
    try:
        window.apply_icons()
        bare = [window.navigation.item(row).text() for row in range(window.navigation.count())
                if window.navigation.item(row).icon().isNull()]
        assert not bare, f"pages without an icon: {bare}"
    finally:
        window.close()


def test_fuzzy_filter_ranks_tight_matches_first() -> None:
    commands = [Command(title, lambda: None) for title in ("Save", "Save as…", "Go to Side by side", "Revert")]
    assert [c.title for c in filter_commands("sva", commands)] == ["Save as…"]
    assert filter_commands("save", commands)[0].title == "Save"
    assert fuzzy_score("xyz", "Save") is None and [c.title for c in filter_commands("", commands)][0] == "Save"


def test_the_palette_lists_every_command_and_page_and_enter_runs_one(qtbot: QtBot, policy_file: Path) -> None:
    window = _window(qtbot, policy_file)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    try:
        assert {s.toString() for s in window.window_actions["palette"].shortcuts()} == {"Ctrl+K", "Ctrl+Shift+P"}
        qtbot.keyClick(window.navigation, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        palette = window.command_palette
        shown = palette.shown()
        for expected in ("Save", "Save as…", "Open…", "Quit", "Theme: Dark", "Go to Pilot", "Go to Dashboards",
                         "About Routedesk", "Getting started guide"):
            assert expected in shown, f"{expected} missing from the palette: {shown}"
        qtbot.keyClicks(palette.query, "go pilot")
        assert palette.shown()[0] == "Go to Pilot"
        qtbot.keyClick(palette.query, Qt.Key.Key_Return)
        assert window.stack.currentIndex() == 5 and not palette.isVisible()
    finally:
        window.close()


def test_undo_reads_like_the_field_and_rules_reorder_undoably(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.pages.policy_editor.commands import SetValue

    window = _window(qtbot, policy_file)
    try:
        page, editor = window.policy_page, window.policy_page.current
        assert page.actions_by_name["undo"].text() == "Undo" and not page.actions_by_name["undo"].isEnabled()
        editor.stack.push(SetValue(editor.document, ("routes", "code", "max_cost_usd"), 0.07))
        assert page.actions_by_name["undo"].text() == "Undo: code cost ceiling"

        rules = editor.tasks.rules
        document = editor.document
        document.insert(("classification", "rules"), 1, {"name": "second", "task": "chat", "when": {"keywords": ["hi"]}})
        first_names = [r["name"] for r in document.get(("classification", "rules"))]
        rules.view.setCurrentIndex(rules.model.index(1, 0))
        assert rules.move_selected(-1)
        assert [r["name"] for r in document.get(("classification", "rules"))] == first_names[::-1]
        assert page.actions_by_name["undo"].text() == "Undo: move rule 2 up"
        assert rules.view.currentIndex().row() == 0
        assert not rules.move_selected(-1)  # already first
        editor.stack.undo()
        assert [r["name"] for r in document.get(("classification", "rules"))] == first_names
    finally:
        for e in window.policy_page.editors():
            e.stack.setClean()
        window.close()


def test_a_refused_rename_says_why(qtbot: QtBot, policy_file: Path) -> None:
    window = _window(qtbot, policy_file)
    try:
        models = window.policy_page.current.models
        index = models.model.index(models.model.row_of("gpt-small"), 0)
        assert not models.model.setData(index, "gpt-big")
        assert not models.refusal.isHidden()
        assert "already a model called 'gpt-big'" in models.refusal.text() and "'gpt-small' keeps" in models.refusal.text()
        assert not models.model.setData(index, "  ")
        assert "needs a name" in models.refusal.text()
        assert models.model.setData(index, "gpt-mini")  # an accepted edit clears the message
        assert models.refusal.isHidden()
    finally:
        for e in window.policy_page.editors():
            e.stack.setClean()
        window.close()


def test_recent_opens_on_a_click_and_the_diff_is_live(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.pages.policy_editor.commands import SetValue

    window = _window(qtbot, policy_file)
    try:
        page = window.policy_page
        assert isinstance(page.recent_button, QToolButton)
        assert page.recent_button.popupMode() == QToolButton.ToolButtonPopupMode.InstantPopup
        editor = page.current
        assert editor.pending_diff.toPlainText() == editor.pending_diff.NO_CHANGES
        editor.stack.push(SetValue(editor.document, ("routes", "code", "max_cost_usd"), 0.07))
        editor.validate_now()
        diff = editor.pending_diff.toPlainText()
        assert "-    max_cost_usd: 0.05" in diff and "+    max_cost_usd: 0.07" in diff
        assert editor.side.tabText(editor.side.indexOf(editor.pending_diff)) == "Changes (2)"
        assert editor.yaml_view.highlighter is not None
        editor.show_diff_before_save = False
        assert page.save_current()
        assert editor.pending_diff.toPlainText() == editor.pending_diff.NO_CHANGES  # saved: nothing pending
        assert editor.side.tabText(editor.side.indexOf(editor.pending_diff)) == "Changes"
    finally:
        for e in window.policy_page.editors():
            e.stack.setClean()
        window.close()


def test_theme_switches_at_run_time_and_is_remembered(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.main_window import MainWindow, settings

    app = QApplication.instance()
    window = _window(qtbot, policy_file)
    try:
        window.apply_icons()
        light_icon = window.named_actions()["save"].icon().pixmap(16, 16).toImage()
        window.window_actions["theme_dark"].trigger()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        dark_icon = window.named_actions()["save"].icon().pixmap(16, 16).toImage()
        assert dark_icon != light_icon  # redrawn in the dark theme's text colour
        assert settings().value("view/theme") == "dark"
        window.window_actions["theme_light"].trigger()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
        window.close()
        second = MainWindow()
        qtbot.addWidget(second)
        assert second.window_actions["theme_light"].isChecked()
        second.close()
    finally:
        window.window_actions["theme_system"].trigger()
        window.close()


def test_the_first_run_guide_is_dismissed_for_good(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.main_window import MainWindow

    window = _window(qtbot, policy_file)
    try:
        assert not window.guide.isHidden()
        window.guide.buttons["compare"].click()
        assert window.stack.currentIndex() == 4
        window.guide.buttons["try"].click()
        assert window.stack.currentIndex() == 0
        assert window.policy_page.current.side.currentWidget() is window.policy_page.current.try_it
        window.guide.dismiss()
        window.close()
        again = MainWindow()
        qtbot.addWidget(again)
        assert again.guide.isHidden()
        again.window_actions["guide"].trigger()
        assert not again.guide.isHidden()
        again.close()
    finally:
        window.close()
