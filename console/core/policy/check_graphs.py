"""Checks over the policy as a graph: reachable tasks, escalation loops, budget fallback loops."""

from __future__ import annotations

from console.core.policy.check_report import CheckReport
from console.core.policy.schema import Budget, Policy


def check_reachability(policy: Policy, report: CheckReport) -> None:
    """A task nothing can send a request to is dead weight, or a rule someone forgot to write."""
    classification = policy.classification
    if classification.method == "model" or classification.honour_task_hint:
        return  # the classifier model may choose any label; a hint may name any task
    reachable = {classification.default} | {rule.task for rule in classification.rules}
    reachable |= {r.confidence.escalate_to for r in policy.routes.values() if r.confidence.escalate_to}
    for task in policy.tasks:
        if task not in reachable:
            report.warn(("tasks", task), f"task '{task}' is unreachable: no rule selects it, it is not the default "
                        "or an escalation target, and task hints are off", code="unreachable-task", found=task,
                        at_key=True)


def check_escalation_loops(policy: Policy, report: CheckReport) -> None:
    """Low-confidence escalation must end somewhere: a → b → a never does."""
    following = {task: route.confidence.escalate_to for task, route in policy.routes.items()}
    reported: set[frozenset[str]] = set()
    for start in policy.routes:
        chain = [start]
        current = following.get(start)
        while current is not None and current in following and current not in chain:
            chain.append(current)
            current = following.get(current)
        if current is None or current not in chain:
            continue
        loop = chain[chain.index(current):]
        key = frozenset(loop)
        if key in reported:
            continue
        reported.add(key)
        first = min(loop, key=list(policy.routes).index)
        cycle = loop[loop.index(first):] + loop[: loop.index(first)] + [first]
        report.add(("routes", first, "confidence", "escalate_to"), "escalation loops: " + " → ".join(cycle),
                   code="escalation-loop", found=following[first], expected="a chain that ends")


def _covers(policy: Policy, budget: Budget, alias: str) -> bool:
    """Whether spend on model ``alias`` counts against ``budget`` by its model/provider scope."""
    scope = budget.scope
    if scope.model is None and scope.provider is None:
        return False  # task/team budgets fall back *within* their scope by design
    model = policy.models.get(alias)
    if model is None:
        return False
    return (scope.model is None or scope.model == alias) and (scope.provider is None or scope.provider == model.provider)


def check_budget_loops(policy: Policy, report: CheckReport) -> None:
    """A budget's fallback must lead out of its own scope, directly or through other budgets' fallbacks."""
    fallbacks = [
        (index, budget) for index, budget in enumerate(policy.budgets)
        if budget.action == "fallback" and budget.fallback_model in policy.models
    ]
    for index, budget in fallbacks:
        assert budget.fallback_model is not None
        chain = [budget.fallback_model]
        while True:
            current = chain[-1]
            if _covers(policy, budget, current):
                words = "falls back into its own scope" if len(chain) == 1 else "fallback chain loops back into its own scope"
                report.add(("budgets", index, "fallback_model"), f"budget '{budget.name}' {words}: "
                           + " → ".join([budget.name, *chain]), code="budget-fallback-loop", found=budget.fallback_model,
                           expected="a model outside the budget's scope")
                break
            following = next(
                (other.fallback_model for _, other in fallbacks if other is not budget and _covers(policy, other, current)),
                None,
            )
            if following is None or following in chain:
                break
            chain.append(following)
