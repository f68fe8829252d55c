"""Where Routedesk keeps the user's things: the log, local models, settings.

``ROUTEDESK_HOME`` overrides the platform's data directory (tests and portable installs use it).
Nothing is created at import time.
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
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataDirError(f"Routedesk's data directory {path} is not usable: {err.strerror or err}") from None
    return path


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_log_url() -> str:
    return f"sqlite:///{data_dir() / 'routedesk-log.sqlite3'}"
