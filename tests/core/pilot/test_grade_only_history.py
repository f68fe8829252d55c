"""Histories that carry only each model's pass/fail (no answer text): read, imported, piloted, trained on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console.core.learned_router.graded import from_cases, from_pilot
from console.core.ledger.store import open_ledger
from console.core.pilot.bar import parse_bar
from console.core.pilot.cases import cases_from_imported
from console.core.pilot.history_file import read_history
from console.core.pilot.importer import import_history
from console.core.pilot.runner import PilotRunner
from console.core.pilot.store import PilotSetup


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = open_ledger(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    yield engine
    engine.dispose()


def write_csv(path: Path) -> Path:
    path.write_text("prompt,id,gpt-x,mini,meta.team\n"
                    "What is 2+2?,a1,true,TRUE,ops\n"
                    "Prove Fermat,a2,True,false,ops\n"
                    "Name a colour,a3,1,0,\n"
                    "Only one graded,a4,yes,\n", encoding="utf-8")
    return path


def test_a_prompt_column_then_true_false_columns_reads_as_grades(tmp_path: Path) -> None:
    history = read_history(write_csv(tmp_path / "g.csv"))
    assert history.models == ["gpt-x", "mini"] and not history.errors
    assert any("not read as grades" in note and "id" in note for note in history.notes)
    grades = [{m: (a.text, a.judged_correct) for m, a in row.answers.items()} for row in history.rows]
    assert grades[0] == {"gpt-x": ("", True), "mini": ("", True)}
    assert grades[1] == {"gpt-x": ("", True), "mini": ("", False)}
    assert grades[3] == {"gpt-x": ("", True)}  # an empty cell is no grade, not a fail
    assert history.rows[0].metadata == {"team": "ops"}


def test_jsonl_grades_with_or_without_answers(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"prompt": "p1", "grades": {"a": True, "b": False}}) + "\n"
                    + json.dumps({"prompt": "p2", "answers": {"a": "4"}, "grades": {"a": False}}) + "\n"
                    + json.dumps({"prompt": "p3", "grades": {"a": "yes"}}) + "\n", encoding="utf-8")
    history = read_history(path)
    assert [(r.answers["a"].text, r.answers["a"].judged_correct) for r in history.rows] == [("", True), ("4", False)]
    assert history.errors == [f"{path}:3: grades must be true or false (not for a)"]


def test_pilots_and_training_use_the_imported_grades(db: Engine, tmp_path: Path) -> None:
    summary = import_history(db, read_history(write_csv(tmp_path / "g.csv")), dataset="g", task="qa")
    assert summary.cases_added == 4 and summary.answers_added == 7
    cases = cases_from_imported(db, "g")
    bar = parse_bar("assertions: [{kind: numeric}]\n")  # there is no text to check: the grade decides
    setup = PilotSetup("pilot-g", "qa", "gpt-x", ("mini",), bar.to_json_text(), {"imported": "g"})
    graded_by_both = [c for c in cases if len(c.recorded) == 2]  # a pilot would have to call 'mini' for the last
    report = asyncio.run(PilotRunner(db, setup, graded_by_both, bar).run())
    passed = {(case.prompt, model): report.cells[(case.case_id, model)].passed
              for case in graded_by_both for model in ("gpt-x", "mini") if (case.case_id, model) in report.cells}
    assert passed[("Prove Fermat", "gpt-x")] and not passed[("Prove Fermat", "mini")]
    assert passed[("What is 2+2?", "mini")] and not passed[("Name a colour", "mini")]
    assert "graded as failed" in report.cells[(cases[1].case_id, "mini")].failures[0]
    direct = from_cases(cases, ["gpt-x", "mini"], source="g")
    assert direct.passed.tolist() == [[1, 1], [1, 0], [1, 0]] and direct.skipped == 1
    piloted = from_pilot(db, "pilot-g")
    assert sorted(map(tuple, piloted.passed.tolist())) == sorted(map(tuple, direct.passed.tolist()))
    assert set(piloted.prompts) == set(direct.prompts)


@pytest.mark.parametrize("source", ["dataset", "shadow"])
def test_a_pilot_over_a_dataset_file_or_shadow_cases_gives_its_prompts_to_training(db: Engine, tmp_path: Path,
                                                                                   source: str) -> None:
    from console.core.pilot.cases import cases_from_dataset

    path = write_csv(tmp_path / "g.csv")
    if source == "dataset":
        cases, _ = cases_from_dataset(path)
        stored = {"dataset": str(path)}
    else:  # a shadow's cases live in the log's history tables, as an import's do
        import_history(db, read_history(path), dataset="shadow:chat", task="chat")
        cases, stored = cases_from_imported(db, "shadow:chat"), {"shadow": "chat"}
    cases = [c for c in cases if len(c.recorded) == 2]
    bar = parse_bar("assertions: [{kind: numeric}]\n")
    setup = PilotSetup(f"pilot-{source}", "qa", "gpt-x", ("mini",), bar.to_json_text(), stored)
    asyncio.run(PilotRunner(db, setup, cases, bar).run())
    graded = from_pilot(db, f"pilot-{source}")
    assert sorted(graded.prompts) == sorted(c.prompt for c in cases) and graded.skipped == 0
