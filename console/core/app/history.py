"""Import a history (JSONL/CSV of past prompts and answers) into the log, for pilots to run on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.core.pilot.history_file import HistoryFileError, read_history

if TYPE_CHECKING:
    from console.core.pilot.importer import ImportSummary

__all__ = ["HistoryFileError", "import_history_file", "read_history"]


def import_history_file(url: str | None, history: object, *, name: str, task: str) -> "ImportSummary":
    """Store a read history (``read_history``) as dataset ``name`` of ``task``; raise app.log.LogError."""
    from console.core.app.log import open_log_for_writing
    from console.core.pilot.importer import import_history

    db = open_log_for_writing(url)
    try:
        return import_history(db, history, dataset=name, task=task)  # type: ignore[arg-type]
    finally:
        db.dispose()

