"""Where the demo policy is: next to the package in a source checkout, or installed as data."""

from __future__ import annotations

import sys
from pathlib import Path

DEMO_NAME = "demo.yaml"


def demo_policy_path() -> Path | None:
    """The bundled demo policy, or None when this build has none."""
    checkout = Path(__file__).resolve().parents[2] / "policies" / DEMO_NAME
    if checkout.is_file():
        return checkout
    for prefix in (Path(sys.prefix), Path(sys.base_prefix)):
        installed = prefix / "share" / "routedesk" / "policies" / DEMO_NAME
        if installed.is_file():
            return installed
    return None
