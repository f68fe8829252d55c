"""What is known about a model on a task: its failure rate (Wilson 95%) and latency from the log, and
the latest pilot that tried it against the model it would replace. No history is "no evidence",
never a perfect record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, func, select

from console.core.ledger.pilots import PilotResultRow, PilotRunRow
from console.core.ledger.stats import wilson_interval
from console.core.replay.traffic import LoggedTraffic

_RUN = PilotRunRow.__table__  # type: ignore[attr-defined]
_RESULT = PilotResultRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Exposure:
    """A model's record on a task in the period (attempts, failures, latency of successful ones)."""

    task: str
    model: str
    attempts: int
    failures: int
    failure_rate: float | None
    failure_ci: tuple[float, float] | None
    p50_ms: float | None
    p95_ms: float | None

    @property
    def evidence(self) -> str:
        return "no evidence" if self.attempts == 0 else f"{self.attempts} attempts"


@dataclass(frozen=True)
class PilotEvidence:
    """The latest pilot of a swap: pass counts of the baseline and the candidate on the same cases."""

    run_id: str
    status: str
    baseline_passed: int
    baseline_cases: int
    candidate_passed: int
    candidate_cases: int

    @property
    def summary(self) -> str:
        return (f"pilot {self.run_id} ({self.status}): candidate passed {self.candidate_passed}/{self.candidate_cases}, "
                f"baseline {self.baseline_passed}/{self.baseline_cases}")


def exposures(traffic: LoggedTraffic, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Exposure]:
    """Exposure of each (task, model) in ``pairs``, from the period's attempts (the logged task)."""
    task_codes, tasks = traffic.factorized("task")
    model_codes, models = traffic.factorized("att_model")
    pair_codes = task_codes[traffic.att_req] * max(len(models), 1) + model_codes if len(traffic.att_req) else model_codes
    task_at = {t: k for k, t in enumerate(tasks)}
    model_at = {m: k for k, m in enumerate(models)}
    out = {}
    for task, model in pairs:
        if task in task_at and model in model_at:
            idx = np.flatnonzero(pair_codes == task_at[task] * len(models) + model_at[model])
        else:
            idx = np.zeros(0, dtype=np.int64)
        attempts = len(idx)
        failures = int((traffic.att_ok[idx] == 0).sum()) if attempts else 0
        ok_lat = traffic.att_latency[idx][traffic.att_ok[idx] == 1] if attempts else np.zeros(0)
        out[(task, model)] = Exposure(
            task, model, attempts, failures, failures / attempts if attempts else None,
            wilson_interval(failures, attempts) if attempts else None,
            float(np.percentile(ok_lat, 50)) if len(ok_lat) else None,
            float(np.percentile(ok_lat, 95)) if len(ok_lat) else None)
    return out


def latest_pilot(db: Engine, task: str, baseline: str, candidate: str) -> PilotEvidence | None:
    """The newest pilot run on ``task`` with ``baseline`` and ``candidate`` among its models, if any."""
    with db.connect() as conn:
        runs = conn.execute(select(_RUN.c.run_id, _RUN.c.status, _RUN.c.candidates_json)
                            .where(_RUN.c.task == task, _RUN.c.baseline == baseline)
                            .order_by(_RUN.c.ts.desc())).all()
        for run_id, status, candidates_json in runs:
            if candidate not in json.loads(candidates_json or "[]"):
                continue
            counts = dict(((m, (int(p or 0), int(n))) for m, p, n in conn.execute(
                select(_RESULT.c.model, func.sum(_RESULT.c.passed), func.count())
                .where(_RESULT.c.run_id == run_id).group_by(_RESULT.c.model))))
            base, cand = counts.get(baseline, (0, 0)), counts.get(candidate, (0, 0))
            return PilotEvidence(run_id, status, base[0], base[1], cand[0], cand[1])
    return None
