"""The list of recently opened policy files, kept in the data directory (not QSettings)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

MAX_RECENT = 10


def _store() -> Path:
    from console.core.paths import data_dir

    return data_dir() / "recent-policies.json"


def recent_files() -> list[Path]:
    try:
        names = json.loads(_store().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(name) for name in names if isinstance(name, str)]


def remember(path: Path) -> list[Path]:
    """Put ``path`` first in the list and save it atomically."""
    paths = [path.resolve()] + [p for p in recent_files() if p != path.resolve()]
    paths = paths[:MAX_RECENT]
    target = _store()
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp")
    with handle:
        json.dump([str(p) for p in paths], handle)
    os.replace(handle.name, target)
    return paths
