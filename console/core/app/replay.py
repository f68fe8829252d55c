"""What-if replay and assessment: the use cases behind ``routedesk replay``/``assess`` and the window's
What-if tab and Assessment page.

``replay_policy`` runs the period's production traffic through a draft (pure classify + plan,
budgets spent in time order) and reports routing changes, spend, constraints, exposure, pilot
evidence and the identity check. ``assess`` ranks tasks and prices cheaper models with the same
machinery. Both only read the log; a ``progress(stage, fraction)`` that returns False cancels.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable

from console.core.policy.schema import Policy

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from console.core.replay.assess import Assessment
    from console.core.replay.report import ReplayReport

__all__ = ["ReplayCancelled", "assess", "replay_policy", "report_to_json", "swap_bar_yaml"]

Progress = Callable[[str, float], "bool | None"]


class ReplayCancelled(Exception):
    """The replay was cancelled through its progress callback."""


def replay_policy(policy: Policy, *, db: "Engine | None" = None, url: str | None = None, since: float,
                  until: float | None = None, task: str | None = None,
                  progress: Progress | None = None) -> "ReplayReport":
    """Replay ``[since, until)`` of the log (``db``, or opened read-only from ``url``) through ``policy``.

    Raises app.log.LogError when the log cannot be opened, ReplayCancelled when ``progress`` says stop.
    """
    from console.core.app.log import open_log
    from console.core.policy.save import policy_hash
    from console.core.replay import simulate as sim_module
    from console.core.replay.report import build_report
    from console.core.replay.traffic import collector_paused, read_traffic

    end = time.time() if until is None else until
    owned = db is None
    engine = open_log(url) if db is None else db
    try:
        if progress is not None and progress("read", 0.0) is False:
            raise ReplayCancelled("replay cancelled")
        from console.core.replay.classify import meta_keys

        with collector_paused():  # millions of short-lived objects and no cycles among them
            traffic = read_traffic(engine, since=since, until=end, task=task, metadata=bool(meta_keys(policy)))
            try:
                sim = sim_module.simulate(policy, traffic, progress=progress)
            except sim_module.ReplayCancelled as err:
                raise ReplayCancelled(str(err)) from None
            budgets = [(b.name, b.limit_usd, b.period, b.action, b.fallback_model) for b in policy.budgets]
            report = build_report(engine, traffic, sim, since=since, until=end, policy_hash=policy_hash(policy),
                                  budget_plans=budgets)
        if progress is not None:
            progress("done", 1.0)
        return report
    finally:
        if owned:
            engine.dispose()


def assess(policy: Policy, *, db: "Engine | None" = None, url: str | None = None, since: float,
           until: float | None = None, progress: Progress | None = None) -> "Assessment":
    """Tasks ranked by volume and spend, each with cheaper models and their projected monthly saving."""
    from console.core.app.log import open_log
    from console.core.replay import simulate as sim_module
    from console.core.replay.assess import assess_traffic

    end = time.time() if until is None else until
    owned = db is None
    engine = open_log(url) if db is None else db
    try:
        return assess_traffic(policy, engine, since=since, until=end, progress=progress)
    except sim_module.ReplayCancelled as err:
        raise ReplayCancelled(str(err)) from None
    finally:
        if owned:
            engine.dispose()


def swap_bar_yaml(baseline: str) -> str:
    """The bar a pilot of a swap away from ``baseline`` starts with (What-if's and the Assessment's Pilot this swap)."""
    from console.core.replay.assess import swap_bar_yaml as bar

    return bar(baseline)


def report_to_json(report: Any) -> dict[str, Any]:
    """A replay report or assessment as plain JSON-ready data (dataclasses to dicts)."""
    return asdict(report)
