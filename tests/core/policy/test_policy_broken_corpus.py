"""Every file in broken/ must fail to load with the error its first line announces, and never raise.

A corpus file starts with ``# expect: LINE PATH FRAGMENT``: the 1-based line of the mistake, the
field path the error names (``-`` for a whole-file problem) and words the message must contain.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.core.policy.loader import load_policy

BROKEN = Path(__file__).parent / "broken"
EXPECT = re.compile(rb"^# expect: (?P<line>\d+|-) (?P<path>\S+)(?: (?P<fragment>.*))?$")
CORPUS = sorted(BROKEN.glob("*.yaml"))


def _expectation(path: Path) -> tuple[int | None, str, str]:
    first = path.read_bytes().split(b"\n", 1)[0]
    match = EXPECT.match(first)
    assert match, f"{path.name}: first line must be '# expect: LINE PATH FRAGMENT'"
    line = None if match["line"] == b"-" else int(match["line"])
    field = "" if match["path"] == b"-" else match["path"].decode()
    return line, field, (match["fragment"] or b"").decode().strip()


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 45


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_broken_policy_yields_located_error(path: Path) -> None:
    line, field, fragment = _expectation(path)
    result = load_policy(path)
    assert result.policy is None
    assert not result.ok
    errors = result.errors
    shown = "\n".join(d.format() for d in result.diagnostics)
    matching = [
        d for d in errors
        if d.path == field and (line is None or d.line == line) and fragment.lower() in d.format().lower()
    ]
    assert matching, f"expected an error at line {line} on '{field}' mentioning {fragment!r}; got:\n{shown}"
    for diagnostic in errors:
        assert diagnostic.file == str(path)
        assert diagnostic.line is not None and diagnostic.line >= 1, diagnostic
        assert diagnostic.column is not None and diagnostic.column >= 1, diagnostic
