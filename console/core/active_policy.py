"""The active policy: which saved policy the pages that use one (side by side, pilot, budgets) follow.

A plain object that announces its changes, as napari's evented models do
(``napari/utils/events/evented_model.py``): the policy editor sets it when the policy in front
changes or is saved, and each page subscribes. No Qt here; the window wraps it in a thin Qt
adapter (``console.ui.active_policy_signal``) so pages can take it as a signal.

A page with results keeps the choice its results came from and only offers the new one
(``PolicyFollower``): inputs are never swapped under results.

It sits beside ``console.core.app`` rather than in it because the window needs it before its first
paint, and importing that package loads every use case (~0.5 s); it imports nothing of the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

Listener = Callable[["PolicyChoice"], None]


@dataclass(frozen=True)
class PolicyChoice:
    """One policy as pages use it: the saved file, the policy read from it, and a label for people.

    ``policy`` is None when the file has errors or was never saved (``path`` None): pages then keep
    what they had and say why.
    """

    path: Path | None
    policy: Any
    label: str

    @property
    def usable(self) -> bool:
        return self.policy is not None and self.path is not None


NO_POLICY = PolicyChoice(None, None, "no policy open")


class ActivePolicy:
    """The policy in front, announced to subscribers whenever it changes (equal choices are not re-announced)."""

    def __init__(self) -> None:
        self._current = NO_POLICY
        self._listeners: list[Listener] = []

    @property
    def current(self) -> PolicyChoice:
        return self._current

    def set(self, choice: PolicyChoice) -> None:
        if choice == self._current:
            return
        self._current = choice
        for listener in list(self._listeners):  # a listener may unsubscribe while being told
            listener(choice)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every change from now on; returns the function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


class PolicyFollower:
    """What one page does with the active policy: adopt it, or keep its own while it holds results.

    ``has_results`` says whether the page shows results computed from its current choice; while it
    does, a new choice is held as ``offered`` until the operator takes it (``take_offer``).
    """

    def __init__(self, has_results: Callable[[], bool]) -> None:
        self.has_results = has_results
        self.used: PolicyChoice = NO_POLICY
        self.offered: PolicyChoice | None = None

    def consider(self, choice: PolicyChoice) -> bool:
        """Adopt ``choice`` when the page may; True when it was adopted."""
        if not choice.usable:  # unsaved or with errors: nothing a page could run on
            return False
        if choice == self.used:  # back to what the page uses: nothing to offer any more
            self.offered = None
            return False
        if self.used.usable and self.has_results():
            self.offered = choice
            return False
        self.used, self.offered = choice, None
        return True

    def take_offer(self) -> PolicyChoice | None:
        offered, self.offered = self.offered, None
        if offered is not None:
            self.used = offered
        return offered
