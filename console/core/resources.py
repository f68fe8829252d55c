"""Where Routedesk's own shipped files are: resources/, policies/ and the bundled demo model.

The one place that knows the three ways Routedesk can be laid out on disk:
- a frozen app (PyInstaller sets ``sys.frozen`` and ``sys._MEIPASS``, the folder holding the bundled
  ``resources/``, ``policies/``, ``models/`` and ``build-info.json``);
- a source checkout (``resources/`` and ``policies/`` next to the ``console`` package);
- an installed wheel (``console.resources`` package data, policies under ``<prefix>/share/routedesk``).
Callers ask here instead of walking up from ``__file__``. Nothing is read or created at import time.
"""

from __future__ import annotations

import importlib.resources
import sys
from importlib.resources.abc import Traversable
from pathlib import Path

DEMO_POLICY = "demo.yaml"
#: a file every resources/ folder carries, used to tell a real one from an empty package
RESOURCES_MARKER = "prices.yaml"
BUILD_INFO_FILE = "build-info.json"


def frozen_root() -> Path | None:
    """The unpacked bundle folder of a frozen app (PyInstaller's ``sys._MEIPASS``), else None."""
    if not getattr(sys, "frozen", False):
        return None
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else Path(sys.executable).resolve().parent


def checkout_root() -> Path:
    """The folder above the ``console`` package (the repository root in a source checkout)."""
    import console

    return Path(console.__file__).resolve().parent.parent


def resources_dir() -> Traversable:
    """The ``resources/`` folder: the frozen bundle's, the wheel's ``console.resources``, or the checkout's."""
    frozen = frozen_root()
    if frozen is not None:
        return frozen / "resources"
    try:
        packaged = importlib.resources.files("console.resources")
        if packaged.joinpath(RESOURCES_MARKER).is_file():
            return packaged
    except ModuleNotFoundError:
        pass
    return checkout_root() / "resources"


def resource_path(*parts: str) -> Path:
    """A file under ``resources/`` as a real path (Qt and llama.cpp need paths, not Traversables)."""
    return Path(str(resources_dir().joinpath(*parts)))


def policies_dirs() -> list[Path]:
    """Folders that may hold the example policies, most specific first."""
    frozen = frozen_root()
    if frozen is not None:
        return [frozen / "policies"]
    found = [checkout_root() / "policies"]
    for prefix in dict.fromkeys((Path(sys.prefix), Path(sys.base_prefix))):
        found.append(prefix / "share" / "routedesk" / "policies")
    return found


def example_policy_path(name: str = DEMO_POLICY) -> Path | None:
    """An example policy shipped with Routedesk (the demo by default), or None when this build has none."""
    for folder in policies_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def bundled_model_file(filename: str) -> Path | None:
    """A GGUF file frozen into the app under ``models/`` (None outside a frozen app or when absent)."""
    frozen = frozen_root()
    if frozen is None:
        return None
    candidate = frozen / "models" / filename
    return candidate if candidate.is_file() else None


def build_info_file() -> Path | None:
    """``build-info.json`` written by the packaging build into the frozen bundle (None elsewhere)."""
    frozen = frozen_root()
    if frozen is None:
        return None
    candidate = frozen / BUILD_INFO_FILE
    return candidate if candidate.is_file() else None
