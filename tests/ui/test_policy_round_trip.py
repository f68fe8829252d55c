"""A commented policy edited in the window keeps its comments, order and quoting; `git diff` shows only the edit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from console.core.policy.loader import load_policy
from console.ui.pages.policy_editor.commands import InsertItem, MoveItem, RenameKey, SetValue
from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, PolicyOpenError, open_document

TEAM_POLICY = Path(__file__).resolve().parents[1] / "core" / "policy" / "commented" / "team-policy.yaml"


@pytest.fixture
def team_file(tmp_path: Path) -> Path:
    """The commented policy in a git repository of its own, committed."""
    target = tmp_path / "repo" / "team-policy.yaml"
    target.parent.mkdir()
    shutil.copyfile(TEAM_POLICY, target)
    git = ["git", "-C", str(target.parent), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", target.name], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "policy"], check=True)
    return target


@pytest.fixture
def team_editor(qtbot, team_file: Path) -> PolicyEditorTab:
    tab = PolicyEditorTab(open_document(team_file))
    tab.show_diff_before_save = False
    tab.ask = lambda title, text: True
    qtbot.addWidget(tab)
    return tab


def _git_diff(path: Path) -> tuple[list[str], list[str]]:
    """The lines `git diff` removes and adds."""
    out = subprocess.run(["git", "-C", str(path.parent), "diff", "--no-color", "-U0", path.name],
                         check=True, capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if not line.startswith(("---", "+++"))]
    return [line[1:] for line in lines if line.startswith("-")], [line[1:] for line in lines if line.startswith("+")]


def test_changing_one_ceiling_in_the_route_editor_is_a_one_line_git_diff(team_editor: PolicyEditorTab,
                                                                         team_file: Path) -> None:
    routes = team_editor.routes
    routes.select_task("code")
    ceiling = routes.binding.widget_for(("routes", "code", "max_cost_usd"))
    assert ceiling is not None and ceiling.text() == "0.25"
    ceiling.setText("0.4")
    ceiling.editingFinished.emit()
    assert team_editor.save()
    assert _git_diff(team_file) == (
        ["        max_cost_usd: 0.25      # agreed with finance, 2026-10"],
        ["        max_cost_usd: 0.4       # agreed with finance, 2026-10"],
    )
    assert load_policy(team_file).policy.routes["code"].max_cost_usd == 0.4


def test_an_untouched_file_saves_byte_for_byte(team_editor: PolicyEditorTab, team_file: Path, tmp_path: Path) -> None:
    original = team_file.read_bytes()
    assert team_editor.validate_now().text.encode() == original
    copy = tmp_path / "copy.yaml"
    assert team_editor.save(copy)
    assert copy.read_bytes() == original


def test_edits_undone_give_back_the_original_bytes(team_editor: PolicyEditorTab, team_file: Path) -> None:
    document, stack = team_editor.document, team_editor.stack
    stack.push(SetValue(document, ("routes", "chat", "max_cost_usd"), 0.02))
    stack.push(MoveItem(document, ("routes", "code", "candidates"), 1, 0))
    stack.push(RenameKey(document, ("models",), "small", "tiny"))
    assert team_editor.validate_now().text != team_file.read_text()
    while stack.canUndo():
        stack.undo()
    assert team_editor.validate_now().text == team_file.read_text()


def test_every_comment_survives_structural_edits(team_editor: PolicyEditorTab, team_file: Path) -> None:
    document, stack = team_editor.document, team_editor.stack
    stack.push(MoveItem(document, ("routes", "code", "candidates"), 1, 0))
    stack.push(InsertItem(document, ("classification", "rules", 0, "when", "keywords"), "rust"))
    stack.push(SetValue(document, ("tasks", "summarize"), {"description": "Shorten long texts"}))
    stack.push(SetValue(document, ("routes", "summarize"), {"candidates": ["small"]}))
    assert team_editor.save()
    saved = team_file.read_text()
    original = TEAM_POLICY.read_text()
    comments = [line.split("#", 1)[1] for line in original.splitlines() if "#" in line and "#llm" not in line]
    for comment in comments:
        assert comment in saved
    assert "#llm-ops" in saved
    assert 'name: "team-desk"' in saved and "description: 'Support and engineering traffic'" in saved
    assert "keywords: [python, 'C++', traceback, rust]" in saved
    policy = load_policy(team_file).policy
    assert policy is not None
    assert policy.routes["code"].candidates == ["small", "big"]
    assert list(policy.tasks) == ["chat", "code", "summarize"]
    removed, added = _git_diff(team_file)
    assert len(removed) <= 3 and all(line.strip().startswith(("- ", "keywords")) for line in removed), removed


def test_renaming_a_model_keeps_its_place_and_its_comment(team_editor: PolicyEditorTab, team_file: Path) -> None:
    team_editor.stack.push(RenameKey(team_editor.document, ("models",), "small", "tiny"))
    text = team_editor.validate_now().text
    before = next(line for line in TEAM_POLICY.read_text().splitlines() if line.startswith("    small:"))
    after = next(line for line in text.splitlines() if line.startswith("    tiny:"))
    assert after.endswith("# cheap and fast") and after.index("#") == before.index("#")
    assert text.index("tiny:") < text.index("big:")


def test_reload_from_disk_keeps_the_new_comments(team_editor: PolicyEditorTab, team_file: Path) -> None:
    changed = team_file.read_text().replace("# End of policy.", "# End of policy (reviewed).")
    team_file.write_text(changed)
    team_editor.reload_from_disk()
    team_editor.stack.push(SetValue(team_editor.document, ("routes", "chat", "max_cost_usd"), 0.02))
    assert team_editor.save()
    saved = team_file.read_text()
    assert "# End of policy (reviewed)." in saved
    assert saved == changed.replace("max_cost_usd: 0.01 ", "max_cost_usd: 0.02 ")


def test_a_file_with_a_duplicate_key_is_not_opened_to_lose_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(TEAM_POLICY.read_text().replace("    big:\n", "    small:\n", 1))
    with pytest.raises(PolicyOpenError, match=r"line 21: duplicate key 'small'"):
        open_document(path)


def test_a_python_tag_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text(TEAM_POLICY.read_text().replace("model: gpt-4.1", "model: !!python/object/apply:os.system [ls]"))
    with pytest.raises(PolicyOpenError, match="not allowed"):
        open_document(path)


def test_a_new_policy_saved_once_then_edited_changes_one_line(qtbot, tmp_path: Path) -> None:
    from console.ui.pages.policy_editor.document import PolicyDocument
    from console.ui.pages.policy_editor.new_policy import new_policy_data

    data = new_policy_data()
    data["description"] = "added last, written in schema order"  # the dict's order is not the file's
    tab = PolicyEditorTab(PolicyDocument(data))
    tab.show_diff_before_save = False
    tab.ask = lambda title, text: True
    qtbot.addWidget(tab)
    target = tmp_path / "new.yaml"
    assert tab.save(target)
    first = target.read_text()
    assert first.startswith("version: 1\nname: untitled\ndescription:")
    tab.stack.push(SetValue(tab.document, ("routes", "chat", "max_cost_usd"), 0.5))
    assert tab.save()
    second = target.read_text()
    assert second.splitlines()[: len(first.splitlines())] == first.splitlines()
    assert second.splitlines()[len(first.splitlines()):] == ["    max_cost_usd: 0.5"]
