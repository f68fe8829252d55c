"""Where a pilot's cases come from: an imported history, a dataset file, or the routing log.

A ``PilotCase`` carries the prompt, the reference answer when there is one, and the answers
models already gave (imported history), so a pilot over those judges them without calling anyone.
Cases from the log need the prompt text, which the log holds only for requests recorded with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from console.core.ledger.filters import Filters, raw_where
from console.core.ledger.pilots import HistoryAnswerRow, HistoryCaseRow
from console.core.ledger.tables import request_table


@dataclass(frozen=True)
class PastAnswer:
    """An answer a model already gave: its text and its estimated tokens and cost."""

    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    judged_correct: bool | None = None
    outcome: str = "ok"  # a shadow call that failed is recorded with its outcome (console/core/shadow)
    latency_ms: float | None = None  # measured when the answer was given live (a shadow call)


@dataclass
class PilotCase:
    case_id: str
    prompt: str
    system: str | None = None
    reference: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    recorded: dict[str, PastAnswer] = field(default_factory=dict)


def cases_from_imported(db: Engine, dataset: str, *, limit: int | None = None) -> list[PilotCase]:
    """The cases of an imported history, in file order, with their recorded answers."""
    cases_t, answers_t = HistoryCaseRow.__table__, HistoryAnswerRow.__table__  # type: ignore[attr-defined]
    query = select(cases_t).where(cases_t.c.dataset == dataset).order_by(cases_t.c.position)
    if limit:
        query = query.limit(limit)
    with db.connect() as conn:
        rows = conn.execute(query).mappings().all()
        if not rows:
            raise LookupError(f"no imported history named {dataset!r}; import one with `routedesk import FILE --name {dataset}`")
        ids = [r["case_id"] for r in rows]
        answers: dict[str, dict[str, PastAnswer]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for a in conn.execute(select(answers_t).where(answers_t.c.case_id.in_(chunk))).mappings():
                verdict = None if a["judged_correct"] is None else bool(a["judged_correct"])
                answers.setdefault(a["case_id"], {})[a["model"]] = PastAnswer(
                    a["text"], a["input_tokens"], a["output_tokens"], a["cost_usd"], verdict)
    return [PilotCase(r["case_id"], r["prompt"], r["system"], r["reference"], json.loads(r["metadata_json"] or "{}"),
                      answers.get(r["case_id"], {})) for r in rows]


def cases_from_dataset(path: str | Path, *, fmt: str | None = None, mapping: dict[str, str] | None = None,
                       limit: int | None = None) -> tuple[list[PilotCase], list[str]]:
    """Cases read straight from a file (not imported), and the file's bad-row sentences."""
    from console.core.pilot.history_file import read_history
    from console.core.pilot.importer import case_id_for
    from console.core.pilot.recorded_cost import recorded_usage

    history = read_history(path, fmt=fmt, mapping=mapping)
    dataset = Path(path).stem
    cases = []
    for row in history.rows[:limit] if limit else history.rows:
        recorded = {}
        for model, answer in row.answers.items():
            tokens_in, tokens_out, cost = recorded_usage(row.prompt, row.system, answer.text, model)
            recorded[model] = PastAnswer(answer.text, tokens_in, tokens_out, cost, answer.judged_correct)
        cases.append(PilotCase(case_id_for(dataset, row), row.prompt, row.system, row.reference, row.metadata, recorded))
    return cases, history.errors


def cases_from_log(db: Engine, filters: Filters, *, limit: int = 500) -> list[PilotCase]:
    """Logged requests that kept their prompt text, newest first (kind defaults to production)."""
    req = request_table()
    query = (select(req.c.request_id, req.c.prompt_text, req.c.metadata_json)
             .where(raw_where(req, filters), req.c.prompt_text.is_not(None))
             .order_by(req.c.ts.desc()).limit(limit))
    with db.connect() as conn:
        rows = conn.execute(query).all()
    return [PilotCase(f"log:{rid}", prompt, metadata=json.loads(meta or "{}")) for rid, prompt, meta in rows]
