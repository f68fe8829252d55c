"""Syntax colours for the YAML view and the pending diff: keys, comments, strings, numbers; added/removed lines.

Line-based regular expressions are enough for the YAML the editor writes (block style, one key
per line). Colours are mid-tones readable on the light and the dark palette alike.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat


def _format(colour: str, *, bold: bool = False, italic: bool = False, tint: bool = False) -> QTextCharFormat:
    made = QTextCharFormat()
    made.setForeground(QColor(colour))
    if bold:
        made.setFontWeight(QFont.Weight.DemiBold)
    made.setFontItalic(italic)
    if tint:  # the same hue, faint, behind the line (QColor's "#..." strings put alpha first: say it plainly)
        background = QColor(colour)
        background.setAlpha(38)
        made.setBackground(background)
    return made


KEY = re.compile(r"^(\s*-?\s*)([^\s:#'\"][^:#]*?|'[^']*'|\"[^\"]*\")(:)(\s|$)")
COMMENT = re.compile(r"(^|\s)(#.*)$")
STRING = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
WORD = re.compile(r"(?<![\w-])(true|false|null|yes|no|all)(?![\w-])")


class YamlHighlighter(QSyntaxHighlighter):
    """Colours one YAML document."""

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self.formats = {
            "key": _format("#3b7dd8", bold=True), "comment": _format("#7f8a96", italic=True),
            "string": _format("#2f9e6e"), "number": _format("#c7771c"), "word": _format("#a45fc7"),
        }

    def highlightBlock(self, text: str) -> None:
        comment = COMMENT.search(text)
        code_end = comment.start(2) if comment else len(text)
        for kind, pattern in (("string", STRING), ("number", NUMBER), ("word", WORD)):
            for match in pattern.finditer(text, 0, code_end):
                self.setFormat(match.start(), match.end() - match.start(), self.formats[kind])
        key = KEY.match(text)
        if key and key.start(2) < code_end:
            self.setFormat(key.start(2), key.end(2) - key.start(2), self.formats["key"])
        if comment:
            self.setFormat(comment.start(2), len(text) - comment.start(2), self.formats["comment"])


class DiffHighlighter(QSyntaxHighlighter):
    """Colours a unified diff: added lines green, removed lines red, hunk headers muted."""

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self.formats = {
            "+": _format("#2e8b57", tint=True), "-": _format("#c9473d", tint=True),
            "@": _format("#7f8a96", italic=True),
        }

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---")):
            self.setFormat(0, len(text), self.formats["@"])
        elif text[:1] in self.formats:
            self.setFormat(0, len(text), self.formats[text[:1]])
