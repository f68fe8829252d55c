"""Shadow cases in the log's pilot tables, and the shadow spend figure.

Each shadowed request becomes one case of the imported-history tables (``ledger/pilots.py``):

* ``history_case``: case id ``shadow:<production request id>``, dataset ``shadow:<route>``; the
  metadata links the production request and the shadow request and keeps the shadow's outcome
  and both latencies (the pilot's latency figures).
  The prompt text is kept here only while the pilot needs it: only when the bar has a judge (the
  assertions never read the prompt), and only until the case is graded (``erase_prompts``);
  ``forget_cases`` deletes a route's collected cases outright (``routedesk pilot --from-shadow
  ROUTE --forget``).
* ``history_answer``: the production answer (model ``production``, the baseline) and the shadow
  model's answer, each with its tokens, cost and request id.

``routedesk pilot --from-shadow`` reads them back as ``PilotCase``s with both answers recorded, so
the pilot code grades them without calling anyone (``cases_from_shadow``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from console.core.ledger.filters import Filters
from console.core.ledger.pilots import HistoryAnswerRow, HistoryCaseRow
from console.core.ledger.queries import Counts, counts
from console.core.pilot.cases import PastAnswer, PilotCase

#: The baseline's name in a shadow pilot: whatever the route answered with in production.
PRODUCTION = "production"
SHADOW_KIND = "shadow"

_CASE = HistoryCaseRow.__table__  # type: ignore[attr-defined]
_ANSWER = HistoryAnswerRow.__table__  # type: ignore[attr-defined]


def dataset_of(route: str) -> str:
    return f"shadow:{route}"


@dataclass(frozen=True)
class CollectedAnswer:
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    request_id: str
    outcome: str = "ok"
    latency_ms: float | None = None


@dataclass(frozen=True)
class ShadowCase:
    """One shadowed request: the production answer, the shadow model's, and (maybe) the prompt."""

    route: str
    position: int
    prompt: str | None
    model: str
    production: CollectedAnswer
    shadow: CollectedAnswer

    @property
    def case_id(self) -> str:
        return f"shadow:{self.production.request_id}"


def save_case(db: Engine, case: ShadowCase) -> None:
    meta = {"request_id": case.production.request_id, "shadow_request_id": case.shadow.request_id,
            f"outcome:{case.model}": case.shadow.outcome,
            **{f"latency_ms:{name}": a.latency_ms for name, a in ((PRODUCTION, case.production), (case.model, case.shadow))
               if a.latency_ms is not None}}
    answers = [(PRODUCTION, case.production), (case.model, case.shadow)]
    with db.begin() as conn:
        conn.execute(insert(_CASE).values(
            case_id=case.case_id, dataset=dataset_of(case.route), position=case.position, task=case.route,
            prompt=case.prompt or "", system=None, reference=None, metadata_json=json.dumps(meta, sort_keys=True)))
        conn.execute(insert(_ANSWER), [
            {"case_id": case.case_id, "model": model, "text": a.text, "judged_correct": None, "input_tokens": a.input_tokens,
             "output_tokens": a.output_tokens, "cost_usd": a.cost_usd, "request_id": a.request_id} for model, a in answers])


def cases_from_shadow(db: Engine, route: str, model: str) -> list[PilotCase]:
    """The route's collected cases that ``model`` shadowed, oldest first, both answers recorded."""
    query = select(_CASE).where(_CASE.c.dataset == dataset_of(route)).order_by(_CASE.c.position)
    with db.connect() as conn:
        rows = conn.execute(query).mappings().all()
        answers: dict[str, dict[str, Any]] = {}
        ids = [r["case_id"] for r in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for a in conn.execute(select(_ANSWER).where(_ANSWER.c.case_id.in_(chunk),
                                                        _ANSWER.c.model.in_((PRODUCTION, model)))).mappings():
                answers.setdefault(a["case_id"], {})[a["model"]] = a
    cases = []
    for row in rows:
        found = answers.get(row["case_id"], {})
        if PRODUCTION not in found or model not in found:
            continue
        meta = json.loads(row["metadata_json"] or "{}")
        outcomes = {PRODUCTION: "ok", model: str(meta.get(f"outcome:{model}", "ok"))}
        recorded = {name: PastAnswer(found[name]["text"], found[name]["input_tokens"], found[name]["output_tokens"],
                                     found[name]["cost_usd"], outcome=outcomes[name],
                                     latency_ms=meta.get(f"latency_ms:{name}")) for name in (PRODUCTION, model)}
        cases.append(PilotCase(row["case_id"], row["prompt"], None, None, {"request_id": meta.get("request_id", "")},
                               recorded))
    return cases


def erase_prompts(db: Engine, case_ids: list[str]) -> int:
    """Blank the prompt text of these cases (graded: the pilot needs it no more); how many had one."""
    total = 0
    with db.begin() as conn:
        for start in range(0, len(case_ids), 500):
            chunk = case_ids[start:start + 500]
            total += conn.execute(update(_CASE).where(_CASE.c.case_id.in_(chunk), _CASE.c.dataset.like("shadow:%"),
                                                      _CASE.c.prompt != "").values(prompt="")).rowcount
    return total


def forget_cases(db: Engine, route: str) -> int:
    """Delete every collected shadow case of ``route``: prompts and both answers. How many cases."""
    ids = select(_CASE.c.case_id).where(_CASE.c.dataset == dataset_of(route))
    with db.begin() as conn:
        conn.execute(delete(_ANSWER).where(_ANSWER.c.case_id.in_(ids)))
        return conn.execute(delete(_CASE).where(_CASE.c.dataset == dataset_of(route))).rowcount


def stored_prompts(db: Engine, route: str) -> int:
    """How many of the route's shadow cases still hold prompt text."""
    with db.connect() as conn:
        rows = conn.execute(select(_CASE.c.case_id).where(_CASE.c.dataset == dataset_of(route), _CASE.c.prompt != ""))
        return len(rows.all())


@dataclass(frozen=True)
class ShadowSpend:
    """What shadow calls cost: today (UTC) and over the last 30 days, and how many calls."""

    route: str | None
    today_usd: float
    month_usd: float
    calls_today: int


def _spent_today(db: Engine, route: str | None, *, day_start: float, now: float) -> Counts:
    return counts(db, Filters(since=day_start, until=now, task=route, kind=SHADOW_KIND))


def spent_today_usd(db: Engine, route: str | None, *, day_start: float, now: float) -> float:
    """Shadow calls' cost since ``day_start``: what a day's cap is seeded from (no 30-day read)."""
    return _spent_today(db, route, day_start=day_start, now=now).cost_usd


def shadow_spend(db: Engine, route: str | None, *, day_start: float, now: float) -> ShadowSpend:
    today = _spent_today(db, route, day_start=day_start, now=now)
    month = counts(db, Filters(since=now - 30 * 86400, until=now, task=route, kind=SHADOW_KIND))
    return ShadowSpend(route, today.cost_usd, month.cost_usd, today.requests)
