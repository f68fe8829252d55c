"""A pilot's set-up and cells in the log (``pilot_run`` / ``pilot_result``), written as they finish.

The bar is stored with the run before the first case is called, so nobody can move it after
seeing the results; a resumed run reads it back from here and refuses a different one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from console.core.ledger.pilots import PilotResultRow, PilotRunRow
from console.core.pilot.cells import Cell

_RUN = PilotRunRow.__table__  # type: ignore[attr-defined]
_RESULT = PilotResultRow.__table__  # type: ignore[attr-defined]


class PilotStoreError(ValueError):
    """A resumed run does not match what was saved (another bar, other models)."""


@dataclass(frozen=True)
class PilotSetup:
    run_id: str
    task: str
    baseline: str
    candidates: tuple[str, ...]
    bar_json: str
    source: dict[str, object]
    name: str = ""


@dataclass(frozen=True)
class SavedRun:
    run_id: str
    ts: float
    name: str
    task: str
    baseline: str
    candidates: tuple[str, ...]
    status: str
    cells: int


def start_or_resume(db: Engine, setup: PilotSetup) -> bool:
    """Save the set-up of a new run; for an existing run id check it matches. True when resuming."""
    with db.begin() as conn:
        row = conn.execute(select(_RUN).where(_RUN.c.run_id == setup.run_id)).mappings().first()
        if row is None:
            conn.execute(insert(_RUN).values(
                run_id=setup.run_id, ts=time.time(), name=setup.name, task=setup.task, baseline=setup.baseline,
                candidates_json=json.dumps(list(setup.candidates)), bar_json=setup.bar_json,
                source_json=json.dumps(setup.source, sort_keys=True), status="running"))
            return False
        if json.loads(row["bar_json"]) != json.loads(setup.bar_json):
            raise PilotStoreError(f"pilot {setup.run_id} was started with another bar; the bar is fixed before a run")
        if row["baseline"] != setup.baseline or json.loads(row["candidates_json"]) != list(setup.candidates):
            raise PilotStoreError(f"pilot {setup.run_id} was started with other models")
        conn.execute(update(_RUN).where(_RUN.c.run_id == setup.run_id).values(status="running"))
        return True


def load_setup(db: Engine, run_id: str) -> PilotSetup:
    with db.connect() as conn:
        row = conn.execute(select(_RUN).where(_RUN.c.run_id == run_id)).mappings().first()
    if row is None:
        raise LookupError(f"no pilot run {run_id!r}")
    return PilotSetup(row["run_id"], row["task"], row["baseline"], tuple(json.loads(row["candidates_json"])),
                      row["bar_json"], json.loads(row["source_json"]), row["name"])


def set_status(db: Engine, run_id: str, status: str) -> None:
    with db.begin() as conn:
        conn.execute(update(_RUN).where(_RUN.c.run_id == run_id).values(status=status))


def save_cells(db: Engine, run_id: str, cells: list[Cell]) -> None:
    if not cells:
        return
    rows = [{"run_id": run_id, "case_id": c.case_id, "model": c.model, "passed": int(c.passed), "outcome": c.outcome,
             "output": c.output, "failures_json": json.dumps(c.failures), "cost_usd": c.cost_usd,
             "judge_cost_usd": c.judge_cost_usd, "latency_ms": c.latency_ms, "input_tokens": c.input_tokens,
             "output_tokens": c.output_tokens, "recorded": int(c.recorded)} for c in cells]
    with db.begin() as conn:
        conn.execute(insert(_RESULT), rows)


def load_cells(db: Engine, run_id: str) -> dict[tuple[str, str], Cell]:
    with db.connect() as conn:
        rows = conn.execute(select(_RESULT).where(_RESULT.c.run_id == run_id)).mappings().all()
    return {(r["case_id"], r["model"]): Cell(
        r["case_id"], r["model"], bool(r["passed"]), r["outcome"], r["output"], json.loads(r["failures_json"]),
        r["cost_usd"], r["judge_cost_usd"], r["latency_ms"], r["input_tokens"], r["output_tokens"], bool(r["recorded"]),
    ) for r in rows}


def list_runs(db: Engine) -> list[SavedRun]:
    from sqlalchemy import func

    counts = select(_RESULT.c.run_id, func.count().label("n")).group_by(_RESULT.c.run_id).subquery()
    query = (select(_RUN, counts.c.n).join(counts, counts.c.run_id == _RUN.c.run_id, isouter=True)
             .order_by(_RUN.c.ts.desc()))
    with db.connect() as conn:
        return [SavedRun(r["run_id"], r["ts"], r["name"], r["task"], r["baseline"], tuple(json.loads(r["candidates_json"])),
                         r["status"], int(r["n"] or 0)) for r in conn.execute(query).mappings()]
