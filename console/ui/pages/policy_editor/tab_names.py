"""Tab names that tell policies apart: two ``demo.yaml`` tabs show as much of their folders as differs."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def distinct_names(paths: Sequence[Path | None], fallbacks: Sequence[str]) -> list[str]:
    """A name per path: the file name, plus the shortest tail of its folder that no other same-named path shares.

    ``fallbacks`` name the unsaved documents (``path`` None), one per path.
    """
    names = [path.name if path is not None else fallback for path, fallback in zip(paths, fallbacks)]
    for index, path in enumerate(paths):
        if path is None:
            continue
        rivals = [other for other in paths if other is not None and other != path and other.name == path.name]
        if not rivals:
            continue
        folders = path.parent.parts
        for depth in range(1, len(folders) + 1):
            tail = folders[-depth:]
            if all(other.parent.parts[-depth:] != tail for other in rivals):
                break
        names[index] = f"{path.name} — {'/'.join(tail) or '/'}"
    return names
