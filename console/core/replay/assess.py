"""The assessment: which tasks carry the volume and the spend, and what a cheaper model would save.

For each task: the model now serving most of it, its share of spend, and every model of the policy
that would cost less per request at the task's logged token counts. Each candidate's saving is the
replay of a draft with that candidate first on the task's route (``simulate``, the same machinery
as ``routedesk replay``), scaled to a 30-day month. A task served by the policy's most expensive
tier, with a large share of traffic and a cheaper candidate, is flagged "over-served?".
Candidates come from the policy's own models: a catalogue model must be added to the policy (with
its provider) before it can be routed to, so the assessment does not offer one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sqlalchemy import Engine

from console.core.pilot.route_edit import candidate_first
from console.core.policy.schema import Policy
from console.core.pricing import cost_usd
from console.core.replay.evidence import Exposure, PilotEvidence, exposures, latest_pilot
from console.core.replay.simulate import ReplayCancelled, draft_prices, simulate
from console.core.replay.traffic import read_traffic

MONTH_S = 30 * 86400
HIGH_VOLUME_SHARE = 0.10  # a task with at least this share of requests is "high volume"


@dataclass
class Candidate:
    model: str
    monthly_saving_usd: float
    estimated_output: int  # requests whose projection took the logged answer's output tokens
    exposure: Exposure | None
    pilot: PilotEvidence | None
    pilot_command: str
    bar_yaml: str


@dataclass
class TaskAssessment:
    task: str
    requests: int
    spend_usd: float
    spend_share: float
    serving: str
    serving_share: float  # of the task's answered requests
    over_served: bool
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class Assessment:
    since: float
    until: float
    requests: int
    spend_usd: float
    tasks: list[TaskAssessment]


def _bar_yaml(serving: str) -> str:
    return ("judge: {model: %s, against: baseline}\nrule: {relative_to_baseline: 0.95}\n" % serving)


def assess_traffic(policy: Policy, db: Engine, *, since: float, until: float,
                   progress: Callable[[str, float], object] | None = None) -> Assessment:
    prices = draft_prices(policy)
    months = (until - since) / MONTH_S
    everything = read_traffic(db, since=since, until=until)
    total_requests, total_spend = len(everything), float(everything.cost.sum())
    tiers = {alias: sheet.input + sheet.output for alias, sheet in prices.items()}
    top_tier = max(tiers.values(), default=0.0)
    tasks = sorted(set(everything.task), key=lambda t: -everything.cost[np.array(everything.task) == t].sum())
    out = []
    for n, task in enumerate(tasks):
        if progress is not None and progress("assess", n / max(len(tasks), 1)) is False:
            raise ReplayCancelled("assessment cancelled")
        traffic = read_traffic(db, since=since, until=until, task=task)
        answered = Counter(traffic.att_model[a] for a in np.flatnonzero(traffic.att_ok == 1).tolist())
        serving, served = answered.most_common(1)[0] if answered else (traffic.first_model[0], 0)
        spend = float(traffic.cost.sum())
        mean_in = float(traffic.in_tokens.mean()) if len(traffic) else 0.0
        mean_out = float(traffic.out_tokens.mean()) if len(traffic) else 0.0

        def per_request(alias: str) -> float:
            return cost_usd(prices[alias], input_tokens=int(mean_in), output_tokens=int(mean_out))

        cheaper = [alias for alias in prices if alias != serving and serving in prices
                   and per_request(alias) < per_request(serving)] if task in policy.routes else []
        found = exposures(traffic, {(task, alias) for alias in cheaper})
        candidates = []
        for alias in sorted(cheaper, key=per_request):
            sim = simulate(candidate_first(policy, task, alias), traffic)
            saving = (float(traffic.cost.sum()) - float(sim.projected.sum())) / months if months > 0 else 0.0
            command = (f"routedesk pilot --task {task} --baseline {serving} --candidate {alias} --from-log "
                       f"--since 30d --bar bar-{task}-{alias}.yaml")
            candidates.append(Candidate(alias, saving, int(sim.estimated_output.sum()), found.get((task, alias)),
                                        latest_pilot(db, task, serving, alias), command, _bar_yaml(serving)))
        candidates.sort(key=lambda c: -c.monthly_saving_usd)
        over = (tiers.get(serving, 0.0) >= top_tier > 0 and len(traffic) >= HIGH_VOLUME_SHARE * total_requests
                and any(c.monthly_saving_usd > 0 for c in candidates))
        out.append(TaskAssessment(task, len(traffic), spend, spend / total_spend if total_spend else 0.0, serving,
                                  served / max(sum(answered.values()), 1), over, candidates))
    out.sort(key=lambda t: (not t.over_served, -t.requests, -t.spend_usd))
    return Assessment(since, until, total_requests, total_spend, out)
