"""The window and every page open; item models pass qtmodeltester; nothing is left running."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, open_document
from tests.ui.conftest import SAMPLE_POLICY


def test_main_window_opens_every_page_and_closes_cleanly(qtbot, policy_file: Path) -> None:
    from console.ui.main_window import PAGES, MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_first_policy(policy_file)
    window.show()
    assert [window.navigation.item(i).text() for i in range(window.navigation.count())] == [t for t, _ in PAGES]
    for row in range(window.navigation.count()):
        window.navigation.setCurrentRow(row)
        assert window.stack.currentIndex() == row
    assert "sample.yaml" in window.policy_label.text()
    qtbot.waitUntil(lambda: "checking" not in window.gpu_label.text(), timeout=15000)
    window.close()
    assert not any(t.name == "engine" and t.is_alive() for t in threading.enumerate())


def test_geometry_is_remembered(qtbot) -> None:
    from console.ui.main_window import MainWindow

    first = MainWindow()
    first.resize(700, 450)  # the offscreen screen is 800x600: stay inside it
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 450)
    second.close()


def test_demo_policy_opens_in_the_editor(qtbot) -> None:
    from console.ui.demo import demo_policy_path
    from console.ui.pages.policy_editor.page import PolicyEditorPage

    path = demo_policy_path()
    assert path is not None and path.name == "demo.yaml"
    page = PolicyEditorPage()
    qtbot.addWidget(page)
    editor = page.open_path(path)
    assert editor is not None
    assert editor.validation.policy is not None, [d.format() for d in editor.validation.diagnostics]
    page.new_policy()
    assert len(page.editors()) == 2
    assert page.editors()[1].validation.policy is not None


def test_every_item_model_passes_qtmodeltester(qtbot) -> None:
    from pytestqt.modeltest import ModelTester

    editor = PolicyEditorTab(open_document(SAMPLE_POLICY))
    qtbot.addWidget(editor)
    sections = [editor.models, editor.providers, editor.budgets, editor.residency, editor.tasks.tasks, editor.tasks.rules]
    for section in sections:
        ModelTester(qtbot._request.config).check(section.model, force_py=True)  # stays connected: edits are checked too
        section.add_entry()
        section.view.selectRow(0)
        section.remove_selected()
        editor.stack.undo()
        editor.stack.undo()
        editor.validate_now()


def test_non_policy_file_gets_a_clear_message(tmp_path: Path) -> None:
    from console.ui.pages.policy_editor.editor_tab import PolicyOpenError

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(PolicyOpenError, match="not valid YAML at line"):
        open_document(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(PolicyOpenError, match="top level is not a mapping"):
        open_document(listing)
