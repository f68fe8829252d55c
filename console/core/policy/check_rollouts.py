"""Checks of a route's ``rollout:`` that the schema alone cannot see: the models it names fit the route.

A rollout moves a route's traffic from one of its candidates (``replaces``, A) to a model of the
policy (``candidate``, B). Naming a model the policy lacks, an A that is not on the route, or B
taking its own place would route nothing as written, so each is an error with its location.
"""

from __future__ import annotations

from console.core.policy.check_report import CheckReport
from console.core.policy.diagnostics import did_you_mean
from console.core.policy.schema import Policy


def check_rollouts(policy: Policy, report: CheckReport) -> None:
    models = list(policy.models)
    for task, route in policy.routes.items():
        rollout = route.rollout
        if rollout is None:
            continue
        where = ("routes", task, "rollout")
        if rollout.candidate not in policy.models:
            report.add(where + ("candidate",), f"unknown model '{rollout.candidate}'", code="unknown-model",
                       found=rollout.candidate, expected="one of the policy's models: " + ", ".join(models),
                       suggestion=did_you_mean(rollout.candidate, models))
        if rollout.replaces not in route.candidates:
            report.add(where + ("replaces",), f"'{rollout.replaces}' is not a candidate of route '{task}'",
                       code="rollout-replaces-unknown", found=rollout.replaces,
                       expected="one of the route's candidates: " + ", ".join(route.candidates),
                       suggestion=did_you_mean(rollout.replaces, route.candidates))
        if rollout.candidate == rollout.replaces:
            report.add(where + ("candidate",), f"the rollout's candidate '{rollout.candidate}' would replace itself",
                       code="rollout-replaces-itself", found=rollout.candidate,
                       expected=f"a model other than '{rollout.replaces}'")
        if rollout.steps[-1] < 100:
            report.warn(where + ("steps",), f"the last step is {rollout.steps[-1]:g}%: the rollout never moves the "
                        "whole route to the candidate", code="rollout-never-complete", found=f"{rollout.steps[-1]:g}")
