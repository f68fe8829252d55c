"""Where Routedesk keeps the user's things: the log, local models, settings, copies of the examples.

``ROUTEDESK_HOME`` overrides the platform's data directory (tests and portable installs use it);
``ROUTEDESK_LOG_URL`` names another routing log (a team's PostgreSQL one).
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
    """``$ROUTEDESK_LOG_URL`` when set (a team's shared PostgreSQL log: the window's dashboards,
    replay and review then read the team's traffic), else the SQLite log in the data directory."""
    shared = os.environ.get("ROUTEDESK_LOG_URL", "").strip()
    return shared or f"sqlite:///{data_dir() / 'routedesk-log.sqlite3'}"


def examples_dir() -> Path:
    """Where the user's copies of the shipped example policies live (``<data dir>/examples``)."""
    path = data_dir() / "examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def example_copy(name: str = "demo.yaml") -> Path | None:
    """The user's own copy of the shipped example policy ``name``, made on first ask.

    The shipped file belongs to the installation (perhaps read-only, shared by every user, replaced
    on upgrade), so it is never opened for editing: the window edits this copy. Once made, the copy
    is the user's and is never overwritten, so their edits survive. None when this build ships no
    such example; OSError (DataDirError) when the data directory cannot take the copy.
    """
    from console.core.resources import example_policy_path

    target = examples_dir() / name
    if target.is_file():
        return target
    source = example_policy_path(name)
    if source is None:
        return None
    partial = target.with_name(f".{name}.partial")
    partial.write_bytes(source.read_bytes())
    os.replace(partial, target)  # atomic: a crash never leaves a half-copied example behind
    return target


def shipped_example_name(path: Path) -> str | None:
    """The example's name when ``path`` is one of the shipped example policies (not a user's copy)."""
    from console.core.resources import example_policy_path

    shipped = example_policy_path(path.name)
    if shipped is None:
        return None
    try:
        return path.name if path.resolve() == shipped.resolve() else None
    except OSError:
        return None


def is_example_copy(path: Path | None) -> bool:
    """Whether ``path`` is one of the user's copies of a shipped example (in ``examples_dir()``)."""
    if path is None:
        return False
    try:
        return path.resolve().parent == (data_dir() / "examples").resolve()
    except OSError:
        return False
