"""Semantic checks over a parsed Policy: everything the schema alone cannot see.

The schema says each node is well formed; these checks say the nodes fit together: references
name things that exist, every task is routed and reachable, fallback and escalation chains end,
prices and regexes make sense, providers are reachable without putting a key in the file. Each
check adds located diagnostics to one report, so a single load shows every problem at once.
"""

from __future__ import annotations

from typing import Iterable

from console.core.policy.check_graphs import check_budget_loops, check_escalation_loops, check_reachability
from console.core.policy.check_report import CheckReport
from console.core.policy.check_rollouts import check_rollouts
from console.core.policy.check_router import check_routers
from console.core.policy.check_shadow import check_shadows
from console.core.policy.check_values import check_conditions, check_models, check_providers, check_routes
from console.core.policy.diagnostics import Diagnostic, PathTuple, did_you_mean
from console.core.policy.schema import Policy
from console.core.policy.source_map import SourceMap


def check_policy(policy: Policy, *, source: SourceMap | None = None, file: str = "<policy>") -> list[Diagnostic]:
    """Every semantic problem in ``policy``; located when ``source`` (from the loader) is given."""
    report = CheckReport(file=file, source=source)
    check_case_duplicates(policy, report)
    check_references(policy, report)
    check_providers(policy, report)
    check_models(policy, report)
    check_routes(policy, report)
    check_conditions(policy, report)
    check_budgets(policy, report)
    check_residency(policy, report)
    check_shadows(policy, report)
    check_routers(policy, report)
    check_reachability(policy, report)
    check_escalation_loops(policy, report)
    check_budget_loops(policy, report)
    check_rollouts(policy, report)
    return report.diagnostics


def _unknown(
    report: CheckReport, path: PathTuple, kind: str, name: str | None, known: Iterable[str], *, at_key: bool = False
) -> None:
    names = list(known)
    report.add(
        path, f"unknown {kind} '{name}'", code=f"unknown-{kind}", found=name,
        expected=f"one of the policy's {kind}s: " + (", ".join(names) if names else f"(none defined)"),
        suggestion=did_you_mean(name, names), at_key=at_key,
    )


def check_case_duplicates(policy: Policy, report: CheckReport) -> None:
    """Two names that differ only by case read as one to a person and as two to the router."""
    for section in ("providers", "models", "tasks", "routes", "residency"):
        seen: dict[str, str] = {}
        for name in getattr(policy, section):
            first = seen.setdefault(name.casefold(), name)
            if first != name:
                report.add((section, name), f"duplicate name '{name}': '{first}' differs only by case",
                           code="duplicate-alias", found=name, at_key=True)
    seen_budgets: dict[str, int] = {}
    for index, budget in enumerate(policy.budgets):
        first_index = seen_budgets.setdefault(budget.name.casefold(), index)
        if first_index != index:
            report.add(("budgets", index, "name"), f"duplicate budget name '{budget.name}' (also budgets[{first_index}])",
                       code="duplicate-budget", found=budget.name)


def check_references(policy: Policy, report: CheckReport) -> None:
    """Every name a section uses is defined in the section it points into."""
    providers, models, tasks = policy.providers, policy.models, policy.tasks
    for alias, model in models.items():
        if model.provider not in providers:
            _unknown(report, ("models", alias, "provider"), "provider", model.provider, providers)
    for task in policy.routes:
        if task not in tasks:
            _unknown(report, ("routes", task), "task", task, tasks, at_key=True)
    for task, route in policy.routes.items():
        for index, candidate in enumerate(route.candidates):
            if candidate not in models:
                _unknown(report, ("routes", task, "candidates", index), "model", candidate, models)
        target = route.confidence.escalate_to
        if target is not None and target not in tasks:
            _unknown(report, ("routes", task, "confidence", "escalate_to"), "task", target, tasks)
    for task in tasks:
        if task not in policy.routes:
            report.add(("tasks", task), f"task '{task}' has no route", code="task-without-route", found=task,
                       expected=f"a 'routes: {task}:' entry with candidates", at_key=True)
    classification = policy.classification
    if classification.default not in tasks:
        _unknown(report, ("classification", "default"), "task", classification.default, tasks)
    for index, rule in enumerate(classification.rules):
        if rule.task not in tasks:
            _unknown(report, ("classification", "rules", index, "task"), "task", rule.task, tasks)
    if classification.model is not None and classification.model.model not in models:
        _unknown(report, ("classification", "model", "model"), "model", classification.model.model, models)
    if classification.method == "model" and classification.model is None:
        report.add(("classification", "method"), "method 'model' needs a 'model:' section naming the classifier",
                   code="missing-classifier", found="model", expected="classification.model.model")


def check_budgets(policy: Policy, report: CheckReport) -> None:
    for index, budget in enumerate(policy.budgets):
        where: PathTuple = ("budgets", index)
        scope = budget.scope
        if scope.task is not None and scope.task not in policy.tasks:
            _unknown(report, where + ("scope", "task"), "task", scope.task, policy.tasks)
        if scope.provider is not None and scope.provider not in policy.providers:
            _unknown(report, where + ("scope", "provider"), "provider", scope.provider, policy.providers)
        if scope.model is not None and scope.model not in policy.models:
            _unknown(report, where + ("scope", "model"), "model", scope.model, policy.models)
        if budget.action == "fallback" and budget.fallback_model is None:
            report.add(where + ("action",), "action 'fallback' needs a 'fallback_model'", code="fallback-without-model",
                       found="fallback", expected="fallback_model: <a model alias>")
        if budget.fallback_model is not None:
            if budget.fallback_model not in policy.models:
                _unknown(report, where + ("fallback_model",), "model", budget.fallback_model, policy.models)
            elif budget.action != "fallback":
                report.warn(where + ("fallback_model",), f"fallback_model is ignored when action is '{budget.action}'",
                            code="fallback-model-ignored", found=budget.fallback_model)


def check_residency(policy: Policy, report: CheckReport) -> None:
    regions = {model.region for model in policy.models.values()}
    for name, rule in policy.residency.items():
        if not rule.allow:
            report.add(("residency", name, "allow"), f"residency rule '{name}' allows no region at all",
                       code="residency-allows-nothing", found="[]", expected="at least one region, e.g. [eu, on-prem]")
        elif policy.models and not regions.intersection(rule.allow):
            report.warn(("residency", name, "allow"),
                        f"no model of this policy is in {', '.join(rule.allow)}: requests from '{name}' can never be served",
                        code="residency-unservable", found=", ".join(rule.allow))
