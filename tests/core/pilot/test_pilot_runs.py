"""Pilots end to end: resume after an interruption, recorded history judged without calls, the
GSM8K acceptance case, imports, the route edit and the schema step that adds the tables."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from console.core.compare.session import CompareSession
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION, ledger_tables
from console.core.pilot.bar import parse_bar
from console.core.pilot.caller import LiveCaller
from console.core.pilot.cases import cases_from_dataset, cases_from_imported
from console.core.pilot.history_file import read_history
from console.core.pilot.importer import import_history
from console.core.pilot.route_edit import RouteEditError, candidate_first
from console.core.pilot.runner import PilotRunner
from console.core.pilot.store import PilotSetup, load_cells
from console.core.pilot.summary import summarize
from console.core.pilot.verdict import decide
from console.core.policy.loader import load_policy_or_raise
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[3]
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"
GPT4, MIXTRAL = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"
NUMERIC_BAR = "assertions: [{kind: numeric}]\nrule: {relative_to_baseline: 0.95}\n"


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = open_ledger(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    yield engine
    engine.dispose()


def test_interrupted_pilot_resumes_without_redoing_cases(db: Engine, tmp_path: Path, fault_server: FaultServer) -> None:
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Add 0 to {n}.", "reference": f"#### {n}"}) + "\n"
                            for n in range(8)))
    cases, problems = cases_from_dataset(data)
    assert not problems and len(cases) == 8
    bar = parse_bar(NUMERIC_BAR)
    base, cand = f"ok@{fault_server.url}", f"ok#cand@{fault_server.url}"
    setup = PilotSetup("resume-me", "math", base, (cand,), bar.to_json_text(), {"dataset": str(data)})

    async def first_half() -> None:
        session = CompareSession(None)
        runner = PilotRunner(db, setup, cases, bar, caller=LiveCaller(session), concurrency=1)
        task = asyncio.current_task()

        def progress(done: int, total: int, cell: object) -> None:
            if done >= total // 2 and task is not None:
                task.cancel()

        try:
            await runner.run(progress)
        except asyncio.CancelledError:
            pass
        finally:
            await session.aclose()

    asyncio.run(first_half())
    saved = load_cells(db, "resume-me")
    assert 8 <= len(saved) < 16
    calls_before = len(fault_server.requests)

    async def second_half():  # type: ignore[no-untyped-def]
        session = CompareSession(None)
        try:
            return await PilotRunner(db, setup, cases, bar, caller=LiveCaller(session), concurrency=3).run()
        finally:
            await session.aclose()

    report = asyncio.run(second_half())
    assert report.resumed_cells == len(saved) and report.complete
    assert len(fault_server.requests) - calls_before == 16 - len(saved)  # only the missing cells were called
    assert all(cell.passed for cell in report.cells.values())
    assert decide(report, bar, cand, volume=None).meets_bar


def test_gsm8k_history_mixtral_does_not_meet_a_95_percent_bar(db: Engine) -> None:
    """ACCEPTANCE: real pass rates and real cost difference from the recorded answers, no calls."""
    history = read_history(GSM8K)
    assert len(history.rows) == 1319 and not history.errors and all(r.reference for r in history.rows)
    import_history(db, history, dataset="gsm8k", task="math")
    cases = cases_from_imported(db, "gsm8k")
    bar = parse_bar(NUMERIC_BAR)
    setup = PilotSetup("gsm8k", "math", GPT4, (MIXTRAL,), bar.to_json_text(), {"imported": "gsm8k"})
    report = asyncio.run(PilotRunner(db, setup, cases, bar, caller=None).run())  # no caller: nobody can be called
    gpt4, mixtral = summarize(report)
    print(f"\nnumeric-match pass rates: {GPT4} {gpt4.pass_rate:.1%}, {MIXTRAL} {mixtral.pass_rate:.1%} "
          f"(README judged-correct: 85.7% / 63.8%); cost per 1k: ${gpt4.cost_per_1k_usd:.3f} vs ${mixtral.cost_per_1k_usd:.3f}")
    assert gpt4.recorded == mixtral.recorded == 1319
    assert 0.85 <= gpt4.pass_rate <= 0.92 and 0.60 <= mixtral.pass_rate <= 0.67
    assert gpt4.ci_low < gpt4.pass_rate < gpt4.ci_high
    assert gpt4.cost_per_1k_usd > 30 * mixtral.cost_per_1k_usd > 0  # $10/$30 against $0.60/$0.60 per million
    verdict = decide(report, bar, MIXTRAL, volume=None)
    assert not verdict.meets_bar
    assert verdict.headline.startswith(f"{MIXTRAL} does NOT meet the bar")
    assert any("85.7%" in line and "63.8%" in line for line in verdict.lines)
    assert verdict.savings_per_1k_usd == pytest.approx(gpt4.cost_per_1k_usd - mixtral.cost_per_1k_usd)
    with_volume = decide(report, bar, MIXTRAL, volume=100_000)
    assert with_volume.savings_per_month_usd == pytest.approx(with_volume.savings_per_1k_usd * 100)


def test_import_is_idempotent_and_reports_bad_rows(db: Engine, tmp_path: Path) -> None:
    data = tmp_path / "hist.jsonl"
    data.write_text('{"prompt": "a", "answers": {"m1": "x", "m2": "y"}, "metadata": {"team": "t"}}\n'
                    "not json\n"
                    '{"reference": "no prompt"}\n'
                    '{"question": "b", "answer": "#### 2"}\n')
    history = read_history(data)
    assert history.errors == [f"{data}:2: not valid JSON (Expecting value)",
                              f"{data}:3: no prompt (a non-empty 'prompt' string)"]
    first = import_history(db, history, dataset="h")
    again = import_history(db, read_history(data), dataset="h")
    assert (first.cases_added, first.answers_added, again.cases_added, again.cases_already_there) == (2, 2, 0, 2)
    with db.connect() as conn:
        assert conn.execute(text("SELECT kind, COUNT(*) FROM request GROUP BY kind")).all() == [("imported", 2)]
    cases = cases_from_imported(db, "h")
    assert cases[0].recorded["m1"].text == "x" and cases[1].reference == "#### 2" and cases[0].metadata == {"team": "t"}


def test_candidate_first_edits_a_copy() -> None:
    policy = load_policy_or_raise(ROOT / "policies" / "demo.yaml")
    edited = candidate_first(policy, "chat", "smollm2-cpu")
    assert edited.routes["chat"].candidates == ["smollm2-cpu", "smollm2"]
    assert policy.routes["chat"].candidates == ["smollm2", "smollm2-cpu"]
    with pytest.raises(RouteEditError, match="not a model alias"):
        candidate_first(policy, "chat", MIXTRAL)


def test_a_version_2_log_gains_the_pilot_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v2.sqlite3'}"
    from console.core.ledger.store import create_db_engine

    old = create_db_engine(url)
    with old.begin() as conn:
        tables = ledger_tables()
        tables[0].metadata.create_all(conn, tables=tables)
        conn.execute(text("INSERT INTO schema_meta (key, value) VALUES ('version', '2')"))
    old.dispose()
    db = open_ledger(url)
    try:
        names = set(inspect(db).get_table_names())
        assert {"comparison", "comparison_column", "history_case", "history_answer", "pilot_run", "pilot_result"} <= names
        with db.connect() as conn:
            assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
    finally:
        db.dispose()
