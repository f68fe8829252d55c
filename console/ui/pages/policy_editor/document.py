"""The policy being edited: a nested mapping plus its file, announcing its own changes.

The mapping is the policy as YAML holds it (aliases such as ``not`` and ``json`` as keys), so an
unfinished edit that does not validate yet (an empty price, a route naming a model not written yet)
can still live in the document and be shown with its diagnostic. A document opened from a file
holds ruamel.yaml's commented containers (dict and list subclasses), which carry the file's
comments, key order and quoting through every edit, so saving rewrites only what was edited.
Qt item models only wrap this object; every change goes through
``console.ui.pages.policy_editor.commands`` so it can be undone.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

PathKey = str | int
DocPath = tuple[PathKey, ...]


class _Missing:
    """Marks a key that is absent (distinct from a value of None)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __copy__(self) -> "_Missing":
        return self

    def __deepcopy__(self, _memo: dict[int, Any]) -> "_Missing":
        return self  # commands deep-copy values; "absent" must stay the one sentinel


MISSING: Any = _Missing()
ChangeListener = Callable[[DocPath], None]


class PolicyDocument:
    """A policy's data, where it came from, and who wants to hear about changes.

    Attributes:
        data: the policy as a nested dict/list structure (YAML-shaped; ruamel's commented ones when read from a file).
        path: the file it was loaded from or saved to; None for a new policy.
        disk_text: the file's text when last loaded or saved (for diffs, change detection, and as the
            text that saving edits rather than rewrites).
    """

    def __init__(self, data: dict[str, Any], path: Path | None = None, disk_text: str = "") -> None:
        self.data = data
        self.path = path
        self.disk_text = disk_text
        self._listeners: list[ChangeListener] = []

    # --- listening ------------------------------------------------------------------------
    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: ChangeListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _announce(self, path: DocPath) -> None:
        for listener in list(self._listeners):
            listener(path)

    # --- reading --------------------------------------------------------------------------
    def get(self, path: DocPath, default: Any = MISSING) -> Any:
        node: Any = self.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return default
        return node

    def keys(self, path: DocPath) -> list[str]:
        node = self.get(path, {})
        return list(node) if isinstance(node, dict) else []

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    # --- writing (only commands call these) -----------------------------------------------
    def set(self, path: DocPath, value: Any) -> None:
        """Set ``path`` to ``value``; MISSING removes the key. Intermediate dicts are created."""
        parent = self._parent(path, create=value is not MISSING)
        key = path[-1]
        if value is MISSING:
            if isinstance(parent, dict):
                parent.pop(key, None)
                self._prune_empty(path[:-1])
        elif isinstance(parent, list):
            parent[int(key)] = value
        elif parent is not None:
            parent[key] = value
        self._announce(path)

    def insert(self, path: DocPath, index: int, value: Any) -> None:
        items = self.get(path)
        if not isinstance(items, list):
            items = []
            self.set(path, items)
        items.insert(index, value)
        self._announce(path)

    def pop(self, path: DocPath, index: int) -> Any:
        items = self.get(path)
        value = items.pop(index)
        self._announce(path)
        return value

    def move(self, path: DocPath, source: int, target: int) -> None:
        items = self.get(path)
        items.insert(target, items.pop(source))
        self._announce(path)

    def rename_key(self, path: DocPath, old: str, new: str) -> None:
        """Rename a mapping key in place, keeping its position (YAML order is the user's order)."""
        mapping = self.get(path)
        if hasattr(mapping, "insert") and hasattr(mapping, "ca"):
            # A ruamel CommentedMap: move the entry, and the comment written on its line, to the new name.
            position = list(mapping).index(old)
            comment = mapping.ca.items.pop(old, None)
            value = mapping.pop(old)
            mapping.insert(position, new, value)
            if comment is not None:
                mapping.ca.items[new] = comment
        else:
            renamed = {(new if key == old else key): value for key, value in mapping.items()}
            mapping.clear()
            mapping.update(renamed)
        self._announce(path)

    def replace_all(self, data: dict[str, Any]) -> None:
        self.data = data
        self._announce(())

    def _parent(self, path: DocPath, create: bool) -> Any:
        node: Any = self.data
        for part in path[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
                continue
            if part not in node or not isinstance(node[part], (dict, list)):
                if not create:
                    return None
                node[part] = {}
            node = node[part]
        return node

    def _prune_empty(self, path: DocPath) -> None:
        """Drop dicts that a removal left empty (``prices: {}`` means nothing the user wrote)."""
        while path:
            node = self.get(path)
            if isinstance(node, dict) and not node and isinstance(self.get(path[:-1]), dict):
                self.get(path[:-1]).pop(path[-1], None)
                path = path[:-1]
            else:
                break

