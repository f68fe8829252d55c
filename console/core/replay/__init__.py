"""What-if replay: run a period of logged production traffic through a draft policy, offline.

* ``traffic``: the period's production requests and their attempts, read in bulk, in time order.
* ``buckets``: token-count breakpoints of a draft, so requests whose plans must agree share one plan.
* ``simulate``: classify, plan (once per group of identical plan inputs) and spend budgets in time order.
* ``evidence``: what the log and the pilots say about a model on a task (failure rate, latency, verdicts).
* ``report``: the replay's findings: routing changes, spend, constraints, exposure, quality, identity.
* ``assess``: tasks ranked by volume and spend, with the savings a cheaper model would bring.

Only reads the log. Front ends reach it through ``console.core.app.replay``.
"""
