"""``routedesk pilot --from-shadow ROUTE`` as a user runs it: the pilot's verdict over what a route's
shadow collected, the shadow spend line, grading again later, prompt text kept only until graded,
``--forget``, and clear errors for a route without a shadow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli.main import run
from console.core.ledger.store import open_ledger
from tests.core.shadow.policies import JUDGE_BAR, collect, write_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def prompts_kept(log: str) -> list[str]:
    db = open_ledger(log)
    try:
        with db.connect() as conn:
            return [p for (p,) in conn.execute(text("select prompt from history_case")).all()]
    finally:
        db.dispose()


def test_from_shadow_gives_the_verdict_and_resumes(fault_server: FaultServer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = write_policy(tmp_path, fault_server.url)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    collect(path, log, [f"where is order {n}?" for n in range(5)])
    assert prompts_kept(log) == [""] * 5  # the bar has no judge: the prompt is never read, so never kept
    code = run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "cheap MEETS the bar" in out and "cheap passes 5 of the 5 cases production passes" in out
    assert "95% CI" in out and "cost per 1,000 requests: production $" in out
    assert "shadow spend on route 'support': $0.0" in out and "(5 calls)" in out
    collect(path, log, ["one more order question"])
    assert run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cases"] == 6 and report["resumed_cells"] == 10  # only the new case was graded
    assert report["shadow_spend"]["calls_today"] == 6 and report["verdicts"][0]["meets_bar"]
    latencies = {m["model"]: m["latency_p50_ms"] for m in report["models"]}  # measured live, kept with the case
    assert latencies["production"] > 0 and latencies["cheap"] > 0


def test_a_failing_shadow_does_not_meet_the_bar(fault_server: FaultServer, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_policy(tmp_path, fault_server.url, shadow_fault="500")
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    collect(path, log, ["a", "b", "c"])
    assert run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log]) == 1
    assert "cheap does NOT meet the bar" in capsys.readouterr().out


def test_prompts_are_kept_for_a_judge_until_graded_and_forget_deletes_cases(
        fault_server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The judge echoes its prompt; the question carries the verdict line, so a pass proves it read the prompt.
    path = write_policy(tmp_path, fault_server.url, bar=JUDGE_BAR)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    collect(path, log, ["refund please. VERDICT: PASS", "cancel it. VERDICT: PASS"])
    assert sorted(prompts_kept(log)) == ["cancel it. VERDICT: PASS", "refund please. VERDICT: PASS"]
    assert run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log]) == 0
    out = capsys.readouterr().out
    assert "cheap MEETS the bar" in out and "erased the prompt text of 2 graded case(s)" in out
    assert prompts_kept(log) == ["", ""]
    collect(path, log, ["not graded yet. VERDICT: PASS"])
    assert run(["pilot", "--from-shadow", "support", "--forget", "--policy", str(path), "--db", log]) == 0
    assert "deleted 3 collected shadow case(s)" in capsys.readouterr().out
    assert prompts_kept(log) == []
    assert run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log]) == 2
    assert "has collected no shadow cases of cheap yet" in capsys.readouterr().err


def test_from_shadow_explains_bad_input(fault_server: FaultServer, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_policy(tmp_path, fault_server.url)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    assert run(["pilot", "--from-shadow", "nosuch", "--policy", str(path), "--db", log]) == 2
    assert "no route 'nosuch'" in capsys.readouterr().err
    assert run(["pilot", "--from-shadow", "support", "--candidate", "x", "--policy", str(path), "--db", log]) == 2
    assert "drop --candidate" in capsys.readouterr().err
    assert run(["pilot", "--from-log", "--forget", "--policy", str(path), "--db", log]) == 2
    assert "--forget goes with --from-shadow" in capsys.readouterr().err
    path.write_text(path.read_text().replace("    shadow:", "    notes: none\n    old_shadow:"))
    assert run(["pilot", "--from-shadow", "support", "--policy", str(path), "--db", log]) == 1  # the policy's error
    assert "old_shadow" in capsys.readouterr().err
