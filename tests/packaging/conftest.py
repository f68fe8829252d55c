"""Fixtures for the packaging tests: a private data dir and QSettings location, the packaging scripts as modules.

The scripts under packaging/ are not a package; ``load_packaging_module`` imports one by path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]


def load_packaging_module(relative: str) -> ModuleType:
    path = ROOT / "packaging" / relative
    name = "routedesk_packaging_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform says this whenever a top-level window is shown; it is not our warning.
    for item in items:
        if "tests/packaging/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Its own ROUTEDESK_HOME and QSettings location, so window geometry never lands in the real config."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ROUTEDESK_HOME", str(home))
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home / "config"))
    return home
