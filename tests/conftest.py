"""Suite-wide set-up: a private data dir, offscreen Qt, the real-part fixtures, no leaked threads.

The fixtures that start real parts live in ``tests/support`` and are imported here so every test
can ask for them by name: ``keyring_session`` (gnome-keyring on a private D-Bus) and
``llama_server`` (``python -m llama_cpp.server`` with the demo GGUF).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Iterator

import pytest

# Set before any test module imports Qt; a developer's explicit choice still wins.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.keyring_daemon import keyring_session  # noqa: E402,F401 - fixtures re-exported by name
from tests.support.llama_server import llama_server  # noqa: E402,F401

THREAD_GRACE_S = 2.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_threads: the test may leave non-daemon threads running")


@pytest.fixture(scope="session", autouse=True)
def routedesk_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Point ROUTEDESK_HOME at a temp dir for the whole run: tests never touch the user's data."""
    home = str(tmp_path_factory.mktemp("routedesk-home"))
    saved = os.environ.get("ROUTEDESK_HOME")
    os.environ["ROUTEDESK_HOME"] = home
    yield home
    if saved is None:
        os.environ.pop("ROUTEDESK_HOME", None)
    else:
        os.environ["ROUTEDESK_HOME"] = saved


@pytest.fixture(autouse=True)
def no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a non-daemon thread running (napari's rule); a short grace to finish."""
    before = set(threading.enumerate())
    yield
    if request.node.get_closest_marker("allow_threads"):
        return
    deadline = time.monotonic() + THREAD_GRACE_S
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    while leftover and time.monotonic() < deadline:
        leftover[0].join(timeout=max(0.0, deadline - time.monotonic()))
        leftover = [t for t in leftover if t.is_alive()]
    assert not leftover, f"test left threads running: {[t.name for t in leftover]}"
