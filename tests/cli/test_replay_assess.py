"""``routedesk replay`` and ``routedesk assess`` end to end on real SQLite logs."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from console.cli.main import run
from console.core.policy.loader import load_policy_or_raise
from console.core.policy.save import save_policy
from console.core.pricing import PriceSheet
from tests.core.replay import logs
from tests.core.replay.logs import DAY, POLICY_YAML, T0, attempt, new_log, over_served_log

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo-traffic.yaml"


@pytest.fixture()
def demo_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert run(["demo-traffic", "--requests", "3000", "--days", "5", "--db", url]) == 0
    capsys.readouterr()
    return url


def test_replaying_the_demo_policy_changes_nothing(demo_log: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["replay", "-p", str(DEMO), "--since", "6d", "--json", "--db", demo_log]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["changes"] == [] and report["requests"] > 2500
    assert report["spend"]["projected_usd"] == pytest.approx(report["spend"]["actual_usd"], rel=1e-3)
    assert "replay: plan" in captured.err  # progress goes to stderr, never into the JSON


def test_a_two_route_draft_prints_its_changes_and_untested_swaps(demo_log: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    draft = tmp_path / "draft.yaml"
    policy = load_policy_or_raise(DEMO)
    policy.routes["code"].candidates = ["gpt-mini", "claude"]
    save_policy(policy, draft)
    assert run(["replay", "-p", str(draft), "--since", "6d", "--db", demo_log]) == 0
    out = capsys.readouterr().out
    assert "code: claude → gpt-mini" in out and "untested swap" in out and "no evidence" in out
    assert "with output tokens from the task's logged output" in out
    assert run(["replay", "-p", str(draft), "--since", "6d", "--task", "support", "--json", "--db", demo_log]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []  # --task keeps only support's requests


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(logs.PRICES, "=HYPERLINK(1)", PriceSheet(1, 1, 1, 1))
    monkeypatch.setitem(logs.PROVIDERS, "=HYPERLINK(1)", "openai")
    log = new_log(tmp_path)
    log.add("r1", T0, "support", [attempt("=HYPERLINK(1)", T0, inp=10, out=10)])
    url = log.write()
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY_YAML)
    assert run(["replay", "-p", str(policy), "--since", "2020-01-01", "--until", "2030-01-01", "--csv", "--db", url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["from_model"], r["to_model"], r["requests"]) for r in rows] == [("'=HYPERLINK(1)", "mini", "1")]


def test_bad_input_is_a_sentence_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY_YAML)
    assert run(["replay", "-p", str(policy), "--since", "yesterday"]) == 2
    assert "not a duration or a date: 'yesterday'" in capsys.readouterr().err
    assert run(["replay", "-p", str(policy), "--since", "2030-01-01", "--until", "2020-01-01"]) == 2
    assert "must be before" in capsys.readouterr().err
    assert run(["replay", "-p", str(tmp_path / "missing.yaml")]) == 1
    assert "missing.yaml" in capsys.readouterr().err


def test_assess_ranks_the_over_served_task_first_with_a_pilot_command(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    url, policy = over_served_log(tmp_path, T0)
    window = ["--since", "1d", "--until", datetime.fromtimestamp(T0 + DAY - 1, tz=timezone.utc).isoformat()]
    assert run(["assess", "-p", str(policy), *window, "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.index("code:") < out.index("support:") and "over-served?" in out.split("support:")[0]
    assert "routedesk pilot --task code --baseline big --candidate" in out
    assert run(["assess", "-p", str(policy), *window, "--json", "--db", url]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tasks"][0]["task"] == "code" and result["tasks"][0]["over_served"] is True
