"""The repository stands alone: nothing in it reaches for files outside the clone.

A person who clones Routedesk has no team folder beside it; the README, the tests and the product must
work from what the repository ships (the GSM8K history lives in resources/datasets/).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: what reaching out of the clone looks like: a relative path to a sibling folder, or a parent hop in code
OUTSIDE = re.compile(r"\.\./shared|parents?\[?\d*\]?\s*\.parent\s*/\s*[\"']shared[\"']|ROOT\.parent\b")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / name for name in listed.splitlines()]
    return [path for path in files if path.suffix in {".py", ".md", ".sh", ".toml", ".yaml", ".yml", ".cfg"}]


def test_no_file_reaches_outside_the_clone() -> None:
    offenders = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "files outside the repository are referenced:\n" + "\n".join(offenders)


def test_the_shipped_history_is_complete_and_licensed() -> None:
    folder = ROOT / "resources" / "datasets" / "gsm8k-routing"
    header = (folder / "gsm8k_responses.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[0] == "prompt" and "gpt-4-1106-preview" in header
    assert "Apache License" in (folder / "LICENSE-RouteLLM").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "resources/datasets/gsm8k-routing/gsm8k_responses.csv" in readme
