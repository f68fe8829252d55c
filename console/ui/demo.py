"""Where the demo policy is: next to the package in a source checkout, or installed as data."""

from __future__ import annotations

from pathlib import Path

DEMO_NAME = "demo.yaml"


def demo_policy_path() -> Path | None:
    """The bundled demo policy, or None when this build has none (``console.core.resources`` looks)."""
    from console.core.resources import example_policy_path

    return example_policy_path(DEMO_NAME)
