"""The command palette (Ctrl+K, Ctrl+Shift+P): every command and page by name, filtered as you type.

Operators coming from editors expect it. Commands are the window's own QActions (so a command's
shortcut and enabled state are the menu's), plus one "Go to" entry per page. The filter is a
fuzzy subsequence match: "sva" finds "Save as…"; tighter and earlier matches rank first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout


SHORTCUT_MARK = "   ·   "  # between a command and its shortcut (a list row draws no tab stops)


@dataclass(frozen=True)
class Command:
    """One palette entry: what it is called, its shortcut (shown, not bound here), what it does."""

    title: str
    run: Callable[[], Any]
    shortcut: str = ""
    enabled: bool = True


def fuzzy_score(query: str, title: str) -> float | None:
    """How well ``query``'s letters appear in order in ``title`` (higher is better); None: they do not."""
    query, title = query.lower().replace(" ", ""), title.lower()
    if not query:
        return 0.0
    position, score, previous = 0, 0.0, -2
    for letter in query:
        found = title.find(letter, position)
        if found < 0:
            return None
        score += 3.0 if found == previous + 1 else 1.0  # runs of adjacent letters count more
        if found == 0 or not title[found - 1].isalnum():
            score += 2.0  # the start of a word
        previous, position = found, found + 1
    return score - 0.01 * len(title)


def filter_commands(query: str, commands: Sequence[Command]) -> list[Command]:
    scored = [(fuzzy_score(query, command.title), index, command) for index, command in enumerate(commands)]
    matches = [(score, index, command) for score, index, command in scored if score is not None]
    matches.sort(key=lambda entry: (-entry[0], entry[1]))  # type: ignore[operator]
    return [command for _score, _index, command in matches]


class CommandPalette(QDialog):
    """A filter box over the commands; Enter runs the highlighted one, Escape closes."""

    def __init__(self, commands: Sequence[Command], parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("command-palette")
        self.setWindowTitle("Commands")
        self.commands = list(commands)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Type a command or a page…")
        self.query.textChanged.connect(self._refill)
        self.query.installEventFilter(self)
        self.list = QListWidget()
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.count = QLabel()
        self.count.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        layout.addWidget(self.count)
        self.resize(560, 420)
        self._refill("")

    def shown(self) -> list[str]:
        return [self.list.item(row).text().split(SHORTCUT_MARK)[0] for row in range(self.list.count())]

    def _refill(self, text: str) -> None:
        self.list.clear()
        for command in filter_commands(text, self.commands):
            item = QListWidgetItem(f"{command.title}{SHORTCUT_MARK}{command.shortcut}" if command.shortcut else command.title)
            item.setData(Qt.ItemDataRole.UserRole, command)
            if not command.enabled:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        first = next((row for row in range(self.list.count()) if self.list.item(row).flags() & Qt.ItemFlag.ItemIsEnabled), -1)
        self.list.setCurrentRow(first)
        self.count.setText(f"{self.list.count()} of {len(self.commands)} commands · Enter runs · Esc closes")

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt name
        # Arrow keys move the highlight while the cursor stays in the filter box.
        if watched is self.query and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if event.key() == Qt.Key.Key_Down else -1
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, self.list.currentRow() + step)))
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
        return super().eventFilter(watched, event)

    def run_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._on_list_item_activated(item)

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        command = item.data(Qt.ItemDataRole.UserRole)
        if command is None or not command.enabled:
            return
        self.accept()
        command.run()
