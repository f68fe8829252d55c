"""How ``routedesk replay`` and ``routedesk assess`` print: text, JSON and spreadsheet-safe CSV,
the period arguments they share, and progress lines on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable

CHANGE_COLUMNS = ("task", "from_model", "to_model", "requests", "share", "actual_usd", "projected_usd",
                  "estimated_output", "failure_rate", "failure_ci_low", "failure_ci_high", "p50_ms", "p95_ms",
                  "evidence", "expected_fallbacks", "fallback_extra_usd", "quality", "examples")


class PeriodError(ValueError):
    """--since/--until cannot be read."""


def add_period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="30d", help="how far back: 7d, 30d, ... or a UTC date/time (default 30d)")
    parser.add_argument("--until", default=None, help="end of the period: a UTC date/time or how long ago (default now)")


def parse_moment(text: str, now: float) -> float:
    """'7d' (that long before now) or an ISO date/time (UTC unless it names a zone) → epoch seconds."""
    from console.core.ledger.filters import DurationError, parse_duration

    try:
        return now - parse_duration(text)
    except DurationError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"not a duration or a date: {text!r} (use 30d, 2026-11-01 or 2026-11-01T12:00)") from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def period(args: argparse.Namespace) -> tuple[float, float]:
    now = time.time()
    until = parse_moment(args.until, now) if args.until else now
    since = parse_moment(args.since, until)  # a duration counts back from the end of the period
    if since >= until:
        raise PeriodError(f"--since ({_iso(since)}) must be before --until ({_iso(until)})")
    return since, until


def stderr_progress(label: str) -> Callable[[str, float], bool]:
    """Print each stage once on stderr (and its share done on a terminal), so long replays show life."""
    shown: dict[str, int] = {}

    def progress(stage: str, fraction: float) -> bool:
        percent = int(fraction * 100)
        if stage not in shown or (sys.stderr.isatty() and percent >= shown[stage] + 10):
            shown[stage] = percent
            print(f"{label}: {stage} {percent}%", file=sys.stderr, flush=True)
        return True

    return progress


def run_over_period(args: argparse.Namespace, label: str,
                    work: Callable[[Any, float, float, Callable[[str, float], bool]], Any]) -> Any:
    """Load ``args.policy``, read the period, run ``work(policy, since, until, progress)`` over the log.

    What ``replay`` and ``assess`` share: the result, or the exit code (an int) after printing why.
    """
    from sqlalchemy.exc import DatabaseError

    from console.cli.commands.log import print_read_error
    from console.cli.policy_args import load_policy_arg
    from console.core.app import LogError

    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    try:
        since, until = period(args)
    except PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return work(loaded[0], since, until, stderr_progress(label))
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        return print_read_error(args.db, exc)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _quality(change: Any) -> str:
    if change.to_model == "(blocked)":
        return ""
    return change.pilot.summary if change.pilot is not None else "untested swap"


def change_rows(report: Any) -> list[dict[str, Any]]:
    rows = []
    for c in report.changes:
        exp = c.exposure
        rows.append({
            "task": c.task, "from_model": c.from_model, "to_model": c.to_model, "requests": c.requests,
            "share": round(c.share, 6), "actual_usd": round(c.actual_usd, 8), "projected_usd": round(c.projected_usd, 8),
            "estimated_output": c.estimated_output,
            "failure_rate": None if exp is None or exp.failure_rate is None else round(exp.failure_rate, 6),
            "failure_ci_low": None if exp is None or exp.failure_ci is None else round(exp.failure_ci[0], 6),
            "failure_ci_high": None if exp is None or exp.failure_ci is None else round(exp.failure_ci[1], 6),
            "p50_ms": None if exp is None or exp.p50_ms is None else round(exp.p50_ms, 1),
            "p95_ms": None if exp is None or exp.p95_ms is None else round(exp.p95_ms, 1),
            "evidence": "" if exp is None else exp.evidence,
            "expected_fallbacks": None if c.expected_fallbacks is None else round(c.expected_fallbacks, 2),
            "fallback_extra_usd": None if c.fallback_extra_usd is None else round(c.fallback_extra_usd, 8),
            "quality": _quality(c), "examples": " ".join(c.examples)})
    return rows


def _est(count: int) -> str:
    return f"  [{count} req. with output tokens from the task's logged output]" if count else ""


def print_replay(report: Any, out: Callable[[str], None] = print) -> None:
    s = report.spend
    pct = (100 * s.change_usd / s.actual_usd) if s.actual_usd else 0.0
    out(f"Replay {_iso(report.since)} → {_iso(report.until)} UTC: {report.requests} production requests "
        f"(draft {report.policy_hash})")
    out(f"  spend: actual ${s.actual_usd:.6f}, projected ${s.projected_usd:.6f} ({s.change_usd:+.6f}, {pct:+.1f}%)"
        f"{_est(s.estimated_output)}")
    out(f"  {report.changed_requests} requests change route; {report.reclassified} reclassified from stored prompts; "
        f"{report.kept_logged_task} kept their logged task (no stored prompt for a text rule)")
    if report.changes:
        out("\nRouting changes (task: logged first choice → draft's first choice)")
        for c, row in zip(report.changes, change_rows(report)):
            risk = ("no evidence" if row["failure_rate"] is None else
                    f"fails {100 * row['failure_rate']:.1f}% [{100 * row['failure_ci_low']:.1f}–"
                    f"{100 * row['failure_ci_high']:.1f}], p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
            fallback = ("" if c.expected_fallbacks is None else
                        f"; ~{c.expected_fallbacks:.1f} expected fallbacks costing ${c.fallback_extra_usd:.6f} more")
            out(f"  {c.task}: {c.from_model} → {c.to_model}  {c.requests} req. ({100 * c.share:.1f}%), "
                f"${c.actual_usd:.6f} → ${c.projected_usd:.6f}{_est(c.estimated_output)}")
            if c.to_model != "(blocked)":
                out(f"      {c.to_model} on {c.task}: {risk}{fallback}")
                out(f"      quality: {_quality(c)}")
            out(f"      e.g. {', '.join(c.examples)}")
    if report.constraints:
        out("\nHard constraints (the rule that fired)")
        for k in report.constraints:
            out(f"  {k.task}: {k.requests} req. {'blocked' if k.outcome == '(blocked)' else 'sent to ' + k.outcome} "
                f"by {k.rule}: {k.reason}  e.g. {', '.join(k.examples)}")
    if report.budgets:
        out("\nBudgets, spent in time order with the draft's limits")
        for b in report.budgets:
            when = ", ".join(f"{t}" for _, t in b.runs_out) or "never runs out"
            out(f"  {b.name} (${b.limit_usd:g}/{b.period}, {b.action}): runs out {when}; "
                f"{b.affected} req. {b.effect}")
    out("\nSpend per task (actual → projected)")
    for task, sp in report.spend_by_task.items():
        out(f"  {task:<14} ${sp.actual_usd:>12.6f} → ${sp.projected_usd:>12.6f}{_est(sp.estimated_output)}")
    out("\nSpend per day (actual → projected)")
    for day, sp in report.spend_by_day.items():
        out(f"  {day}  ${sp.actual_usd:>12.6f} → ${sp.projected_usd:>12.6f}{_est(sp.estimated_output)}")
    if report.identity_checked:
        out(f"\nIdentity check: {report.identity_checked} requests were routed by this very policy; "
            f"{len(report.mismatches)} first choices not reproduced")
        for m in report.mismatches[:50]:
            out(f"  {m.request_id}: logged {m.logged}, replayed {m.replayed}: {m.cause}")
        if len(report.mismatches) > 50:
            out(f"  ... and {len(report.mismatches) - 50} more (--json lists all)")


def print_assessment(result: Any, out: Callable[[str], None] = print) -> None:
    out(f"Assessment {_iso(result.since)} → {_iso(result.until)} UTC: {result.requests} production requests, "
        f"${result.spend_usd:.6f}")
    for t in result.tasks:
        flag = "  over-served?" if t.over_served else ""
        out(f"\n{t.task}: {t.requests} req., ${t.spend_usd:.6f} ({100 * t.spend_share:.1f}% of spend), "
            f"served by {t.serving} ({100 * t.serving_share:.0f}% of answers){flag}")
        if not t.candidates:
            out("  no cheaper model in the policy or the price catalogue")
        for c in t.candidates:
            exp = c.exposure
            evidence = ("no evidence" if exp is None or exp.failure_rate is None else
                        f"fails {100 * exp.failure_rate:.1f}% [{100 * exp.failure_ci[0]:.1f}–"
                        f"{100 * exp.failure_ci[1]:.1f}] of {exp.attempts}, p95 {exp.p95_ms:.0f} ms")
            pilot = c.pilot.summary if c.pilot is not None else "no pilot yet"
            if c.source == "catalogue":
                pilot = c.note
            out(f"  {c.model}: saves ${c.monthly_saving_usd:.4f}/month{_est(c.estimated_output)}; {evidence}; {pilot}")
            if t.over_served and c is next((p for p in t.candidates if p.source == "policy"), None):
                out(f"    pilot it: {c.pilot_command}")
                out("    with this bar in the file named there:")
                for line in c.bar_yaml.splitlines():
                    out(f"      {line}")
