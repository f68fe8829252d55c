"""Side by side against real parts: llama_cpp.server, the in-process GGUF, and the fault server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import text

from console.core.compare.columns import CompareParams, ColumnSpec, parse_column_spec, unique_labels
from console.core.compare.export import export_text, to_csv
from console.core.compare.run import ColumnFinished, ColumnText, SideBySide
from console.core.compare.session import CompareSession
from console.core.compare.store import list_comparisons, load_comparison, save_comparison
from console.core.ledger.writer import LedgerWriter
from console.core.outcomes import Outcome
from console.core.policy.loader import load_policy_or_raise
from console.core.records import MemoryRecorder
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.support.parts import require_demo_gguf
from tests.support.waiting import until

DEMO = Path(__file__).resolve().parents[3] / "policies" / "demo.yaml"


def _run(session: CompareSession, specs: list[str], prompt: str = "Say hello.", **kwargs):  # type: ignore[no-untyped-def]
    policy = session.policy
    columns = [session.resolve(s) for s in unique_labels([parse_column_spec(x, policy) for x in specs])]
    events: list[object] = []
    recorder = kwargs.pop("recorder", MemoryRecorder())

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await SideBySide(columns, CompareParams(prompt=prompt, max_tokens=12, **kwargs),
                                    recorder=recorder).run(events.append)
        finally:
            await session.aclose()

    return asyncio.run(go()), events, recorder


def test_failing_column_does_not_stop_the_others(fault_server: FaultServer, llama_server: str) -> None:
    require_demo_gguf()
    url = fault_server.url
    session = CompareSession(load_policy_or_raise(DEMO), DEMO)
    result, events, recorder = _run(session, ["smollm2", f"demo@{llama_server}", f"ok@{url}", f"500@{url}", f"cut:after=2@{url}"])
    by_label = {c.label: c for c in result.columns}
    assert by_label["smollm2"].outcome is Outcome.OK and by_label["smollm2"].text
    assert by_label["demo"].outcome is Outcome.OK and by_label["demo"].text
    assert by_label["ok"].outcome is Outcome.OK and by_label["ok"].text == "Say hello."
    assert by_label["500"].outcome is Outcome.SERVER_ERROR and by_label["500"].error
    assert by_label["cut:after=2"].outcome is Outcome.STREAM_CUT
    assert by_label["ok"].ttft_ms is not None and by_label["ok"].output_tokens > 0
    # every column streamed into its own slot and finished once
    finished = [e.index for e in events if isinstance(e, ColumnFinished)]
    assert sorted(finished) == list(range(5))
    assert {e.index for e in events if isinstance(e, ColumnText)} >= {0, 1, 2}
    assert {r.kind for r in recorder.requests} == {"comparison"} and len(recorder.requests) == 5


def test_stopping_one_column_leaves_the_others(fault_server: FaultServer) -> None:
    url = fault_server.url
    session = CompareSession(None)
    columns = [session.resolve(parse_column_spec(s, None)) for s in (f"hang@{url}", f"slow-ok:ms=300@{url}")]
    runner = SideBySide(columns, CompareParams(prompt="still here", max_tokens=8))

    async def go():  # type: ignore[no-untyped-def]
        task = asyncio.create_task(runner.run())
        await until(lambda: fault_server.requests_for("hang"), "the hanging column's request to be in flight")
        runner.cancel(0)
        try:
            return await task
        finally:
            await session.aclose()

    result = asyncio.run(go())
    assert result.columns[0].outcome is Outcome.CANCELLED
    assert result.columns[1].outcome is Outcome.OK and result.columns[1].text == "still here"


def test_columns_on_one_gguf_file_share_a_worker_and_say_so() -> None:
    require_demo_gguf()
    session = CompareSession(load_policy_or_raise(DEMO), DEMO)
    result, _, _ = _run(session, ["smollm2", "smollm2-cpu"])
    assert all(c.outcome is Outcome.OK for c in result.columns)
    assert "smollm2-cpu" in (result.columns[0].shared_worker or "")
    assert result.notes and "share one llama.cpp worker" in result.notes[0]


def test_saved_comparison_reloads_exports_and_stays_out_of_production(fault_server: FaultServer, tmp_path: Path) -> None:
    url = fault_server.url
    writer = LedgerWriter(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    try:
        result, _, _ = _run(CompareSession(None), [f"ok@{url}", f"503@{url}"], recorder=writer)
        result.winner, result.note = "ok", "the only one that answered"
        comparison_id = save_comparison(writer.db, result)
        again = load_comparison(writer.db, comparison_id)
        assert again.winner == "ok" and again.columns[1].outcome is Outcome.UNAVAILABLE
        assert [s.label for s in again.specs] == ["ok", "503"] and again.specs[0].base_url == url
        assert list_comparisons(writer.db)[0].columns == 2
        writer.flush(10)  # the columns' requests are staged; wait for their commit
        with writer.db.connect() as conn:
            kinds = conn.execute(text("SELECT kind, COUNT(*) FROM request GROUP BY kind")).all()
        assert kinds == [("comparison", 2)]
    finally:
        writer.close()
    markdown = export_text(again, "md")
    assert "| ok ★ |" in markdown and "the only one that answered" in markdown
    rows = to_csv(again).splitlines()
    assert rows[0].startswith("label,model,outcome") and len(rows) == 3
    assert json.loads(export_text(again, "json"))["columns"][0]["text"] == "Say hello."


def test_column_specs_parse_and_explain_mistakes() -> None:
    policy = load_policy_or_raise(DEMO)
    assert parse_column_spec("smollm2", policy).alias == "smollm2"
    adhoc = parse_column_spec("anthropic:claude-x@https://api.example/v1", policy)
    assert adhoc.kind is not None and adhoc.kind.value == "anthropic" and adhoc.model_id == "claude-x"
    assert parse_column_spec("/m/q.gguf", policy).kind is not None
    try:
        parse_column_spec("nosuch", policy)
    except ValueError as err:
        assert "smollm2" in str(err) and "MODEL@BASE_URL" in str(err)
    else:
        raise AssertionError("an unknown model must be refused")
    twice = unique_labels([ColumnSpec("a", alias="a"), ColumnSpec("a", alias="a")])
    assert [s.label for s in twice] == ["a", "a (2)"]
