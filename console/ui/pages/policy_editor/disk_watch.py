"""Notices when the open policy file changes on disk, so the editor can offer reload or keep-mine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, Signal


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


class DiskWatch(QObject):
    """Watches one file; editors that save atomically replace it, so the path is re-added each time.

    Signals:
        sig_file_changed(str): the file's new text differs from what we last read or wrote.
    """

    sig_file_changed = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_watcher_file_changed)
        self._path: Path | None = None
        self.known_text = ""

    def watch(self, path: Path | None, known_text: str) -> None:
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        self._path, self.known_text = path, known_text
        if path is not None and path.exists():
            self._watcher.addPath(str(path))

    def check_now(self) -> None:
        """Compare the file with what we know (also used before saving)."""
        self._on_watcher_file_changed(str(self._path) if self._path else "")

    def _on_watcher_file_changed(self, _name: str) -> None:
        if self._path is None:
            return
        if str(self._path) not in self._watcher.files() and self._path.exists():
            self._watcher.addPath(str(self._path))
        text = read_text(self._path)
        if text is not None and text != self.known_text:
            self.known_text = text
            self.sig_file_changed.emit(text)
