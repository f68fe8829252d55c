"""Suite-wide set-up: a private data dir, offscreen Qt, the real-part fixtures, no leaked threads.

The fixtures that start real parts live in ``tests/support`` and are imported here so every test
can ask for them by name: ``keyring_session`` (gnome-keyring on a private D-Bus) and
``llama_server`` (``python -m llama_cpp.server`` with the demo GGUF).
"""

from __future__ import annotations

import os
import threading
from typing import Iterator

import pytest

# Set before any test module imports Qt; a developer's explicit choice still wins.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A developer's team log (README "Team") must never receive the tests' traffic.
os.environ.pop("ROUTEDESK_LOG_URL", None)

from tests.support.keyring_daemon import keyring_session  # noqa: E402,F401 - fixtures re-exported by name
from tests.support.llama_server import llama_server  # noqa: E402,F401
from tests.support.threads import leftover_threads  # noqa: E402



def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_threads: the test may leave threads running")


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
    """Fail a test that leaves a thread running, daemon or not (napari's rule); a short grace to finish."""
    before = set(threading.enumerate())
    yield
    if request.node.get_closest_marker("allow_threads"):
        return
    leftover = leftover_threads(before)
    assert not leftover, f"test left threads running: {leftover}"
