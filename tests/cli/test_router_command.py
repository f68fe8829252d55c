"""``routedesk import`` of a grade-only history, then ``router train`` and ``router eval`` on it, as a user runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.cli.main import run
from tests.support import graded_history


def test_three_model_grade_only_history_imports_trains_and_evaluates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    csv_file = graded_history.write_grade_only_csv(tmp_path / "graded.csv")
    assert run(["import", str(csv_file), "--name", "made", "--task", "qa", "--db", db]) == 0
    assert "300 new cases" in (out := capsys.readouterr().out) and "(models: small, medium, large)" in out
    assert run(["router", "train", "--task", "qa", "--models", "small,medium,large", "--imported", "made",
                "--seed", "4", "--out", "made.router", "--db", db]) == 0
    captured = capsys.readouterr()
    assert "300 graded prompts" in captured.out and "trained on 210 prompts" in captured.out
    assert "[1/26]" in captured.err and "done" in captured.err  # progress as it goes
    saved = tmp_path / "home" / "routers" / "made.router"
    assert saved.is_file()
    assert run(["router", "eval", "made.router", "--imported", "made", "--target", "0.9", "--db", db]) == 0
    out = capsys.readouterr().out
    # the held-out 90, less any prompt whose exact text is also among the 210 trained on
    found = re.search(r"evaluated on (\d+) prompts .* \((\d+) training prompts left out\)", out)
    assert found and int(found[1]) + int(found[2]) == 300 and 85 <= int(found[1]) <= 90
    for model in graded_history.MODELS:
        assert model in out
    assert "random router" in out and "longest prompts to large" in out and "calibrated operating point" in out
    chart = saved.with_suffix(".png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same file read directly, unchanged commands
    assert run(["router", "eval", str(saved), "--dataset", str(csv_file), "--chart", str(tmp_path / "c.png")]) == 0
    assert f"evaluated on {found[1]} prompts" in capsys.readouterr().out and (tmp_path / "c.png").is_file()


def test_bad_router_input_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    csv_file = graded_history.write_grade_only_csv(tmp_path / "graded.csv", n=60)
    assert run(["router", "train", "--task", "qa", "--models", "small,huge", "--dataset", str(csv_file),
                "--out", "x.router"]) == 2
    assert "no graded answers from huge" in capsys.readouterr().err
    assert run(["router", "train", "--task", "qa", "--models", "small", "--dataset", str(csv_file),
                "--out", "x.router"]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert run(["router", "eval", "nothing.router", "--dataset", str(csv_file)]) == 2
    assert "no such router file" in capsys.readouterr().err
    (tmp_path / "bad.router").write_text("nope")
    assert run(["router", "eval", str(tmp_path / "bad.router"), "--dataset", str(csv_file)]) == 2
    assert "not a readable router file" in capsys.readouterr().err
    assert run(["router", "eval", "x.router", "--imported", "nosuch", "--db",
                f"sqlite:///{tmp_path / 'l.sqlite3'}"]) == 2
    assert "error:" in capsys.readouterr().err
