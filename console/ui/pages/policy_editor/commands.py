"""Undoable edits of a PolicyDocument: every change the editor makes is one of these.

Each command captures what it needs to undo at construction time, so redo/undo are exact inverses
and the QUndoStack alone decides the document's history.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument


def _label(path: DocPath) -> str:
    # The undo action reads "Undo: <this>": the field's words, not its path (undo_labels).
    from console.ui.pages.policy_editor.undo_labels import describe

    return describe(path)


class SetValue(QUndoCommand):
    """Set one field (MISSING removes it)."""

    def __init__(self, document: PolicyDocument, path: DocPath, value: Any, text: str | None = None) -> None:
        super().__init__(text or _label(path))
        self._document, self._path = document, path
        self._new = copy.deepcopy(value)
        self._old = copy.deepcopy(document.get(path))

    @property
    def changes_anything(self) -> bool:
        return self._new != self._old

    def redo(self) -> None:
        self._document.set(self._path, copy.deepcopy(self._new))

    def undo(self) -> None:
        self._document.set(self._path, copy.deepcopy(self._old))


class InsertItem(QUndoCommand):
    """Insert into a list (``index`` None appends)."""

    def __init__(self, document: PolicyDocument, path: DocPath, value: Any, index: int | None = None) -> None:
        super().__init__(f"add to {_label(path)}")
        self._document, self._path, self._value = document, path, copy.deepcopy(value)
        existing = document.get(path, [])
        self._index = len(existing) if index is None else index

    def redo(self) -> None:
        self._document.insert(self._path, self._index, copy.deepcopy(self._value))

    def undo(self) -> None:
        self._document.pop(self._path, self._index)


class RemoveItem(QUndoCommand):
    """Remove one entry of a list."""

    def __init__(self, document: PolicyDocument, path: DocPath, index: int) -> None:
        super().__init__(f"remove {_label(path + (index,))}")
        self._document, self._path, self._index = document, path, index
        self._value = copy.deepcopy(document.get(path)[index])

    def redo(self) -> None:
        self._document.pop(self._path, self._index)

    def undo(self) -> None:
        self._document.insert(self._path, self._index, copy.deepcopy(self._value))


class MoveItem(QUndoCommand):
    """Move a list entry (drag and drop of a route's candidates)."""

    def __init__(self, document: PolicyDocument, path: DocPath, source: int, target: int, text: str = "") -> None:
        super().__init__(text or f"reorder {_label(path)}")
        self._document, self._path, self._source, self._target = document, path, source, target

    def redo(self) -> None:
        self._document.move(self._path, self._source, self._target)

    def undo(self) -> None:
        self._document.move(self._path, self._target, self._source)


class RenameKey(QUndoCommand):
    """Rename a mapping key (a model alias, a provider, a task), keeping its place."""

    def __init__(self, document: PolicyDocument, path: DocPath, old: str, new: str) -> None:
        super().__init__(f"rename {old} to {new}")
        self._document, self._path, self._old, self._new = document, path, old, new

    def redo(self) -> None:
        self._document.rename_key(self._path, self._old, self._new)

    def undo(self) -> None:
        self._document.rename_key(self._path, self._new, self._old)


class ReplaceDocument(QUndoCommand):
    """Swap the whole policy (reload from disk, keep it undoable)."""

    def __init__(self, document: PolicyDocument, data: dict[str, Any], text: str = "Reload from disk") -> None:
        super().__init__(text)
        self._document = document
        self._old, self._new = document.snapshot(), copy.deepcopy(data)

    def redo(self) -> None:
        self._document.replace_all(copy.deepcopy(self._new))

    def undo(self) -> None:
        self._document.replace_all(copy.deepcopy(self._old))
