"""What-if replay of a draft whose route has a learned router: each logged prompt routed by its own text."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from console.core.app.replay import replay_policy
from console.core.learned_router import router_file
from console.core.learned_router.training import train
from console.core.policy.loader import load_policy_text
from console.core.ledger.store import open_ledger
from console.core.policy.schema import RouterRef
from console.core.replay.simulate import simulate
from console.core.replay.traffic import read_traffic
from tests.core.replay.logs import DAY, POLICY_YAML, T0, attempt, new_log
from tests.support import graded_history


@pytest.fixture(scope="module")
def router_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    full = graded_history.history()
    # the route has two of the three models: a router trained on those two (its operating point is theirs)
    two = type(full)(full.source, ("small", "large"), full.case_ids, full.prompts, full.passed[:, [0, 2]],
                     full.cost_usd[:, [0, 2]])
    router, _ = train(two, seed=2)
    return router_file.save(router, tmp_path_factory.mktemp("routers") / "replay.router")


def test_hard_logged_prompts_move_to_the_strong_model_and_the_rest_stay(router_path: Path, tmp_path: Path) -> None:
    rng = random.Random(5)
    log = new_log(tmp_path)
    hard_ids, easy_ids = [], []
    for i in range(12):
        kind = i % 3 if i < 9 else None  # the last three were logged without their prompt
        prompt = graded_history.prompt(kind, rng) if kind is not None else None
        log.add(f"r{i}", T0 + i, "support", [attempt("mini", T0 + i, inp=100, out=10)], prompt=prompt)
        if kind == 2:
            hard_ids.append(f"r{i}")
        elif kind == 0 or kind is None:  # the small model passes these / no text to route by
            easy_ids.append(f"r{i}")
    url = log.write()
    policy = load_policy_text(POLICY_YAML).policy
    assert policy is not None
    policy.models["mini"].model, policy.models["big"].model = "small", "large"  # the router's names
    policy.classification.rules = []  # every prompt stays on 'support'
    policy.routes["support"].router = RouterRef(file=str(router_path), target=0.95)
    report = replay_policy(policy, url=url, since=T0 - 1, until=T0 + DAY)
    [change] = report.changes
    assert (change.task, change.from_model, change.to_model) == ("support", "mini", "big")
    db = open_ledger(url)
    try:
        traffic = read_traffic(db, since=T0 - 1, until=T0 + DAY)
    finally:
        db.dispose()
    sim = simulate(policy, traffic)
    moved = {rid for rid, first in zip(traffic.request_id, sim.first) if first == "big"}
    assert change.requests == len(moved) and set(hard_ids) <= moved and not moved & set(easy_ids)
    notes = {sim.plans[int(k)].router_note or "" for k in sim.plan_of}
    assert any(n.startswith("ordered by router") for n in notes) and any("no prompt text" in n for n in notes)
