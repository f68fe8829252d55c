"""``routedesk validate``: every diagnostic printed, a summary, exit 0 clean / 1 errors, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli.main import run

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [str(ROOT / "policies" / "support-desk.yaml"), str(ROOT / "policies" / "demo.yaml")]
BROKEN = ROOT / "tests" / "core" / "policy" / "broken"


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))


def test_shipped_policies_validate_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", *SHIPPED]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == "ok: 2 files checked, 2 clean; 0 errors, 0 warnings"


def test_broken_policy_prints_every_error_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(BROKEN / "unknown-model-in-route.yaml")
    assert run(["validate", path]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == (f"{path}:31:25: error: routes.chat.candidates[1]: unknown model 'gpt5' "
                        "(did you mean 'gpt-5'?); expected one of the policy's models: small, gpt-5")
    assert lines[-1] == "FAILED: 1 file checked, 0 clean; 1 error, 0 warnings"


def test_json_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(["validate", "--json", SHIPPED[1], str(tmp_path / "missing.yaml")]) == 1
    document = json.loads(capsys.readouterr().out)
    assert (document["ok"], document["errors"], document["warnings"]) == (False, 1, 0)
    demo, missing = document["files"]
    assert demo["ok"] and demo["policy"] == "demo" and len(demo["content_hash"]) == 16
    assert missing["diagnostics"][0]["code"] == "no-file"


def test_strict_turns_warnings_into_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = Path(SHIPPED[1]).read_text().replace("classification:\n", "classification:\n  honour_task_hint: false\n")
    text = text.replace("    - task: summarize\n", "    - task: chat\n")
    path = tmp_path / "warn.yaml"
    path.write_text(text)
    assert run(["validate", str(path)]) == 0
    assert run(["validate", "--strict", str(path)]) == 1
    assert "warning: tasks.summarize: task 'summarize' is unreachable" in capsys.readouterr().out


def test_python_dash_m_console_validate_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "ROUTEDESK_HOME": str(tmp_path / "home")}
    broken = sorted(str(p) for p in BROKEN.glob("*.yaml"))
    done = subprocess.run(
        [sys.executable, "-m", "console", "validate", *SHIPPED, *broken],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert f"FAILED: {len(broken) + 2} files checked, 2 clean;" in done.stdout
    clean = subprocess.run([sys.executable, "-m", "console", "validate", *SHIPPED], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr


@pytest.mark.parametrize("command", [["review", "-o", "review.pdf"], ["rollout", "status"], ["export", "litellm"]])
def test_a_command_on_a_broken_policy_says_nothing_was_done(command: list[str], capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    # "nothing was routed" was said by every command that loads a policy, a review or a rollout too.
    missing = str(tmp_path / "missing.yaml")
    assert run([*command, "-p", missing]) != 0
    err = capsys.readouterr().err
    assert f"{missing}: the policy has errors, so nothing was done" in err and "routed" not in err
