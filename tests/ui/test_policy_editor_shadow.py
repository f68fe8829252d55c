"""A route's shadow in the policy editor: shown in the route's form and the YAML view, set from the
form (all four fields) into the saved file, kept by other edits, and removed by clearing it."""

from __future__ import annotations

from pathlib import Path

import yaml

from console.core.policy.loader import load_policy
from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, open_document
from tests.core.shadow.policies import write_policy


def _editor(qtbot, path: Path) -> PolicyEditorTab:  # type: ignore[no-untyped-def]
    tab = PolicyEditorTab(open_document(path))
    tab.show_diff_before_save = False
    tab.ask = lambda title, text: True
    qtbot.addWidget(tab)
    return tab


def _field(editor: PolicyEditorTab, subpath: tuple[str, ...]):  # type: ignore[no-untyped-def]
    for widget, path, _kind in editor.routes.binding._fields:
        if path == subpath:
            return widget
    raise AssertionError(f"no field for {subpath}")


def _type(editor: PolicyEditorTab, subpath: tuple[str, ...], text: str) -> None:
    field = _field(editor, subpath)
    field.setText(text)
    field.editingFinished.emit()


def test_a_shadow_is_shown_and_kept_by_other_edits(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_policy(tmp_path, "http://127.0.0.1:9/v1", sample=0.05)
    editor = _editor(qtbot, path)
    editor.routes.select_task("support")
    assert _field(editor, ("shadow", "model")).text() == "cheap"
    assert _field(editor, ("shadow", "sample")).text() == "0.05"
    assert "shadow: {model: cheap, sample: 0.05" in editor.yaml_view.toPlainText()
    _type(editor, ("max_output_tokens",), "64")
    assert editor.save()
    saved = load_policy(path).policy
    assert saved is not None and saved.routes["support"].max_output_tokens == 64
    assert saved.routes["support"].shadow is not None and saved.routes["support"].shadow.sample == 0.05


def test_a_shadow_is_set_and_removed_from_the_form(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_policy(tmp_path, "http://127.0.0.1:9/v1")
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if "shadow:" not in line and "max_in_flight" not in line))
    editor = _editor(qtbot, path)
    editor.routes.select_task("support")
    _type(editor, ("shadow", "model"), "cheap")
    assert editor.validate_now().policy is None  # half a shadow is an error on the form, nothing saved
    for subpath, text in ((("shadow", "sample"), "0.1"), (("shadow", "max_usd_per_day"), "1.5"),
                          (("shadow", "bar"), "bars/x.yaml")):
        _type(editor, subpath, text)
    assert editor.save()
    assert yaml.safe_load(path.read_text())["routes"]["support"]["shadow"] == {
        "model": "cheap", "sample": 0.1, "max_usd_per_day": 1.5, "bar": "bars/x.yaml"}
    for subpath in (("shadow", "model"), ("shadow", "sample"), ("shadow", "max_usd_per_day"), ("shadow", "bar")):
        _type(editor, subpath, "")
    assert editor.save()
    assert "shadow" not in yaml.safe_load(path.read_text())["routes"]["support"]
