"""Located problems found in a policy file, and the exception that carries them.

A ``Diagnostic`` says where (file, line, column, field path), what was found, what was expected
and how bad it is. Everything that reads a policy reports through these, so ``routedesk validate``,
the window's editor and the Engine all show the same words for the same mistake.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Literal, Sequence

Severity = Literal["error", "warning"]

#: A field path as a tuple: ``("routes", "routine", "candidates", 1)``.
PathTuple = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def format_path(path: Sequence[object]) -> str:
    """``("routes", "routine", "candidates", 1)`` → ``routes.routine.candidates[1]``.

    Keys that are not plain words (aliases such as ``gpt-4.1``) are quoted so the dots in them
    cannot be mistaken for nesting: ``models["gpt-4.1"].prices``.
    """
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f'["{part}"]'
    return text


def did_you_mean(found: object, choices: Iterable[object]) -> str | None:
    """The closest of ``choices`` to ``found``, when one is close enough to be a likely typo."""
    options = [str(choice) for choice in choices]
    text = str(found)
    by_case = [option for option in options if option.lower() == text.lower() and option != text]
    if by_case:
        return by_case[0]
    matches = difflib.get_close_matches(text, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one policy file.

    Attributes:
        file: the file name as the user gave it (or ``<policy>`` for a policy built in memory).
        line, column: 1-based position, or ``None`` when the problem has no place in the text.
        path: the field path, e.g. ``routes.routine.candidates[1]`` ("" for the whole file).
        message: what is wrong, naming what was found.
        found, expected: the offending value and what would have been accepted, as text.
        severity: ``error`` stops the policy from loading; ``warning`` does not.
        suggestion: a did-you-mean, when one is close.
        code: a short stable name of the kind of problem (``unknown-model``), for tests and tools.
    """

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    found: str | None = None
    expected: str | None = None
    severity: Severity = "error"
    suggestion: str | None = None
    code: str = "invalid"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self) -> str:
        """``file:line:col: error: routes.routine.candidates[1]: unknown model 'gpt5' (did you mean 'gpt-5'?)``."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        if self.expected and self.expected not in self.message:
            text += f"; expected {self.expected}"
        return text

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.line if self.line is not None else 0, self.column or 0, 0 if self.is_error else 1, self.path)


class PolicyLoadError(Exception):
    """A policy could not be loaded; ``diagnostics`` holds every problem found, located."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(diagnostic.format() for diagnostic in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.is_error]


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(diagnostic.is_error for diagnostic in diagnostics)
