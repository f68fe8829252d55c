"""``routedesk import``: a history file into the log as requests of kind ``imported``.

Each case becomes ``history_case`` (prompt, reference, metadata); each recorded answer becomes a
``history_answer`` plus one request of kind ``imported`` with one attempt (that model, its tokens
estimated, its cost at list prices), so the log's charts can show the history without ever mixing
it into production spend. Ids come from the dataset name, the row's place and its prompt: importing
the same file again adds nothing.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select

from console.core.ledger.rows import insert_batch
from console.core.ledger.pilots import HistoryAnswerRow, HistoryCaseRow
from console.core.outcomes import Outcome
from console.core.pilot.history_file import HistoryFile, HistoryRow, metadata_text
from console.core.pilot.recorded_cost import list_prices, recorded_usage
from console.core.records import AttemptRecord, RequestRecord


@dataclass(frozen=True)
class ImportSummary:
    dataset: str
    cases_added: int
    cases_already_there: int
    answers_added: int
    bad_rows: int


def case_id_for(dataset: str, row: HistoryRow) -> str:
    digest = hashlib.sha1(f"{dataset}\0{row.line}\0{row.system or ''}\0{row.prompt}".encode()).hexdigest()[:20]
    return f"{dataset}:{digest}"


def _request_id(case_id: str, model: str) -> str:
    return "imp-" + hashlib.sha1(f"{case_id}\0{model}".encode()).hexdigest()[:28]


def import_history(db: Engine, history: HistoryFile, *, dataset: str, task: str = "", policy_name: str = "imported") -> ImportSummary:
    """Write the file's good rows; rows whose case id is already there are skipped."""
    case_table = HistoryCaseRow.__table__  # type: ignore[attr-defined]
    answer_table = HistoryAnswerRow.__table__  # type: ignore[attr-defined]
    with db.connect() as conn:
        existing = set(conn.execute(select(case_table.c.case_id).where(case_table.c.dataset == dataset)).scalars())
    cases, answers, records = [], [], []
    now = time.time()
    seen: set[str] = set()
    for position, row in enumerate(history.rows):
        case_id = case_id_for(dataset, row)
        if case_id in existing or case_id in seen:
            continue
        seen.add(case_id)
        cases.append({"case_id": case_id, "dataset": dataset, "position": position, "task": task, "prompt": row.prompt,
                      "system": row.system, "reference": row.reference, "metadata_json": metadata_text(row.metadata)})
        started = datetime.fromtimestamp(now, timezone.utc)
        for model, answer in row.answers.items():
            tokens_in, tokens_out, cost = recorded_usage(row.prompt, row.system, answer.text, model)
            request_id = _request_id(case_id, model)
            answers.append({"case_id": case_id, "model": model, "text": answer.text,
                            "judged_correct": None if answer.judged_correct is None else int(answer.judged_correct),
                            "input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost,
                            "request_id": request_id})
            sheet = list_prices(model)
            attempt = AttemptRecord(position=0, model_alias=model, provider="imported", provider_model_id=model,
                                    outcome=Outcome.OK, started_at=started, input_tokens=tokens_in,
                                    output_tokens=tokens_out, tokens_estimated=True, cost_usd=cost,
                                    price_input=sheet.input, price_output=sheet.output,
                                    price_cached_input=sheet.cached_input, price_reasoning=sheet.reasoning)
            records.append(RequestRecord(request_id=request_id, started_at=started, policy_name=policy_name,
                                         policy_hash="", task=task or dataset, task_reason=f"imported from {dataset}",
                                         outcome=Outcome.OK, metadata=dict(row.metadata), answered_by=model,
                                         total_cost_usd=cost, kind="imported", prompt_text=row.prompt,
                                         attempts=[attempt]))
    with db.begin() as conn:
        if cases:
            conn.execute(insert(case_table), cases)
        if answers:
            conn.execute(insert(answer_table), answers)
        # One transaction for cases and their request rows: a crash leaves all of a file or none.
        if records:
            insert_batch(conn, records)
    return ImportSummary(dataset, len(cases), len(history.rows) - len(cases), len(answers), len(history.errors))


def imported_datasets(db: Engine) -> list[tuple[str, int]]:
    """(dataset name, cases) for every imported history."""
    from sqlalchemy import func

    case_table = HistoryCaseRow.__table__  # type: ignore[attr-defined]
    with db.connect() as conn:
        rows = conn.execute(select(case_table.c.dataset, func.count()).group_by(case_table.c.dataset)).all()
    return [(str(name), int(n)) for name, n in rows]
