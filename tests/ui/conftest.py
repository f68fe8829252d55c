"""Fixtures for the window's tests: offscreen Qt, a private data dir, and no stray threads.

A test that leaves a thread running fails (napari does the same): the engine thread must be
joined when its bridge shuts down.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.threads import leftover_threads

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLE_POLICY = Path(__file__).with_name("sample_policy.yaml")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform says this whenever a top-level window is shown; it is not our warning.
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


def require_or_skip(reason: str) -> None:
    """Skip locally when a real part is missing; fail under CI, where it must be present."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ROUTEDESK_HOME and its own QSettings location."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ROUTEDESK_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home / "config"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "config"))
    return home


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = leftover_threads(before)  # daemon threads too: a bridge's engine thread, a ledger writer
    leftover += [t.name for t in threading.enumerate() if t.name == "engine" and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    target = tmp_path / "sample.yaml"
    shutil.copyfile(SAMPLE_POLICY, target)
    return target


@pytest.fixture
def bridge(qtbot):  # type: ignore[no-untyped-def]
    from console.ui.engine_bridge import EngineBridge

    engine_bridge = EngineBridge()
    yield engine_bridge
    engine_bridge.shutdown()
