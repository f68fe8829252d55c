"""Write an edited policy back into its own file, changing only the lines the edit changed.

The editor holds the policy as ruamel.yaml's commented containers (``ParsedYaml.tree``), which
carry the file's comments, key order and quoting. Dumping that tree gives back nearly the text
that was read, but ruamel normalises some things no one edited: indentation (one setting for the
whole file), spacing after ``key:``, a ``---`` marker. So ``render`` dumps the tree, dumps the
unedited file the same way (the *baseline*), and applies only the baseline → edited difference to
the file's own text. An untouched file comes back byte for byte; one changed ceiling is one
changed line. When the difference cannot be placed in the original with certainty, or placing it
would change what the file means, the plain dump is used instead: a correct file beats a pretty one.
"""

from __future__ import annotations

import io
import re
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from console.core.policy.source_map import parse_yaml, plain, round_trip_yaml

#: (mapping indent, sequence indent, dash offset): what ``save.dump_policy`` writes, for new files.
Layout = tuple[int, int, int]
DEFAULT_LAYOUT: Layout = (2, 4, 2)
_KEY_LINE = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")
_DASH_LINE = re.compile(r"^( *)-( +)\S")


def guess_layout(text: str) -> Layout:
    """The indentation a hand-written file uses: the first nested mapping and the first nested list."""
    mapping: int | None = None
    offset: int | None = None
    sequence: int | None = None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for line, following in zip(lines, lines[1:]):
        parent = _KEY_LINE.match(line)
        if parent is None:
            continue
        depth = len(parent.group(1))
        indent = len(following) - len(following.lstrip(" "))
        dash = _DASH_LINE.match(following)
        if dash is not None and offset is None and indent >= depth:
            offset = indent - depth
            sequence = offset + 1 + len(dash.group(2))
        elif dash is None and mapping is None and indent > depth:
            mapping = indent - depth
        if mapping is not None and offset is not None:
            break
    if offset is None or sequence is None:
        offset, sequence = DEFAULT_LAYOUT[2], DEFAULT_LAYOUT[1]
    return (mapping or DEFAULT_LAYOUT[0], sequence, offset)


def dump_tree(tree: Any, layout: Layout = DEFAULT_LAYOUT) -> str:
    """``tree`` (ruamel containers or plain data) as block YAML in ``layout``."""
    yaml = round_trip_yaml()
    yaml.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


@lru_cache(maxsize=8)
def _baseline(original: str) -> tuple[str, Layout] | None:
    """The unedited file as ruamel dumps it, and the layout used (None when it does not parse cleanly)."""
    parsed = parse_yaml(original)
    if parsed.tree is None or parsed.problems:
        return None
    layout = guess_layout(original)
    return dump_tree(parsed.tree, layout), layout


def render(tree: Any, original: str = "") -> str:
    """The text to save for ``tree``, read from ``original``: the original wherever the edit left it alone."""
    base = _baseline(original) if original else None
    if base is None:
        return dump_tree(tree, guess_layout(original) if original else DEFAULT_LAYOUT)
    baseline, layout = base
    edited = keep_following_comments(baseline, dump_tree(tree, layout))
    newline = "\r\n" if "\r\n" in original else "\n"
    if newline != "\n":
        baseline, edited = baseline.replace("\n", newline), edited.replace("\n", newline)
    merged = keep_untouched(original, baseline, edited)
    if merged == edited:
        return edited
    check = parse_yaml(merged)
    return merged if not check.problems and check.data == plain(tree) else edited


def keep_following_comments(baseline: str, edited: str) -> str:
    """Put back the comment lines that end a removed entry: they are about what follows it.

    ruamel attaches a full-line comment to the entry *above* it, so removing ``max_cost_usd``
    would also remove the ``# Code route: agreed with finance`` written above the next route.
    """
    base, new = baseline.splitlines(keepends=True), edited.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, new, autojunk=False).get_opcodes():
        out.extend(new[j1:j2])
        if tag == "delete":
            tail = i2
            while tail > i1 and _is_comment_or_blank(base[tail - 1]):
                tail -= 1
            out.extend(base[tail:i2] if tail > i1 else [])
    return "".join(out)


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def keep_untouched(original: str, baseline: str, edited: str) -> str:
    """Apply the ``baseline`` → ``edited`` line changes to ``original``; ``edited`` when they cannot be placed.

    ``baseline`` is ``original`` as a dumper rewrote it; lines equal in both anchor each change.
    """
    if edited == baseline:
        return original
    if baseline == original:
        return edited
    source, base, new = (text.splitlines(keepends=True) for text in (original, baseline, edited))
    to_source: dict[int, int] = {}
    for start, at, size in SequenceMatcher(None, base, source, autojunk=False).get_matching_blocks():
        for step in range(size):
            to_source[start + step] = at + step
    out: list[str] = []
    cursor = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        span = _place(to_source, i1, i2, len(base), len(source))
        if span is None or span[0] < cursor:
            return edited
        out.extend(source[cursor : span[0]])
        out.extend(new[j1:j2])
        cursor = span[1]
    out.extend(source[cursor:])
    return "".join(out)


def _place(to_source: dict[int, int], start: int, stop: int, base_size: int, source_size: int) -> tuple[int, int] | None:
    """Where baseline lines ``start:stop`` are in the original (an empty span for an insertion)."""
    if stop > start:
        mapped = [to_source.get(index) for index in range(start, stop)]
        first = mapped[0]
        if first is None or mapped != list(range(first, first + len(mapped))):
            return None
        return first, first + len(mapped)
    # An insertion before baseline line ``start``: anchor on that line, or just after the one before it.
    if start < base_size and start in to_source:
        return to_source[start], to_source[start]
    if start == 0:
        return 0, 0
    if start - 1 in to_source:
        after = to_source[start - 1] + 1
        return after, after
    if start == base_size:
        return source_size, source_size
    return None
