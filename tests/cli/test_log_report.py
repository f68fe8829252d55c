"""``routedesk demo-traffic``, ``log`` and ``report`` end to end on a real SQLite log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from console.cli.main import run
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION


@pytest.fixture()
def filled_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert run(["demo-traffic", "--requests", "3000", "--days", "5", "--spike", "support:gpt-mini", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "wrote 3000 requests" in out and "support:gpt-mini" in out
    return url


def test_report_json_matches_the_generated_totals(filled_log: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["report", "--since", "6d", "--json", "--db", filled_log]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["rows"]
    assert sum(r["attempts"] for r in rows) == report["totals"]["attempts"] > 2500
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(report["totals"]["cost_usd"], abs=1e-4)
    flagged = {(f["task"], f["model"], f["metric"]) for f in report["drift"]}
    assert ("support", "gpt-mini", "failure_rate") in flagged
    spiking = next(r for r in rows if (r["task"], r["model"]) == ("support", "gpt-mini"))
    assert "failure_rate" in spiking["drift"]
    assert spiking["failure_ci_low"] <= spiking["failure_rate"] <= spiking["failure_ci_high"]


def test_report_csv_and_text(filled_log: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["report", "--since", "6d", "--csv", "--db", filled_log]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"task", "model", "failure_rate", "latency_p95_ms", "drift"} <= set(rows[0])
    assert run(["report", "--since", "6d", "--db", filled_log]) == 0
    text = capsys.readouterr().out
    assert "Drift flags" in text and "support:gpt-mini failure_rate" in text


def test_log_lists_chains_newest_first(filled_log: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["log", "--since", "7d", "--task", "support", "--failed", "--limit", "3", "--json", "--db",
                filled_log]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert all(r["task"] == "support" and any(a["outcome"] != "ok" for a in r["attempts"]) for r in lines)
    assert [r["ts"] for r in lines] == sorted((r["ts"] for r in lines), reverse=True)
    assert run(["log", "--since", "7d", "--model", "claude", "--limit", "2", "--db", filled_log]) == 0
    text = capsys.readouterr().out
    assert "#0" in text and "claude" in text


@pytest.mark.parametrize("argv, message", [
    (["log", "--since", "1y"], "not a duration"),
    (["log", "--since", "soon"], "not a duration"),
    (["report", "--since", "1d", "--recent", "2d"], "shorter than --since"),
    (["log", "--db", "nonsense"], "not a database URL"),
    (["demo-traffic", "--spike", "nope"], "task:model"),
])
def test_bad_input_is_a_clear_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path))
    assert run(argv) != 0
    assert message in capsys.readouterr().err


def test_a_newer_log_is_refused_by_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    from console.core.ledger.tables import SCHEMA_VERSION

    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert run(["log", "--db", url]) == 0  # no log yet: reads as empty, and creates nothing
    assert not (tmp_path / "new.sqlite3").exists()
    open_ledger(url).dispose()
    conn = sqlite3.connect(tmp_path / "new.sqlite3")
    with conn:
        conn.execute("UPDATE schema_meta SET value = ? WHERE key = 'version'", (str(SCHEMA_VERSION + 1),))
    conn.close()
    capsys.readouterr()
    assert run(["report", "--db", url]) == 1
    assert "newer Routedesk" in capsys.readouterr().err
