"""The assessment: which tasks carry the volume and the spend, and what a cheaper model would save.

For each task: the model now serving most of it, its share of spend, and every model of the policy
that would cost less per request at the task's logged token counts. Each candidate's saving is the
replay of a draft with that candidate first on the task's route (``simulate``, the same machinery
as ``routedesk replay``), scaled to a 30-day month. A task served by the policy's most expensive
tier, with a large share of traffic and a cheaper candidate, is flagged "over-served?".
Candidates come from the policy's own models and from the price catalogue (bundled and user price
files). A catalogue model is offered only where its entry says it fits the task (context window for
the largest logged prompt, region allowed for the route and every region the task's requests are
tagged with); its saving is the replay of the policy with it added under the serving model's
provider, at catalogue prices, and it has no evidence: it must be added to the policy to be piloted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sqlalchemy import Engine

from console.core.pilot.route_edit import candidate_first
from console.core.policy.prices import CatalogueFacts, PriceTable, bundled_price_table, user_price_table
from console.core.policy.schema import Model, Policy
from console.core.pricing import PriceSheet, cost_usd
from console.core.replay.evidence import Exposure, PilotEvidence, exposures, latest_pilot
from console.core.replay.simulate import ReplayCancelled, draft_prices, simulate
from console.core.replay.traffic import LoggedTraffic, read_traffic

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
    source: str = "policy"  # or "catalogue": not a model of the policy yet
    note: str = ""


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


def swap_bar_yaml(baseline: str) -> str:
    """The bar a pilot of a swap away from ``baseline`` starts with (the one place it is written)."""
    return ("judge: {model: %s, against: baseline}\nrule: {relative_to_baseline: 0.95}\n" % baseline)


CATALOGUE_NOTE = "from the price catalogue: add it to the policy's models (with its provider) to route or pilot it"


def catalogue() -> PriceTable:
    """The bundled price table with the user's price file over it (prices and facts both)."""
    bundled, user = bundled_price_table(), user_price_table()
    return PriceTable({**bundled.entries, **user.entries}, user.origin, (), {**bundled.facts, **user.facts})


def fits(policy: Policy, task: str, facts: CatalogueFacts, traffic: LoggedTraffic) -> bool:
    """Whether a catalogue model would be planned for every logged request of ``task`` (the planner's checks)."""
    route = policy.routes[task]
    if facts.context_window is None:
        return False  # the entry does not say: it cannot be shown to fit
    largest = int(traffic.prompt_tokens.max()) if len(traffic) else 0
    if largest + route.max_output_tokens > facts.context_window:
        return False
    if route.regions is not None and facts.region not in route.regions:
        return False
    if route.on_prem_only and facts.region != "on-prem":
        return False
    return all(facts.region in policy.allowed_regions_for(region) for region in set(traffic.region) if region)


def _with_catalogue_model(policy: Policy, model_id: str, serving: str, table: PriceTable) -> tuple[Policy, str]:
    """``policy`` with ``model_id`` added as an alias (named after it) at catalogue prices."""
    alias = model_id if model_id not in policy.models else f"{model_id} (catalogue)"
    facts = table.facts[model_id]
    draft = policy.model_copy(deep=True)
    draft.models[alias] = Model(provider=policy.models[serving].provider, model=model_id,
                                prices=table.entries[model_id], region=facts.region,
                                context_window=facts.context_window or 1)
    return draft, alias


def assess_traffic(policy: Policy, db: Engine, *, since: float, until: float,
                   progress: Callable[[str, float], object] | None = None,
                   price_catalogue: PriceTable | None = None) -> Assessment:
    """Tasks ranked by volume and spend (``price_catalogue``: the bundled and user price files unless given)."""
    table = catalogue() if price_catalogue is None else price_catalogue
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
                                        latest_pilot(db, task, serving, alias), command, swap_bar_yaml(serving)))
        if task in policy.routes and serving in prices:
            candidates.extend(_catalogue_candidates(policy, task, serving, traffic, table, months,
                                                    per_request(serving), (mean_in, mean_out)))
        candidates.sort(key=lambda c: -c.monthly_saving_usd)
        over = (tiers.get(serving, 0.0) >= top_tier > 0 and len(traffic) >= HIGH_VOLUME_SHARE * total_requests
                and any(c.monthly_saving_usd > 0 for c in candidates))
        out.append(TaskAssessment(task, len(traffic), spend, spend / total_spend if total_spend else 0.0, serving,
                                  served / max(sum(answered.values()), 1), over, candidates))
    out.sort(key=lambda t: (not t.over_served, -t.requests, -t.spend_usd))
    return Assessment(since, until, total_requests, total_spend, out)


def _catalogue_candidates(policy: Policy, task: str, serving: str, traffic: LoggedTraffic, table: PriceTable,
                          months: float, serving_cost: float, means: tuple[float, float]) -> list[Candidate]:
    """Catalogue models not in the policy that fit ``task`` and cost less a request, each replayed."""
    in_policy = {model.model for model in policy.models.values()}
    out = []
    for model_id in sorted(table.facts):
        if model_id in in_policy or model_id not in table.entries:
            continue
        sheet = PriceSheet.from_prices(table.entries[model_id])
        if cost_usd(sheet, input_tokens=int(means[0]), output_tokens=int(means[1])) >= serving_cost:
            continue
        if not fits(policy, task, table.facts[model_id], traffic):
            continue
        draft, alias = _with_catalogue_model(policy, model_id, serving, table)
        sim = simulate(candidate_first(draft, task, alias), traffic)
        saving = (float(traffic.cost.sum()) - float(sim.projected.sum())) / months if months > 0 else 0.0
        out.append(Candidate(model_id, saving, int(sim.estimated_output.sum()), None, None, "",
                             swap_bar_yaml(serving), source="catalogue", note=CATALOGUE_NOTE))
    return out
