"""Round-trip rendering: an untouched file comes back byte for byte, an edit changes only its own lines."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterator

import pytest

from console.core.policy.loader import load_policy_text
from console.core.policy.round_trip import guess_layout, keep_untouched, render
from console.core.policy.source_map import parse_yaml, plain

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
FILES = [HERE / "commented" / "team-policy.yaml", ROOT / "tests" / "ui" / "sample_policy.yaml",
         *sorted((ROOT / "policies").glob("*.yaml"))]

#: Hand-written quirks a dumper normalises: a document marker, extra spaces after colons, three-space
#: indents, a dash flush with its key, a comment between list items, and an alias.
QUIRKY = """\
---
# quirky but valid
version:   1
name: quirky
providers:
   local:
      kind:    local-gguf
models:
   small: &small
      provider: local
      model: bundled:smollm2-135m
      region: on-prem
tasks:
   chat: {}
classification:
   default: chat
routes:
   chat:
      candidates:
      - small   # the only one
      # more to come
      max_cost_usd: 0.05
"""


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_untouched_files_render_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert render(parse_yaml(text).tree, text) == text


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quirky_file_untouched_and_edited(newline: str) -> None:
    text = QUIRKY.replace("\n", newline)
    tree = parse_yaml(text).tree
    assert render(tree, text) == text
    tree["routes"]["chat"]["max_cost_usd"] = 0.07
    edited = render(tree, text)
    assert _changed_lines(text, edited) == ["-       max_cost_usd: 0.05", "+       max_cost_usd: 0.07"]
    assert load_policy_text(edited).policy.routes["chat"].max_cost_usd == 0.07


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    else:
        yield path, value


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        tree = tree[part]
    tree[path[-1]] = value


@pytest.mark.parametrize("path", FILES[:2], ids=lambda p: p.stem)
def test_changing_any_one_value_changes_one_line_and_means_the_change(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    leaves = list(_leaves(plain(parse_yaml(text).tree)))
    assert len(leaves) > 30
    for where, value in leaves:
        tree = parse_yaml(text).tree
        new = value + 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else (
            (not value) if isinstance(value, bool) else f"{value}-x")
        _set(tree, where, new)
        edited = render(tree, text)
        assert parse_yaml(edited).data == plain(tree), where
        changed = _changed_lines(text, edited)
        assert len([line for line in changed if line.startswith("-")]) == 1, (where, changed)
        assert len([line for line in changed if line.startswith("+")]) == 1, (where, changed)


def test_keep_untouched_gives_up_when_a_change_cannot_be_placed() -> None:
    original = "a: 1\nb:   2\n"
    baseline = "a: 1\nb: 2\n"
    assert keep_untouched(original, baseline, "a: 5\nb: 2\n") == "a: 5\nb:   2\n"
    # The edited line is one the original writes differently: there is nothing safe to patch.
    assert keep_untouched(original, baseline, "a: 1\nb: 3\n") == "a: 1\nb: 3\n"
    assert keep_untouched(original, baseline, baseline) == original


def test_render_checks_the_patched_text_means_the_tree() -> None:
    # Whatever happens to the lines, what is saved must load as the edited data.
    text = QUIRKY
    tree = parse_yaml(text).tree
    tree["models"]["small"]["region"] = "eu"
    tree["routes"]["chat"]["candidates"].append("small")
    edited = render(tree, text)
    assert parse_yaml(edited).data == plain(tree)
    assert edited.startswith("---\n# quirky but valid\nversion:   1\n")


def test_layout_guess() -> None:
    assert guess_layout("a:\n  b: 1\n  c:\n    - x\n") == (2, 4, 2)
    assert guess_layout("a:\n    b:\n    - x\n") == (4, 2, 0)
    assert guess_layout("") == (2, 4, 2)


FOLLOWING = """\
routes:
  chat:
    candidates: [a]
    max_cost_usd: 0.01   # cent
  # Code route: agreed with finance

  code:
    candidates: [b]   # only b
    # the ceiling below is reviewed monthly
    max_cost_usd: 0.2
"""


@pytest.mark.parametrize(
    ("remove", "gone"),
    [
        (("routes", "chat", "max_cost_usd"), ["    max_cost_usd: 0.01   # cent"]),
        (("routes", "code", "candidates"), ["    candidates: [b]   # only b"]),
        (("routes", "chat"), ["  chat:", "    candidates: [a]", "    max_cost_usd: 0.01   # cent"]),
    ],
)
def test_removing_an_entry_keeps_the_comments_written_above_the_next_one(remove: tuple[str, ...],
                                                                          gone: list[str]) -> None:
    # ruamel attaches a full-line comment to the entry above it; removing that entry must not take it along.
    tree = parse_yaml(FOLLOWING).tree
    parent = tree
    for part in remove[:-1]:
        parent = parent[part]
    parent.pop(remove[-1])
    edited = render(tree, FOLLOWING)
    assert [line for line in FOLLOWING.splitlines() if line not in edited.splitlines()] == gone
    assert parse_yaml(edited).data == plain(tree)
