"""Graded history: for each prompt, which models passed. What a router is trained and evaluated on.

Three sources give the same shape:

* an imported history (``routedesk import``) or a dataset file read directly: each recorded answer's
  grade is the history's own verdict (``judged_correct``), or, with a quality bar, the bar's
  assertions applied to the recorded answer text (GSM8K's numeric bar);
* a finished pilot: its cells' pass/fail under the pilot's bar, with the prompts of its cases.

A prompt is kept only when every model asked for has a grade, so each model is judged on the same
prompts. Costs are the recorded answers' costs (list prices, estimated tokens); a model with no
price anywhere gets cost 0 and the caller ranks costs by the order the models were named.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from sqlalchemy import Engine

    from console.core.pilot.bar import QualityBar
    from console.core.pilot.cases import PilotCase


class GradedHistoryError(ValueError):
    """The history cannot train or evaluate a router; the message says what is missing."""


@dataclass(frozen=True)
class GradedHistory:
    """Attributes:
        source: a sentence naming where it came from.
        models: the model names, in the order asked for.
        case_ids / prompts: one per kept prompt.
        passed: (prompts × models) 0/1.
        cost_usd: (prompts × models) each answer's recorded cost.
        skipped: prompts dropped because a model had no grade for them.
    """

    source: str
    models: tuple[str, ...]
    case_ids: tuple[str, ...]
    prompts: tuple[str, ...]
    passed: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.prompts)


def prompt_key(prompt: str) -> str:
    """A short digest of a prompt: the router file lists its training prompts by these, not by text."""
    return hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:16]


def _grade(case: "PilotCase", model: str, bar: "QualityBar | None") -> bool | None:
    from console.core.pilot.assertions import Answer, check_all

    past = case.recorded.get(model)
    if past is None:
        return None
    if bar is not None and past.text:
        return not check_all(bar.assertions, Answer(past.text, None, past.cost_usd), case.reference)
    return past.judged_correct


def from_cases(cases: Iterable["PilotCase"], models: Sequence[str], *, source: str,
               bar: "QualityBar | None" = None) -> GradedHistory:
    """The graded history of recorded answers; GradedHistoryError when a model never appears."""
    ids, prompts, passed, costs = [], [], [], []
    skipped, seen = 0, {m: 0 for m in models}
    for case in cases:
        grades = [_grade(case, m, bar) for m in models]
        for m, g in zip(models, grades):
            seen[m] += g is not None
        if any(g is None for g in grades):
            skipped += 1
            continue
        ids.append(case.case_id)
        prompts.append(case.prompt if not case.system else f"{case.system}\n{case.prompt}")
        passed.append([float(bool(g)) for g in grades])
        costs.append([case.recorded[m].cost_usd for m in models])
    return _checked(GradedHistory(source, tuple(models), tuple(ids), tuple(prompts), _matrix(passed, len(models)),
                                  _matrix(costs, len(models)), skipped), seen)


def from_pilot(db: "Engine", run_id: str, models: Sequence[str] | None = None) -> GradedHistory:
    """A pilot's cells as a graded history (the pilot's bar decided each pass)."""
    from console.core.pilot.store import load_cells, load_setup

    setup = load_setup(db, run_id)
    names = tuple(models or (setup.baseline, *setup.candidates))
    cells = load_cells(db, run_id)
    prompts = _pilot_prompts(db, setup.source, {case_id for case_id, _ in cells})
    ids, texts, passed, costs = [], [], [], []
    skipped, seen = 0, {m: 0 for m in names}
    for case_id in sorted({c for c, _ in cells}):
        row = [cells.get((case_id, m)) for m in names]
        for m, cell in zip(names, row):
            seen[m] += cell is not None
        if any(cell is None for cell in row) or case_id not in prompts:
            skipped += 1
            continue
        ids.append(case_id)
        texts.append(prompts[case_id])
        passed.append([float(cell.passed) for cell in row if cell is not None])
        costs.append([cell.cost_usd for cell in row if cell is not None])
    return _checked(GradedHistory(f"pilot {run_id}", names, tuple(ids), tuple(texts), _matrix(passed, len(names)),
                                  _matrix(costs, len(names)), skipped), seen)


def _pilot_prompts(db: "Engine", source: dict[str, object], case_ids: set[str]) -> dict[str, str]:
    """The prompt of each case: from the imported or shadow-collected cases in the log, the dataset
    file the pilot read, or the logged request (``log:<request id>``) that kept its text."""
    from sqlalchemy import select

    from console.core.ledger.pilots import HistoryCaseRow
    from console.core.ledger.tables import request_table

    cases_t = HistoryCaseRow.__table__  # type: ignore[attr-defined]
    wanted = sorted(case_ids)
    found: dict[str, str] = {}
    with db.connect() as conn:
        for start in range(0, len(wanted), 500):
            query = select(cases_t.c.case_id, cases_t.c.prompt, cases_t.c.system).where(
                cases_t.c.case_id.in_(wanted[start:start + 500]))
            found.update({cid: (prompt if not system else f"{system}\n{prompt}") for cid, prompt, system in conn.execute(query)})
        req = request_table()
        logged = [c[4:] for c in wanted if c.startswith("log:") and c not in found]
        for start in range(0, len(logged), 500):
            query = select(req.c.request_id, req.c.prompt_text).where(req.c.request_id.in_(logged[start:start + 500]))
            found.update({f"log:{rid}": text for rid, text in conn.execute(query) if text})
    if "dataset" in source and len(found) < len(case_ids):
        from console.core.pilot.cases import cases_from_dataset

        cases, _ = cases_from_dataset(str(source["dataset"]))
        found.update({c.case_id: (c.prompt if not c.system else f"{c.system}\n{c.prompt}")
                      for c in cases if c.case_id in case_ids and c.case_id not in found})
    return found


def _matrix(rows: list[list[float]], width: int) -> NDArray[np.float64]:
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width)


def _checked(history: GradedHistory, seen: dict[str, int]) -> GradedHistory:
    never = [m for m, n in seen.items() if n == 0]
    if never:
        raise GradedHistoryError(f"{history.source}: no graded answers from {', '.join(never)} "
                                 f"(models with grades there: {', '.join(m for m, n in seen.items() if n) or 'none'})")
    if len(history) == 0:
        raise GradedHistoryError(f"{history.source}: no prompt has a grade from every one of {', '.join(history.models)}")
    return history
