"""The house's shape, checked mechanically: layer contracts and no import-time side effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_importing_the_core_starts_nothing() -> None:
    # No threads, no event loops, no Qt, no HTTP clients at import: only modules are loaded.
    code = (
        "import sys, threading, console.core.engine, console.cli.main;"
        "assert threading.active_count() == 1, threading.enumerate();"
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'httpx', 'llama_cpp') if m in sys.modules];"
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
