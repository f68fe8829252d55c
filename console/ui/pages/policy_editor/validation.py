"""What will be saved, and what ``routedesk validate`` says about it.

The editor's YAML view, its diff and its problem markers all come from here, so the text the
user sees is the text that is saved and the diagnostics are the CLI's own (``load_policy_text``
over that text). A document read from a file is saved as that file with only the edited lines
changed (``console.core.policy.round_trip``): comments, order and quoting stay. A new document is
saved canonically (``dump_policy``). A document that does not validate yet is shown as the YAML of
its data, so the diagnostics still point at lines the user can see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.ui.pages.policy_editor.document import DocPath


@dataclass
class Validation:
    """The outcome of validating a document.

    Attributes:
        text: the YAML that saving would write (or the document's plain YAML when it is invalid).
        diagnostics: ``console.core.policy.diagnostics.Diagnostic`` objects, in file order.
        policy: the validated Policy, or None while errors remain.
    """

    text: str
    diagnostics: list[Any] = field(default_factory=list)
    policy: Any = None

    @property
    def errors(self) -> list[Any]:
        return [d for d in self.diagnostics if getattr(d, "severity", "error") == "error"]


def plain_yaml(data: dict[str, Any]) -> str:
    from console.core.policy.round_trip import dump_tree

    return dump_tree(data)


def validate_document(data: dict[str, Any], filename: str = "<policy>", original: str = "") -> Validation:
    """Validate ``data`` exactly as the CLI would validate the file it would save.

    ``original`` is the file's text as read: when given, the saved text is that text with only the
    edited lines changed.
    """
    from console.core.policy.loader import load_policy_text
    from console.core.policy.round_trip import render
    from console.core.policy.save import dump_policy
    from console.core.policy.schema import Policy

    if original:
        text = render(data, original)
    else:
        try:
            text = dump_policy(Policy.model_validate(data))
        except Exception:  # noqa: BLE001 - invalid documents are expected; the loader explains them
            text = plain_yaml(data)
    result = load_policy_text(text, filename)
    return Validation(text, list(result.diagnostics), result.policy)


def path_text(path: DocPath) -> str:
    """A document path in the diagnostics' own notation (``models["gpt-4.1"].prices.input``)."""
    from console.core.policy.diagnostics import format_path

    return format_path(path)


def problems_under(diagnostics: list[Any], path: DocPath, exact: bool = False) -> list[Any]:
    """Diagnostics about ``path`` (and, unless ``exact``, about anything inside it)."""
    if not path:
        return [] if exact else list(diagnostics)
    prefix = path_text(path)
    found = []
    for diagnostic in diagnostics:
        where = diagnostic.path
        if where == prefix or (not exact and where.startswith((prefix + ".", prefix + "["))):
            found.append(diagnostic)
    return found


def parse_path(text: str) -> DocPath:
    """``routes.routine.candidates[1]`` / ``models["gpt-4.1"].prices`` → a document path tuple."""
    import re

    parts: list[str | int] = []
    for match in re.finditer(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[\]]+)', text):
        quoted, number, word = match.groups()
        parts.append(quoted if quoted is not None else int(number) if number is not None else word)
    return tuple(parts)
