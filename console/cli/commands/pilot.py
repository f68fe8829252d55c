"""``routedesk pilot``: baseline against candidate on real cases, judged by a bar set up front.

    routedesk pilot --task T --baseline a --candidate b --bar FILE
                    [--from-log | --dataset FILE | --imported NAME] [--policy FILE] [--json]
    routedesk pilot --from-shadow ROUTE [--forget] [--policy FILE] [--json]

Progress goes to stderr, the verdict to stdout; the exit code is 0 when every candidate meets the
bar, 1 when one does not (usable in CI), 2 for bad input. ``--run-id`` resumes a stopped run.
``--from-shadow`` grades what the route's ``shadow:`` collected from live traffic against its bar
(``console/core/app/shadow.py``); ``--forget`` deletes those collected cases instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pilot", help="pilot a cheaper model against the current one on real cases")
    add_policy_argument(parser)
    parser.add_argument("--task", help="the task being piloted (its route, its log volume)")
    parser.add_argument("--baseline", help="the model in use now (alias, model id, MODEL@URL)")
    parser.add_argument("--candidate", action="append", help="a cheaper model (repeatable)")
    parser.add_argument("--bar", type=Path, help="the quality bar (YAML or JSON), fixed before the run")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-shadow", metavar="ROUTE",
                        help="grade the cases ROUTE's shadow collected from live traffic (model and bar: its shadow:)")
    source.add_argument("--from-log", action="store_true", help="logged requests of the task that kept their prompt")
    source.add_argument("--dataset", type=Path, help="a JSONL/CSV file of cases")
    source.add_argument("--imported", metavar="NAME", help="an imported history (routedesk import)")
    parser.add_argument("--since", default="30d", help="with --from-log: how far back (default 30d)")
    parser.add_argument("--limit", type=int, help="use at most N cases")
    parser.add_argument("--concurrency", type=int, default=4, help="cases in flight at once (default 4)")
    parser.add_argument("--run-id", help="resume (or name) this run; default: derived from the set-up")
    parser.add_argument("--forget", action="store_true",
                        help="with --from-shadow: delete the route's collected shadow cases (prompts and answers)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.set_defaults(func=run)


async def _pilot(args: argparse.Namespace, policy, path) -> int:  # type: ignore[no-untyped-def]
    from console.core.app import PilotError, PilotSetupRequest, PilotSource, Workspace, run_pilot
    from console.core.app.pilot import BarError, load_bar

    try:
        bar = load_bar(args.bar)
    except BarError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.imported:
        source = PilotSource("imported", args.imported)
    elif args.dataset:
        source = PilotSource("dataset", str(args.dataset))
    else:
        source = PilotSource("log", args.since)
    request = PilotSetupRequest(args.task, args.baseline, tuple(args.candidate), bar, source, args.limit)
    last = [-1]
    models = 1 + len(args.candidate)

    def started(run_id: str, cases: int) -> None:
        print(f"pilot {run_id}: {cases} cases × {models} models (resume with --run-id {run_id})", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        step = max(1, total // 20)
        if done == total or done - last[0] >= step:
            last[0] = done
            print(f"pilot: {done}/{total} cells", file=sys.stderr)

    workspace = Workspace(args.db)
    try:
        outcome = await run_pilot(workspace, policy, path, request, run_id=args.run_id, concurrency=args.concurrency,
                                  progress=progress, on_start=started)
    except PilotError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        await workspace.aclose()
    for problem in outcome.problems:
        print(problem, file=sys.stderr)
    if args.json:
        print(json.dumps(report_json(outcome), indent=2))
    else:
        for verdict in outcome.verdicts:
            print("\n".join(verdict.lines))
    return 0 if outcome.meets_bar else 1


def report_json(outcome) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    report, verdicts = outcome.report, outcome.verdicts
    return {
        "run_id": report.setup.run_id, "task": report.setup.task, "baseline": report.setup.baseline,
        "candidates": list(report.setup.candidates), "cases": len(report.cases), "complete": report.complete,
        "resumed_cells": report.resumed_cells,
        "models": [asdict(s) for s in outcome.summaries],
        "verdicts": [{"candidate": v.candidate, "meets_bar": v.meets_bar, "lines": v.lines,
                      "savings_per_1k_usd": v.savings_per_1k_usd, "savings_per_month_usd": v.savings_per_month_usd,
                      "monthly_requests": v.monthly_requests,
                      "retention": None if v.retention is None else {"baseline_passed": v.retention.baseline_passed,
                                                                     "both_passed": v.retention.both_passed}}
                     for v in verdicts],
    }


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit <= 0:
        print("error: --limit must be a positive number", file=sys.stderr)
        return 2
    problem = _missing_arguments(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    policy, path = loaded
    if args.from_shadow:
        from console.cli.commands._pilot_shadow import shadow_pilot

        return asyncio.run(shadow_pilot(args, policy, path))
    return asyncio.run(_pilot(args, policy, path))


def _missing_arguments(args: argparse.Namespace) -> str | None:
    if args.from_shadow:
        given = [name for name in ("task", "baseline", "candidate", "bar", "run_id") if getattr(args, name)]
        if given:
            return ("--from-shadow takes the task, models and bar from the route's shadow: section; drop "
                    + ", ".join("--" + name.replace("_", "-") for name in given))
        return None
    if args.forget:
        return "--forget goes with --from-shadow ROUTE"
    missing = [name for name in ("task", "baseline", "candidate", "bar") if not getattr(args, name)]
    return f"the following arguments are required: {', '.join('--' + m for m in missing)}" if missing else None
