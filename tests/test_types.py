"""The core's types, checked: mypy (strict, configured in pyproject.toml's [tool.mypy]) over console/core."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_core_type_checks_strictly() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    checked = re.search(r"no issues found in (\d+) source files", done.stdout)
    assert checked is not None, done.stdout
    assert int(checked.group(1)) >= len(list((ROOT / "console" / "core").rglob("*.py")))  # every core module


def test_the_checker_would_see_an_error(tmp_path: Path) -> None:
    # The configuration must not hide errors: a wrong return type in a module it checks is reported.
    bad = tmp_path / "bad.py"
    bad.write_text("def seconds() -> int:\n    return 'soon'\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "[return-value]" in done.stdout, done.stdout + done.stderr
