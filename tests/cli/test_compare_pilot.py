"""``routedesk compare``, ``import`` and ``pilot`` as a user runs them: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli.main import run
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

GSM8K = Path(__file__).resolve().parents[2] / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"


def test_compare_prints_each_column_and_saves(fault_server: FaultServer, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    url = fault_server.url
    out = tmp_path / "cmp.csv"
    code = run(["compare", "--models", f"ok@{url},500@{url}", "hello there", "--db", db, "--winner", "ok",
                "--export", str(out), "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [c["outcome"] for c in printed["columns"]] == ["ok", "server_error"]
    assert printed["winner"] == "ok" and out.read_text().startswith("label,model,outcome")
    assert run(["compare", "--list", "--db", db]) == 0
    assert "#1  2 columns  winner ok" in capsys.readouterr().out
    assert run(["compare", "--rerun", "1", "--models", f"ok#new@{url}", "--db", db]) == 0
    assert "hello there" in capsys.readouterr().out


def test_compare_refuses_unknown_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["compare", "--models", "nosuch", "hi", "--no-log"]) == 2
    assert "unknown model 'nosuch'" in capsys.readouterr().err


def test_import_then_pilot_exits_non_zero_when_the_bar_is_not_met(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    bar = tmp_path / "bar.yaml"
    bar.write_text("assertions: [{kind: numeric}]\nrule: {relative_to_baseline: 0.95}\n")
    assert run(["import", str(GSM8K), "--name", "gsm8k", "--task", "math", "--db", db]) == 0
    assert "1319 new cases" in capsys.readouterr().out
    code = run(["pilot", "--task", "math", "--baseline", "gpt-4-1106-preview", "--candidate",
                "mistralai/Mixtral-8x7B-Instruct-v0.1", "--bar", str(bar), "--imported", "gsm8k", "--db", db])
    captured = capsys.readouterr()
    assert code == 1
    assert "does NOT meet the bar" in captured.out and "2638/2638 cells" in captured.err


def test_pilot_and_import_explain_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bar.yaml"
    bad.write_text("assertions: [{kind: nope}]\n")
    assert run(["pilot", "--task", "t", "--baseline", "a", "--candidate", "b", "--bar", str(bad),
                "--dataset", str(tmp_path / "x.jsonl")]) == 2
    assert "assertions.0.kind" in capsys.readouterr().err
    assert run(["import", str(tmp_path / "missing.csv"), "--db", f"sqlite:///{tmp_path / 'l.sqlite3'}"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_per_column_settings_reach_their_column(fault_server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = fault_server.url
    code = run(["compare", "--models", f"ok#pc1@{url},ok#pc2@{url}", "--max-tokens", "40", "--no-log", "--json",
                "--per-column", "ok#pc2: max_tokens=2", "one two three four five six"])
    assert code == 0
    columns = {c["label"]: c for c in json.loads(capsys.readouterr().out)["columns"]}
    sent = {r.model: r.body["max_tokens"] for r in fault_server.requests}
    assert sent == {"ok#pc1": 40, "ok#pc2": 2}  # the override went on the wire, the other column kept the shared value
    assert set(columns) == {"ok#pc1", "ok#pc2"}
