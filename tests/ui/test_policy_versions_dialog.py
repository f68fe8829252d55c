"""The editor's Versions…: every save listed newest first with what it changed; restoring is one undoable edit."""

from __future__ import annotations

from pathlib import Path

from console.core.policy.loader import load_policy
from console.core.policy.versions import versions
from console.ui.pages.policy_editor.page import PolicyEditorPage


def _input_price_cell(page: PolicyEditorPage):  # type: ignore[no-untyped-def]
    model = page.current.models.model
    return model.index(model.row_of("gpt-big"), [c.title for c in model.columns].index("Input $/M"))


def test_saves_are_listed_and_an_old_version_restores_into_the_editor(qtbot, policy_file: Path) -> None:
    page = PolicyEditorPage()
    qtbot.addWidget(page)
    editor = page.open_path(policy_file)
    assert editor is not None
    editor.show_diff_before_save = False
    editor.ask = lambda title, text: True
    original = policy_file.read_text()
    assert editor.save()  # the first version: the file as opened
    assert page.current.models.model.setData(_input_price_cell(page), "2.5")
    assert editor.save()
    assert [v.text() for v in versions("ui-sample")] == [original, policy_file.read_text()]

    dialog = page.show_versions()
    assert dialog.list.count() == 2
    newest = dialog.list.item(0).text()
    assert "models.gpt-big.prices.input: 2.0 → 2.5" in newest
    assert "first version" in dialog.list.item(1).text()
    # the newest is the file as it is now: marked, and there is nothing to restore from it
    assert "the file now" in newest and "the file now" not in dialog.list.item(1).text()
    assert not dialog.restore_button.isEnabled()
    dialog.list.setCurrentRow(1)
    assert dialog.restore_button.isEnabled()
    assert dialog.preview.toPlainText() == original
    dialog.restore_button.click()

    assert editor.dirty and editor.validate_now().text == original  # in the editor, not yet on disk
    assert load_policy(policy_file).policy.models["gpt-big"].prices.input == 2.5
    assert editor.stack.undoText().startswith("Restore the version of")
    editor.stack.undo()
    assert not editor.dirty
    editor.stack.redo()
    assert editor.save() and policy_file.read_text() == original
    assert len(versions("ui-sample")) == 3  # restoring made a new version; none was lost


def test_a_policy_never_saved_shows_an_empty_history(qtbot, policy_file: Path) -> None:
    page = PolicyEditorPage()
    qtbot.addWidget(page)
    page.open_path(policy_file)
    dialog = page.show_versions()
    assert dialog.list.count() == 0 and not dialog.restore_button.isEnabled()


def test_what_each_version_changed_is_worked_out_off_the_gui_thread(qtbot, policy_file: Path, bridge,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Every version is parsed and compared (tens of ms each): a year of saves froze the window for seconds.
    import threading

    from console.ui.pages.policy_editor import versions_dialog

    threads: list[str] = []
    real_rows = versions_dialog.version_rows

    def rows_on_record(kept):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return real_rows(kept)

    monkeypatch.setattr(versions_dialog, "version_rows", rows_on_record)
    page = PolicyEditorPage(bridge)
    qtbot.addWidget(page)
    editor = page.open_path(policy_file)
    editor.show_diff_before_save = False
    editor.ask = lambda title, text: True
    assert editor.save()
    assert page.current.models.model.setData(_input_price_cell(page), "2.5")
    assert editor.save()
    dialog = page.show_versions()
    assert dialog.list.count() == 2  # listed at once, each by its date
    qtbot.waitUntil(lambda: "models.gpt-big.prices.input: 2.0 → 2.5" in dialog.list.item(0).text(), timeout=10000)
    assert "first version" in dialog.list.item(1).text()
    assert threads and threading.main_thread().name not in threads
    dialog.close()
