"""Fields that never lie: Ctrl+Z in a route field is the document's undo, and undo refreshes a focused field.

The rule under test: a field shows what the policy holds (and its marker says whether that is
valid), except while the operator is typing into it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab
from console.ui.pages.policy_editor.page import PolicyEditorPage

CEILING = ("routes", "code", "max_cost_usd")
P95 = ("routes", "code", "latency", "p95_ms")


@pytest.fixture
def page(qtbot, policy_file: Path) -> PolicyEditorPage:
    """The editor page as the window has it: its toolbar Undo/Redo carry window-wide shortcuts."""
    editor_page = PolicyEditorPage()
    qtbot.addWidget(editor_page)
    editor = editor_page.open_path(policy_file)
    assert editor is not None
    editor.sections.setCurrentWidget(editor.routes)
    editor.routes.select_task("code")
    editor_page.resize(1200, 800)
    editor_page.show()
    editor_page.activateWindow()
    qtbot.waitUntil(editor_page.isActiveWindow, timeout=3000)  # window shortcuts reach only an active window
    return editor_page


def _field(page: PolicyEditorPage, path: tuple) -> QLineEdit:
    widget = _editor(page).routes.binding.widget_for(path)
    assert isinstance(widget, QLineEdit)
    return widget


def _editor(page: PolicyEditorPage) -> PolicyEditorTab:
    assert page.current is not None
    return page.current


def _focus(qtbot, field: QLineEdit) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)


def _type(qtbot, field: QLineEdit, text: str, commit: bool = True) -> None:  # type: ignore[no-untyped-def]
    field.selectAll()
    qtbot.keyClicks(field, text)
    if commit:
        qtbot.keyClick(field, Qt.Key.Key_Return)


def test_ctrl_z_in_a_route_field_undoes_the_document(qtbot, page: PolicyEditorPage) -> None:
    editor, ceiling = _editor(page), _field(page, CEILING)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "0.9")
    _type(qtbot, ceiling, "0.8")
    assert editor.document.get(CEILING) == 0.8

    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.document.get(CEILING) == 0.9
    assert ceiling.text() == "0.9"
    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.document.get(CEILING) == 0.05  # the file's own value
    assert ceiling.text() == "0.05"
    assert editor.stack.isClean()

    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.document.get(CEILING) == 0.9
    assert ceiling.text() == "0.9"
    qtbot.keyClick(ceiling, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert (editor.document.get(CEILING), ceiling.text()) == (0.8, "0.8")


def test_ctrl_z_while_typing_makes_the_typing_an_undoable_step(qtbot, page: PolicyEditorPage) -> None:
    editor, ceiling = _editor(page), _field(page, CEILING)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "0.7", commit=False)
    assert editor.document.get(CEILING) == 0.05  # not committed yet: the field is being typed

    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (editor.document.get(CEILING), ceiling.text()) == (0.05, "0.05")
    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert (editor.document.get(CEILING), ceiling.text()) == (0.7, "0.7")


def test_ctrl_z_in_a_lone_route_editor_still_undoes_the_document(qtbot, policy_file: Path) -> None:
    """Without the page's window-wide shortcut (a page run alone) the field still means the document."""
    from console.ui.pages.policy_editor.editor_tab import open_document

    editor = PolicyEditorTab(open_document(policy_file))
    qtbot.addWidget(editor)
    editor.sections.setCurrentWidget(editor.routes)
    editor.routes.select_task("code")
    editor.show()
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=3000)
    ceiling = editor.routes.binding.widget_for(CEILING)
    assert isinstance(ceiling, QLineEdit)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "0.3")
    qtbot.keyClick(ceiling, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (editor.document.get(CEILING), ceiling.text()) == (0.05, "0.05")


def test_toolbar_undo_refreshes_the_focused_field_and_its_marker(qtbot, page: PolicyEditorPage) -> None:
    editor, ceiling = _editor(page), _field(page, CEILING)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "-5")
    assert editor.document.get(CEILING) == -5
    qtbot.waitUntil(lambda: ceiling.property("problem") is True, timeout=3000)
    assert ceiling.toolTip()

    page.actions_by_name["undo"].trigger()  # what a click on the toolbar does: the field keeps focus
    assert ceiling.hasFocus()
    assert (editor.document.get(CEILING), ceiling.text()) == (0.05, "0.05")
    qtbot.waitUntil(lambda: not ceiling.property("problem"), timeout=3000)
    assert ceiling.toolTip() == ""

    page.actions_by_name["redo"].trigger()
    assert ceiling.hasFocus()
    assert (editor.document.get(CEILING), ceiling.text()) == (-5, "-5.0")
    qtbot.waitUntil(lambda: ceiling.property("problem") is True, timeout=3000)


def test_toolbar_undo_elsewhere_keeps_what_is_being_typed(qtbot, page: PolicyEditorPage) -> None:
    """The one exception: text being typed stays while the undo did not touch its field."""
    editor, ceiling, p95 = _editor(page), _field(page, CEILING), _field(page, P95)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "0.2")
    _focus(qtbot, p95)
    _type(qtbot, p95, "1500", commit=False)

    page.actions_by_name["undo"].trigger()  # undoes the ceiling, not the p95 being typed
    assert (editor.document.get(CEILING), ceiling.text()) == (0.05, "0.05")
    assert p95.text() == "1500"
    qtbot.keyClick(p95, Qt.Key.Key_Return)
    assert editor.document.get(P95) == 1500


def test_undo_that_moves_the_typed_field_replaces_the_typing(qtbot, page: PolicyEditorPage) -> None:
    """When the document's value under a half-typed field changes, the field shows the document's."""
    editor, ceiling = _editor(page), _field(page, CEILING)
    _focus(qtbot, ceiling)
    _type(qtbot, ceiling, "0.2")
    _type(qtbot, ceiling, "0.25", commit=False)
    page.actions_by_name["undo"].trigger()
    assert (editor.document.get(CEILING), ceiling.text()) == (0.05, "0.05")


WHEN = ("classification", "rules", 0, "when")


def _rule_value(page: PolicyEditorPage, row: int = 0) -> QLineEdit:
    return _editor(page).tasks.builder._rows[row][2]


def _show_rule(page: PolicyEditorPage) -> None:
    editor = _editor(page)
    editor.sections.setCurrentWidget(editor.tasks)
    editor.tasks.rules.view.selectRow(0)


def test_ctrl_z_in_a_rule_condition_field_undoes_the_document(qtbot, page: PolicyEditorPage) -> None:
    editor = _editor(page)
    _show_rule(page)
    original = editor.document.get(WHEN)
    field = _rule_value(page)
    _focus(qtbot, field)
    _type(qtbot, field, "python, pytest")
    assert editor.document.get(WHEN + ("any", 0)) == {"keywords": ["python", "pytest"]}

    field = _rule_value(page)  # rows are rebuilt from the document; the operator stays in the field
    assert field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.document.get(WHEN) == original
    assert _rule_value(page).text() == "python, function, traceback"


def test_toolbar_undo_refreshes_a_focused_rule_condition_field(qtbot, page: PolicyEditorPage) -> None:
    editor = _editor(page)
    _show_rule(page)
    field = _rule_value(page)
    _focus(qtbot, field)
    _type(qtbot, field, "python, pytest")
    page.actions_by_name["undo"].trigger()
    field = _rule_value(page)
    assert field.hasFocus() and field.text() == "python, function, traceback"
    assert editor.document.get(WHEN + ("any", 0)) == {"keywords": ["python", "function", "traceback"]}
    page.actions_by_name["redo"].trigger()
    assert _rule_value(page).text() == "python, pytest"
