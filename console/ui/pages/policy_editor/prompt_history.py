"""The prompts tried in Try it this session, newest first, so one can be sent again in a click.

Kept in memory only: prompt text reaches disk (the routing log) only when the user opted in to
storing prompts, and a history file would quietly bypass that choice.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TRIED = 25


@dataclass(frozen=True)
class TriedPrompt:
    """One prompt as it was sent: its text, metadata and task hint fields."""

    prompt: str
    metadata: str = ""
    task_hint: str = ""

    @property
    def label(self) -> str:
        """One line for a menu: the prompt's first line, shortened, with what else was set."""
        first = " ".join(self.prompt.split())
        first = first if len(first) <= 60 else first[:59] + "…"
        extras = ", ".join(part for part in (self.metadata, self.task_hint and f"task {self.task_hint}") if part)
        return f"{first}  [{extras}]" if extras else first


class PromptHistory:
    """Newest first, without repeats; a repeat moves to the front."""

    def __init__(self, limit: int = MAX_TRIED) -> None:
        self._limit = limit
        self._items: list[TriedPrompt] = []

    def add(self, tried: TriedPrompt) -> None:
        if not tried.prompt.strip():
            return
        self._items = [tried] + [item for item in self._items if item != tried]
        del self._items[self._limit :]

    def items(self) -> list[TriedPrompt]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)
