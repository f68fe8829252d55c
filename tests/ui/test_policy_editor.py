"""The policy editor: edits reach the saved YAML exactly, undo restores, validation marks and clears."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt

from console.core.engine import Engine
from console.core.policy.loader import load_policy
from console.core.request import Request
from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, open_document
from console.ui.pages.policy_editor.section_model import PROBLEM_TINT


@pytest.fixture
def editor(qtbot, policy_file: Path) -> PolicyEditorTab:
    tab = PolicyEditorTab(open_document(policy_file))
    tab.show_diff_before_save = False
    tab.ask = lambda title, text: True
    qtbot.addWidget(tab)
    return tab


def _cell(editor: PolicyEditorTab, alias: str, title: str):  # type: ignore[no-untyped-def]
    model = editor.models.model
    column = [c.title for c in model.columns].index(title)
    return model.index(model.row_of(alias), column)


def test_price_edit_changes_saved_yaml_exactly_and_undo_restores(editor: PolicyEditorTab, policy_file: Path) -> None:
    original = policy_file.read_text()
    assert editor.models.model.setData(_cell(editor, "gpt-big", "Input $/M"), "2.5")
    assert editor.save()
    # The file keeps its comment and layout: only the edited line changes, and it means what the edit said.
    expected = original.replace("prices: {input: 2.0, output: 8.0}", "prices: {input: 2.5, output: 8.0}")
    assert expected != original
    assert policy_file.read_text() == expected
    assert load_policy(policy_file).policy.models["gpt-big"].prices.input == 2.5
    editor.stack.undo()
    assert editor.validate_now().text == original
    assert editor.dirty


def test_reordering_a_route_by_drag_command_reaches_yaml(editor: PolicyEditorTab, policy_file: Path) -> None:
    routes = editor.routes
    routes.select_task("code")
    assert routes.candidate_aliases() == ["gpt-big", "gpt-small", "smol"]
    routes.candidates.setCurrentRow(2)
    routes._move_selected(-1)  # the Up button; drag and drop pushes the same MoveItem command
    assert routes.candidate_aliases() == ["gpt-big", "smol", "gpt-small"]
    assert editor.save()
    saved = yaml.safe_load(policy_file.read_text())
    assert saved["routes"]["code"]["candidates"] == ["gpt-big", "smol", "gpt-small"]
    editor.stack.undo()
    assert routes.candidate_aliases() == ["gpt-big", "gpt-small", "smol"]


def test_drop_in_candidate_list_reorders_the_document(qtbot, editor: PolicyEditorTab) -> None:
    routes = editor.routes
    routes.select_task("code")
    model = routes.candidates.model()
    # What an internal drag and drop does to the list: move row 0 below row 2.
    model.moveRows(model.index(0, 0).parent(), 0, 1, model.index(0, 0).parent(), 3)
    qtbot.waitUntil(lambda: editor.document.get(("routes", "code", "candidates")) == ["gpt-small", "smol", "gpt-big"])
    assert routes.candidate_aliases() == ["gpt-small", "smol", "gpt-big"]


def test_validation_marker_appears_on_the_field_and_clears(editor: PolicyEditorTab) -> None:
    model = editor.models.model
    index = _cell(editor, "gpt-small", "Input $/M")
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is None
    model.setData(index, "-1")
    validation = editor.validate_now()
    assert validation.policy is None
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) == PROBLEM_TINT
    assert "0" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert editor.problems.count() >= 1
    editor.stack.undo()
    editor.validate_now()
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is None
    assert editor.validation.policy is not None


def test_route_field_marker_and_problem_click_goes_to_field(qtbot, editor: PolicyEditorTab) -> None:
    editor.show()
    routes = editor.routes
    routes.select_task("code")
    ceiling = routes.binding.widget_for(("routes", "code", "max_cost_usd"))
    assert ceiling is not None
    ceiling.setText("-5")
    ceiling.editingFinished.emit()
    editor.validate_now()
    assert ceiling.property("problem") is True
    item = next(editor.problems.item(i) for i in range(editor.problems.count())
                if "max_cost_usd" in str(editor.problems.item(i).data(Qt.ItemDataRole.UserRole)))
    editor.sections.setCurrentIndex(0)
    routes.select_task("chat")
    editor.problems.itemClicked.emit(item)
    assert editor.sections.currentWidget() is routes
    assert routes.task == "code"
    editor.stack.undo()
    editor.validate_now()
    assert not ceiling.property("problem")


def test_unknown_candidate_is_listed_and_marked(editor: PolicyEditorTab) -> None:
    editor.routes.select_task("chat")
    editor.routes.add_model.addItem("no-such-model")
    editor.routes.add_model.setCurrentText("no-such-model")
    editor.routes._on_add_clicked()
    validation = editor.validate_now()
    assert any(d.path == "routes.chat.candidates[2]" for d in validation.diagnostics)
    item = editor.routes.candidates.item(2)
    assert item.toolTip()


def test_rule_builder_edits_the_condition(editor: PolicyEditorTab) -> None:
    rules = editor.tasks.rules
    rules.view.selectRow(0)
    builder = editor.tasks.builder
    assert builder.combinator.currentData() == "any"
    assert [r.kind for r in builder.current_rows()] == ["keywords", "regex"]
    negate, kind, value = builder._rows[0]
    value.setText("python, pytest")
    value.editingFinished.emit()
    when = editor.document.get(("classification", "rules", 0, "when"))
    assert when == {"any": [{"keywords": ["python", "pytest"]}, {"regex": "def \\w+\\("}]}
    negate, kind, value = builder._rows[0]  # the builder re-reads the document after each edit
    assert value.text() == "python, pytest"
    negate.setChecked(True)
    assert editor.document.get(("classification", "rules", 0, "when", "any", 0)) == {"not": {"keywords": ["python", "pytest"]}}
    editor.stack.undo()
    editor.stack.undo()
    assert editor.document.get(("classification", "rules", 0, "when", "any", 0)) == {"keywords": ["python", "function", "traceback"]}


def test_try_it_shows_the_same_plan_as_engine_explain(editor: PolicyEditorTab, policy_file: Path) -> None:
    panel = editor.try_it
    panel.prompt.setPlainText("Why does my python function raise a traceback?")
    panel.metadata.setText("team=ops")
    panel.explain_now()
    expected = Engine(load_policy(policy_file).policy).explain(
        Request.from_prompt("Why does my python function raise a traceback?", metadata={"team": "ops"})
    )
    assert panel.plan == expected
    assert panel.plan.task == "code"
    assert panel.candidates.rowCount() == len(expected.candidates)
    reasons = [panel.candidates.item(r, 3).text() for r in range(panel.candidates.rowCount())]
    assert reasons == [c.reason for c in expected.candidates]
    # Live: an edit to the policy changes the plan without a model being called.
    editor.routes.select_task("code")
    editor.routes.candidates.setCurrentRow(0)
    editor.routes._on_remove_clicked()
    editor.validate_now()
    panel.explain_now()
    assert [c.model for c in panel.plan.candidates][:2] == ["gpt-small", "smol"]


def test_file_changed_on_disk_with_edits_offers_reload(qtbot, editor: PolicyEditorTab, policy_file: Path) -> None:
    editor.models.model.setData(_cell(editor, "gpt-big", "Input $/M"), "3")
    policy_file.write_text(policy_file.read_text().replace("name: ui-sample", "name: changed-elsewhere"))
    editor.watch.check_now()
    assert editor.banner.isVisibleTo(editor)
    editor.reload_from_disk()
    assert editor.document.get(("name",)) == "changed-elsewhere"
    assert editor.document.get(("models", "gpt-big", "prices", "input")) == 2.0


def test_saving_over_a_file_changed_on_disk_asks_first(editor: PolicyEditorTab, policy_file: Path) -> None:
    editor.models.model.setData(_cell(editor, "gpt-big", "Input $/M"), "3")
    other = policy_file.read_text().replace("name: ui-sample", "name: theirs")
    policy_file.write_text(other)
    asked: list[str] = []
    editor.ask = lambda title, text: asked.append(title) or False
    assert not editor.save()
    assert policy_file.read_text() == other
    assert "File changed on disk" in asked


def test_saving_keeps_comments_without_asking(editor: PolicyEditorTab, policy_file: Path) -> None:
    asked: list[str] = []
    editor.ask = lambda title, text: asked.append(title) or True
    original = policy_file.read_text()
    editor.models.model.setData(_cell(editor, "gpt-big", "Region"), "eu")
    assert editor.save()
    saved = policy_file.read_text()
    assert saved.startswith("# A small policy the UI tests edit")
    changed = [pair for pair in zip(original.splitlines(), saved.splitlines()) if pair[0] != pair[1]]
    assert changed == [("    region: us", "    region: eu")]
    assert asked == []


def test_invalid_policy_is_not_saved(qtbot, editor: PolicyEditorTab, policy_file: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[1]))
    before = policy_file.read_text()
    editor.models.model.setData(_cell(editor, "gpt-big", "Context"), "0")
    assert not editor.save()
    assert policy_file.read_text() == before
    assert warned == ["Cannot save"]


def test_yaml_view_shows_exactly_what_is_saved(editor: PolicyEditorTab, policy_file: Path) -> None:
    editor.models.model.setData(_cell(editor, "smol", "Tags"), "local, tiny")
    editor.validate_now()
    shown = editor.yaml_view.toPlainText()
    assert editor.save()
    assert policy_file.read_text() == shown + ("\n" if not shown.endswith("\n") else "")


def test_a_providers_proxy_is_set_in_the_window_and_reaches_the_policy(editor: PolicyEditorTab, policy_file: Path) -> None:
    model = editor.providers.model
    column = [c.title for c in model.columns].index("Proxy")
    index = model.index(model.row_of("openai"), column)
    assert model.setData(index, "http://proxy.corp:3128")
    assert editor.save()
    assert load_policy(policy_file).policy.providers["openai"].proxy == "http://proxy.corp:3128"
    model.setData(index, "not a proxy")
    assert editor.validate_now().policy is None  # refused with the field marked, nothing saved
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) == PROBLEM_TINT
