r"""Regular expressions from a policy, run by RE2: matching time is linear in the text, whatever the pattern.

Rule regexes and keywords run on every prompt, and ``confidence.validator_regex`` on every
answer, on the endpoint's event loop. With a backtracking engine (Python's ``re``) one rule such
as ``(a+)+$`` lets a 30-character prompt stall every client for seconds (catastrophic
backtracking, CWE-1333). RE2 (Google's engine, through its own ``google-re2`` binding) never
backtracks, so no prompt can cost more than linear time. The price is that RE2 cannot run
backreferences, lookarounds, atomic groups or possessive quantifiers: ``refusal`` explains each
one so ``routedesk validate`` can say what to write instead. One difference in meaning: RE2's
``\d``, ``\w``, ``\s`` and ``\b`` are ASCII-only (Python's are Unicode); ``\pL`` and ``\pN``
match letters and digits of every script.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2  # google-re2 ships no type hints: [tool.mypy] overrides treat it as Any

#: What RE2 refuses that Python's re accepts, and what to write instead.
_UNSUPPORTED = (
    (re.compile(r"\\[1-9]|\(\?P=|\\g<"), "a backreference",
     "RE2 cannot refer back to a group; write the repeated text out, or split the test into an all: of two rules"),
    (re.compile(r"\(\?<?[=!]"), "a lookahead or lookbehind",
     "RE2 has no lookarounds; match the text itself, and put what must not be there in a not: condition"),
    (re.compile(r"\(\?>|[*+?}]\+"), "an atomic group or possessive quantifier",
     "RE2 never backtracks, so a plain group or quantifier already behaves this way"),
    (re.compile(r"\(\?\("), "a conditional group", "write each case as its own rule, under any:"),
    (re.compile(r"\\Z"), "\\Z", "RE2 writes the end of the text as \\z"),
)


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why and what to use instead."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (cached); PatternError when RE2 cannot run it."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as error:
        raise PatternError(refusal(pattern, error)) from None


def refusal(pattern: str, error: Exception | None = None) -> str:
    """Why RE2 refuses ``pattern``, in words a policy author can act on."""
    for construct, name, advice in _UNSUPPORTED:
        if construct.search(pattern):
            return f"uses {name}, which the linear-time regex engine (RE2) cannot run: {advice}"
    detail = error.args[0] if error is not None and error.args else "not a valid regular expression"
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return f"regex does not compile: {detail}"


def check_pattern(pattern: str) -> str | None:
    """None when RE2 can run ``pattern``, else why not."""
    try:
        compile_pattern(pattern)
    except PatternError as error:
        return str(error)
    return None


def search(pattern: str, text: str) -> Any:
    """The first match of ``pattern`` in ``text`` (RE2, linear time), or None."""
    return compile_pattern(pattern).search(text)


# Python's \w is Unicode-aware and RE2's \b is ASCII-only, so keyword edges are spelled out:
# a keyword that starts (ends) with a letter or digit must not touch another one (so "C++" still matches).
_WORD = r"\pL\pN_"


@lru_cache(maxsize=1024)
def keyword_pattern(keywords: tuple[str, ...]) -> Any:
    """One RE2 pattern finding any of ``keywords`` as whole words, ignoring case.

    Keywords are grouped by which edges need a word boundary, so a rule of hundreds of keywords
    still holds only a few copies of the (large) Unicode letter classes; each group is captured.
    """
    groups: dict[tuple[bool, bool], list[str]] = {}
    for word in keywords:
        groups.setdefault((word[:1].isalnum(), word[-1:].isalnum()), []).append(re2.escape(word))
    parts = []
    for (left, right), words in groups.items():
        parts.append((f"(?:^|[^{_WORD}])" if left else "") + f"({'|'.join(words)})" + (f"(?:[^{_WORD}]|$)" if right else ""))
    return compile_pattern("(?i)(?:" + "|".join(parts) + ")")


def keyword_hit(keywords: tuple[str, ...], text: str) -> str | None:
    """The first keyword found in ``text`` as written there, or None."""
    if not keywords:
        return None
    hit = keyword_pattern(keywords).search(text)
    if hit is None:
        return None
    return str(next(group for group in hit.groups() if group is not None))
