"""What the review says, in order: the seven sections of issue 20 as layout blocks.

Numbers are formatted here and nowhere else, so the HTML and the PDF read the same.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from console.core.review.figures import Review, SpendLine
from console.ui.review.blocks import Block, Bullets, Chart, Heading, Paragraph, Table, Title


def _day(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 1 or value == 0 else f"${value:,.4f}"


def _change(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else "—"
    return f"{(now - before) / before:+.0%}"


def _spend_table(lines: list[SpendLine], months: list[str], first: str) -> Table:
    rows = tuple((line.key, *(_usd(v) for v in line.by_month), _usd(line.cost_usd), _usd(line.previous_usd),
                  _change(line.cost_usd, line.previous_usd)) for line in lines)
    columns = (first, *months, "period", "previous", "change")
    return Table(columns, rows, frozenset(range(1, len(columns))))


def _spend(review: Review, charts: Mapping[str, bytes]) -> list[Block]:
    s = review.spend
    out: list[Block] = [Heading("1. Spend"), Paragraph(
        f"{_usd(s.counts.cost_usd)} over {s.counts.requests:,} production requests ({s.counts.attempts:,} attempts), "
        + (f"against {_usd(s.previous.cost_usd)} in the {review.period.days:.0f} days before "
           f"({_change(s.counts.cost_usd, s.previous.cost_usd)})." if s.previous.requests else
           f"and nothing logged in the {review.period.days:.0f} days before to compare with.")
        + " Each attempt is counted at the price it was charged.")]
    if "spend_task" in charts:
        out.append(Chart(charts["spend_task"], "Spend per day by task; dashed verticals mark a new policy version."))
    out.append(_spend_table(s.by_task, s.months, "task"))
    if "spend_model" in charts:
        out.append(Chart(charts["spend_model"], "Spend per day by model."))
    out.append(_spend_table(s.by_model, s.months, "model"))
    if s.budgets:
        out.append(Table(("budget", "scope", "limit", "most in one period", "periods over"),
                         tuple((b.name, b.scope, f"{_usd(b.limit_usd)} a {b.period}", _usd(b.worst_usd),
                                f"{b.periods_over} of {b.periods} {b.period}s") for b in s.budgets),
                         frozenset({2, 3, 4})))
    else:
        out.append(Paragraph("The policy sets no budgets."))
    return out


def _reliability(review: Review, charts: Mapping[str, bytes]) -> list[Block]:
    r = review.reliability
    out: list[Block] = [Heading("2. Reliability"), Paragraph(
        f"{r.fallback_requests:,} requests fell back to another model. Attempts that failed were billed "
        f"{_usd(r.failed_attempt_cost_usd)} (what the fallbacks cost on top of the answers).")]
    if "failures" in charts:
        out.append(Chart(charts["failures"], "Attempt failure rate by task and model, with the top of its 95% interval."))
    out.append(Table(("task", "model", "attempts", "failed", "rate", "95% interval"), tuple(
        (f.task, f.model, f"{f.trials:,}", f"{f.events:,}", f"{f.rate:.2%}", f"{f.ci_low:.2%} – {f.ci_high:.2%}")
        for f in r.failures), frozenset({2, 3, 4, 5})))
    out.append(Table(("task", "first choice", "requests", "fell back", "rate", "95% interval"), tuple(
        (f.task, f.model, f"{f.trials:,}", f"{f.events:,}", f"{f.rate:.2%}", f"{f.ci_low:.2%} – {f.ci_high:.2%}")
        for f in r.fallbacks), frozenset({2, 3, 4, 5})))
    if r.drift:
        out.append(Paragraph("Drift alerts raised in the period (each week against the four before it):", True))
        out.append(Table(("week ending", "task", "model", "metric", "before", "that week", "p"), tuple(
            (_day(a.week_ending), a.task, a.model, a.metric.replace("_", " "),
             *((f"{a.baseline_value:,.0f} ms", f"{a.recent_value:,.0f} ms") if a.metric == "latency_p95" else
               (f"{a.baseline_value:.1%}", f"{a.recent_value:.1%}")), f"{a.p_value:.1e}") for a in r.drift),
            frozenset({4, 5, 6})))
    else:
        out.append(Paragraph("No drift alert was raised in the period."))
    if r.outages:
        out.append(Table(("provider", "from", "to", "attempts", "failed"), tuple(
            (o.provider, datetime.fromtimestamp(o.start, tz=timezone.utc).strftime("%Y-%m-%d %H:%M"),
             datetime.fromtimestamp(o.end, tz=timezone.utc).strftime("%H:%M UTC"), f"{o.attempts:,}", f"{o.failures:,}")
            for o in r.outages), frozenset({3, 4})))
    out.append(Paragraph(f"Provider outages: {len(r.outages) or 'none'} (an outage here is {r.outage_rule})."))
    if r.outcome_mix:
        out.append(Paragraph("How failed attempts ended: " + ", ".join(f"{o.replace('_', ' ')} {n:,}"
                                                                       for o, n in r.outcome_mix) + "."))
    return out


def _latency(review: Review, charts: Mapping[str, bytes]) -> list[Block]:
    out: list[Block] = [Heading("3. Latency")]
    if "latency" in charts:
        out.append(Chart(charts["latency"], "p50 and p95 of successful attempts by task and model."))
    out.append(Table(("task", "model", "answers", "p50", "p95", "route's p95 target", "meets it"), tuple(
        (line.task, line.stats.model, f"{line.stats.n:,}", f"{line.stats.p50_ms:,.0f} ms", f"{line.stats.p95_ms:,.0f} ms",
         "—" if line.required_p95_ms is None else f"{line.required_p95_ms:,.0f} ms",
         {None: "no target", True: "yes", False: "NO"}[line.meets]) for line in review.latency),
        frozenset({2, 3, 4, 5})))
    return out


def _changes(review: Review) -> list[Block]:
    out: list[Block] = [Heading("4. Policy changes")]
    if not review.versions:
        return out + [Paragraph("No version of the policy was saved in the period.")]
    out.append(Table(("saved", "version", "first traffic", "what moved (from → to)"), tuple(
        (_day(v.saved_at), v.policy_hash[:8], _day(v.first_traffic), "\n".join(v.summary)) for v in review.versions),
        widths=(1.1, 1.0, 1.1, 6.0)))
    return out


def _pilots(review: Review) -> list[Block]:
    out: list[Block] = [Heading("5. Pilots and rollouts")]
    if not review.pilots:
        out.append(Paragraph("No pilot was run in the period."))
    for p in review.pilots:
        out.append(Paragraph(f"Pilot {p.run_id} ({_day(p.ts)}, {p.status}): {p.candidate} against {p.baseline} "
                             f"on {p.task}", True))
        out.append(Bullets(tuple(p.verdict)))
        out.append(Table(("task", "saving projected by the pilot, a month", "saving realised since, a month"), ((
            p.task, _usd(p.projected_month_usd), _usd(p.realised_month_usd)),), frozenset({1, 2})))
        out.append(Paragraph(f"Realised: {p.realised_note}. It is the whole task's change, not the pilot's alone."))
    if not review.rollouts:
        out.append(Paragraph("No staged rollout of this policy moved in the period."))
    for r in review.rollouts:
        out.append(Paragraph(f"Rollout of {r.route}: {r.candidate} in place of {r.replaces}; now {r.state}", True))
        if r.events:
            out.append(Bullets(r.events))
        out.append(Table(("arm", "model", "requests", "failed", "failure rate", "cost per request"), tuple(
            (a.arm, a.model, f"{a.requests:,}", f"{a.failures:,}", f"{a.failure_rate:.2%}", f"${a.cost_per_request:.5f}")
            for a in r.arms), frozenset({2, 3, 4, 5})))
        if r.realised_month_usd is not None:
            out.append(Paragraph(f"Realised: {_usd(r.realised_month_usd)} a month (the baseline arm's cost per request "
                                 f"minus the candidate's, times the candidate's requests, per 30 days of the rollout)."))
    return out


def _prices(review: Review) -> list[Block]:
    out: list[Block] = [Heading("6. Prices and models")]
    if review.prices:
        out.append(Table(("as of", "model", "was", "now", "source"), tuple(
            (p.as_of, p.model, p.old, p.new, p.source) for p in review.prices), widths=(1.0, 1.6, 2.4, 2.4, 1.0)))
    else:
        out.append(Paragraph("No catalogue price changed since the last review (routedesk prices import FILE "
                             "brings LiteLLM's current prices in)."))
    if review.new_models:
        out.append(Paragraph("Catalogue models that fit a task's constraints (context, region) and cost less than "
                             "the model serving it, by the replay of the period's traffic (the three best per task):",
                             True))
        out.append(Table(("task", "model", "instead of", "saves a month", "note"), tuple(
            (m.task, m.model, m.serving, _usd(m.monthly_saving_usd), m.note) for m in review.new_models),
            frozenset({3})))
    return out


def shell_lines(step: str) -> str:
    """A ``routedesk`` command as shell lines, one option a line, each but the last ending `` \\``.

    A table cell wraps long text after a hyphen too ("--" then "baseline" on the next line), and a
    command copied out of the PDF that way no longer runs; lines ended by a backslash paste as one
    command. A closing remark in parentheses goes on a line of its own; anything else is left as is."""
    if not step.startswith("routedesk "):
        return step
    command, remark = step, ""
    if step.endswith(")") and " (" in step:
        cut = step.index(" (")
        command, remark = step[:cut], step[cut + 1:]
    head, *options = command.split(" --")
    return " \\\n".join([head, *(f"  --{option}" for option in options)]) + (f"\n{remark}" if remark else "")


def _recommendations(review: Review) -> list[Block]:
    if not review.recommendations:
        return [Heading("7. Recommendations"), Paragraph("None: the period has no traffic under this policy to "
                                                         "recommend from.")]
    return [Heading("7. Recommendations"), Table(("task", "recommendation", "evidence", "next step"), tuple(
        (r.task, r.action, "\n".join(r.evidence), shell_lines(r.next_step)) for r in review.recommendations),
        widths=(1.1, 1.8, 2.9, 3.4))]


def review_blocks(review: Review, charts: Mapping[str, bytes], *, next_due: str | None = None) -> list[Block]:
    period = review.period
    lines = [f"Policy: {review.policy_name}", f"Period: {period.label} ({_day(period.since)} to {_day(period.until - 1)})",
             f"Generated {datetime.fromtimestamp(review.generated_at, tz=timezone.utc):%Y-%m-%d %H:%M} UTC"]
    if next_due:
        lines.append(f"Next review due: {next_due}")
    spend = review.spend
    against = (f"{_change(spend.counts.cost_usd, spend.previous.cost_usd)} on the period before"
               if spend.previous.requests else "nothing logged in the period before")
    summary = [f"Spend {_usd(spend.counts.cost_usd)} ({against}), {spend.counts.requests:,} requests.",
               f"{len(review.versions)} policy version(s) saved, {len(review.pilots)} pilot verdict(s), "
               f"{len(review.prices)} price change(s), {len(review.reliability.drift)} drift alert(s).",
               *(f"{r.task}: {r.action}" for r in review.recommendations)]
    blocks: list[Block] = [Title(f"Quarterly review: {review.policy_name}", tuple(lines)),
                           Heading("Summary"), Bullets(tuple(summary))]
    blocks += [Paragraph(note, True) for note in review.notes]
    blocks += (_spend(review, charts) + _reliability(review, charts) + _latency(review, charts)
               + _changes(review) + _pilots(review) + _prices(review) + _recommendations(review))
    # a table with no rows is a header on its own: say there is nothing instead
    return [Paragraph("None in the period.") if isinstance(b, Table) and not b.rows else b for b in blocks]
