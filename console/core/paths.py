"""Where Routedesk keeps the user's things: the log, local models, settings.

``ROUTEDESK_HOME`` overrides the platform's data directory (tests and portable installs use it).
Nothing is created at import time. The data directory is private (0700): the routing log in it may
hold prompts.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "routedesk"


class DataDirError(OSError):
    """The data directory cannot be used (a file is in the way, no permission, read-only disk)."""


def data_dir() -> Path:
    """The user's Routedesk data directory (created on first use); DataDirError says why it can't be."""
    override = os.environ.get("ROUTEDESK_HOME")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    try:
        private_dir(path, tighten=True)
    except OSError as err:
        raise DataDirError(f"Routedesk's data directory {path} is not usable: {err.strerror or err}") from None
    return path


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create ``path`` readable by its owner only (0700); with ``tighten`` an existing one we own too.

    Only the last directory is made private: its parents may be shared (a home directory). An
    existing directory is tightened only when it is Routedesk's own (the data directory), never a
    folder a user pointed ``--db`` into.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if tighten and os.name == "posix":
        info = path.stat()
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            try:
                path.chmod(0o700)
            except OSError:
                pass  # a read-only file system: reading still works
    return path


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_log_url() -> str:
    return f"sqlite:///{data_dir() / 'routedesk-log.sqlite3'}"
