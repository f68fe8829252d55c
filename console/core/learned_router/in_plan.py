"""A route's ``router:`` entry applied to a plan: candidates reordered by P(pass) and cost.

At the route's target the router file's calibration gives an operating point ``lam``; each kept
candidate the router knows (by alias, or by the provider's model id) scores ``P(pass) - lam × its
relative cost`` and the kept ones go best score first. Candidates the router does not know keep
their static order after those. Each decision's reason gains its probability and score, and the
plan says how the order came about.

A router that cannot be used (missing or broken file, the embedding model gone, a prediction
error) leaves the static order and adds a warning: a request never fails because of its router.
Loaded routers are kept per file and reloaded when the file changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from console.core.learned_router.router_file import RouterFileError, TrainedRouter, load, resolve

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from console.core.policy.schema import Policy, RouterRef
    from console.core.routing.types import CandidateDecision

_log = logging.getLogger(__name__)
_cache: dict[Path, tuple[float, TrainedRouter | str]] = {}
_lock = threading.Lock()


def cached_router(name: str) -> TrainedRouter | str:
    """The router file's contents, or a sentence saying why it cannot be used."""
    try:
        path = resolve(name)
        mtime = path.stat().st_mtime if path.is_file() else -1.0
    except OSError as err:
        return f"router file {name}: {err}"
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        try:
            loaded: TrainedRouter | str = load(path)
        except RouterFileError as err:
            loaded = str(err)
        _cache[path] = (mtime, loaded)
        return loaded


def order_by_router(decisions: list["CandidateDecision"], ref: "RouterRef", prompt: str,
                    policy: "Policy") -> tuple[list["CandidateDecision"], str | None, str | None]:
    """(decisions in the router's order, a note on how, a warning) - the static order and a warning on failure."""
    if not prompt.strip():
        return decisions, f"router {ref.file} not applied: no prompt text to predict from (static order)", None
    router = cached_router(ref.file)
    if isinstance(router, str):
        return decisions, None, f"router not used, static order kept: {router}"
    try:
        probs = router.predict([prompt])[0]
    except Exception as err:  # noqa: BLE001 - whatever breaks in the router, the request goes on
        _log.warning("router %s failed on a prompt: %s", ref.file, err)
        return decisions, None, f"router not used, static order kept: {ref.file}: {type(err).__name__}: {err}"
    return reorder(decisions, router, probs, ref, policy)


def router_columns(router: TrainedRouter, policy: "Policy", aliases: list[str]) -> list[int | None]:
    """Each alias's column in the router: by alias, else by the provider's model id; None when unknown."""
    index = {m: i for i, m in enumerate(router.models)}
    out: list[int | None] = []
    for alias in aliases:
        model = policy.models.get(alias)
        out.append(index.get(alias, index.get(model.model) if model is not None else None))
    return out


def reorder(decisions: list["CandidateDecision"], router: TrainedRouter, probs: "NDArray[np.float64]",
            ref: "RouterRef", policy: "Policy") -> tuple[list["CandidateDecision"], str, None]:
    """The decisions ordered by the router's ``probs`` (one prompt's P(pass) per router model)."""
    lam, met = router.calibration.lam_for(ref.target)
    scored, rest = [], []
    for d, col in zip(decisions, router_columns(router, policy, [d.model for d in decisions])):
        if d.kept and col is not None:
            p, score = float(probs[col]), float(probs[col] - lam * router.rel_cost[col])
            why = (f"{d.reason}; router: P(pass) {p:.2f}, relative cost {router.rel_cost[col]:.2f}, "
                   f"score {score:+.2f}")
            scored.append((score, -router.rel_cost[col], replace(d, reason=why, pass_probability=p)))
        elif col is None and d.kept:
            rest.append(replace(d, reason=f"{d.reason}; not in the router ({ref.file}): after the routed models"))
        else:
            rest.append(d)
    scored.sort(key=lambda item: (-item[0], -item[1]))
    ordered = [item[2] for item in scored] + rest
    ordered = [replace(d, position=i) for i, d in enumerate(ordered)]
    reached = "" if met else " (no operating point reached it on held-out prompts: the most accurate one is used)"
    note = (f"ordered by router {ref.file} ({router.info.get('learner_label', router.learner.kind)}): target "
            f"{ref.target:.0%} of {router.info.get('strongest', 'the strongest model')}'s pass rate{reached} -> "
            f"operating point {lam:.3f}; score = P(pass) - {lam:.3f} x relative cost, best first")
    return ordered, note, None
