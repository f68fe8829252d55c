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
    assert re.search(r"\[1/\d+\] 7 learners on fold 1", captured.err) and "done" in captured.err  # progress as it goes
    saved = tmp_path / "home" / "routers" / "made.router"
    assert saved.is_file()
    assert run(["router", "eval", "made.router", "--imported", "made", "--target", "0.9", "--db", db]) == 0
    out = capsys.readouterr().out
    # the held-out 90, less any prompt whose exact text is also among the 210 trained on
    found = re.search(r"evaluated on (\d+) prompts .* \((\d+) training prompts left out\)", out)
    assert found and int(found[1]) + int(found[2]) == 300 and 85 <= int(found[1]) <= 90
    for model in graded_history.MODELS:
        assert model in out
    assert "random router" in out and "longest prompts first" in out and "calibrated operating point" in out
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


def test_explain_shows_each_models_probability_and_how_the_router_ordered_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import random

    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    csv_file = graded_history.write_grade_only_csv(tmp_path / "graded.csv", n=150)
    assert run(["router", "train", "--task", "qa", "--models", "small,medium,large", "--dataset", str(csv_file),
                "--out", "qa.router"]) == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text("""version: 1
name: explain-router
providers: {p: {kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}}
models:
  small: {provider: p, model: s, prices: {input: 0.1, output: 0.1}}
  medium: {provider: p, model: m, prices: {input: 1, output: 1}}
  large: {provider: p, model: l, prices: {input: 10, output: 10}}
tasks: {qa: {}}
classification: {default: qa}
routes:
  qa: {candidates: [large, medium, small], router: {file: qa.router, target: 0.99}}
""")
    capsys.readouterr()
    hard = graded_history.prompt(2, random.Random(8))
    assert run(["explain", "-p", str(policy), hard]) == 0
    out = capsys.readouterr().out
    assert "ordered by router qa.router" in out and "operating point" in out
    lines = [line for line in out.splitlines() if "router: P(pass)" in line]
    assert len(lines) == 3 and "1. large" in lines[0]
    (tmp_path / "home" / "routers" / "qa.router").unlink()
    assert run(["explain", "-p", str(policy), hard]) == 0  # the file gone: static order, a warning, no failure
    out = capsys.readouterr().out
    assert "router not used, static order kept" in out and "1. large" in out and "P(pass)" not in out


def test_a_finished_pilot_of_three_models_trains_and_evaluates_a_router(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    csv_file = graded_history.write_grade_only_csv(tmp_path / "graded.csv", n=150)
    bar = tmp_path / "bar.yaml"
    bar.write_text("assertions: [{kind: numeric}]\nrule: {relative_to_baseline: 0.95}\n")
    assert run(["import", str(csv_file), "--name", "made", "--task", "qa", "--db", db]) == 0
    run(["pilot", "--task", "qa", "--baseline", "large", "--candidate", "small", "--candidate", "medium",
         "--bar", str(bar), "--imported", "made", "--db", db])
    run_id = re.search(r"pilot (pilot-\w+):", capsys.readouterr().err)[1]  # type: ignore[index]
    assert run(["router", "train", "--task", "qa", "--models", "small,medium,large", "--pilot", run_id,
                "--out", "from-pilot.router", "--db", db]) == 0
    assert "pilot " + run_id in capsys.readouterr().out
    assert run(["router", "eval", "from-pilot.router", "--pilot", run_id, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "router for task 'qa'" in out and "share of large calls needed" in out and "random router" in out
    assert run(["router", "eval", "from-pilot.router", "--pilot", run_id, "--bar", str(bar), "--db", db]) == 2
    assert "--bar does not apply to --pilot" in capsys.readouterr().err
