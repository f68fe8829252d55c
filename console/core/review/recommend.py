"""Section 7 and the new-models half of section 6, from the assessment (``replay.assess``: savings
are the replay of the period's traffic with the cheaper model first) and the period's drift alerts.

Per task: "investigate failure drift" when the model serving it drifted worse on failures in the
period; else "pilot X (saves about $N a month at current volume)" for the cheapest policy model
worth at least ``WORTH_USD`` a month; else "keep". Each says what it rests on and the next step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.core.review.figures import DriftAlert, NewModelLine, PilotLine, Recommendation

if TYPE_CHECKING:
    from console.core.replay.assess import Assessment

WORTH_USD = 1.0  # a month: below this a pilot costs more attention than it saves


def new_models(assessment: "Assessment", newly_priced: set[str], *, per_task: int = 3) -> list[NewModelLine]:
    """The catalogue models that would save the most on each task (the ``per_task`` best)."""
    out = []
    for task in assessment.tasks:
        found = [c for c in task.candidates if c.source == "catalogue" and c.monthly_saving_usd > 0]
        for c in sorted(found, key=lambda c: -c.monthly_saving_usd)[:per_task]:
            note = "new to the catalogue since the last review" if c.model in newly_priced else "in the catalogue"
            out.append(NewModelLine(task.task, c.model, task.serving, c.monthly_saving_usd, note))
    return sorted(out, key=lambda line: (line.task, -line.monthly_saving_usd))


def recommendations(assessment: "Assessment", drift: list[DriftAlert],
                    pilots: list[PilotLine]) -> list[Recommendation]:
    out = []
    for task in sorted(assessment.tasks, key=lambda t: -t.spend_usd):
        evidence = [f"{task.requests:,} requests, ${task.spend_usd:,.2f} ({task.spend_share:.0%} of spend); "
                    f"{task.serving} answers {task.serving_share:.0%}"]
        drifted = [a for a in drift if a.task == task.task and a.model == task.serving and a.metric == "failure_rate"]
        if drifted:
            alert = drifted[-1]
            evidence.append(f"failure rate of {task.serving} rose from {alert.baseline_value:.1%} to "
                            f"{alert.recent_value:.1%} (p = {alert.p_value:.1e})")
            out.append(Recommendation(task.task, "investigate failure drift", evidence,
                                      f"routedesk log --task {task.task} --model {task.serving} --failed --since 7d "
                                      "(or the Dashboards page's drift list)"))
            continue
        worth = [c for c in task.candidates if c.source == "policy" and c.monthly_saving_usd >= WORTH_USD]
        if worth:
            best = worth[0]
            action = f"pilot {best.model} (saves about ${best.monthly_saving_usd:,.0f} a month at current volume)"
            evidence.append(f"replaying the period with {best.model} first: ${best.monthly_saving_usd:,.2f} a month "
                            f"less; {best.exposure.evidence if best.exposure else 'no evidence'} on this task")
            passed = [p for p in pilots if p.task == task.task and p.candidate == best.model]
            if passed:
                evidence.append(f"pilot {passed[-1].run_id}: {passed[-1].verdict[0]}")
                if passed[-1].meets_bar:
                    action = f"switch to {best.model} (piloted; saves about ${best.monthly_saving_usd:,.0f} a month)"
            out.append(Recommendation(task.task, action, evidence, best.pilot_command or "the Assessment page"))
            continue
        evidence.append("no model of the policy would serve it for less without evidence against it")
        out.append(Recommendation(task.task, "keep", evidence, "nothing to do until the next review"))
    return out
