"""``routedesk pilot``: baseline against candidate on real cases, judged by a bar set up front.

    routedesk pilot --task T --baseline a --candidate b --bar FILE
                    [--from-log | --dataset FILE | --imported NAME] [--policy FILE] [--json]

Progress goes to stderr, the verdict to stdout; the exit code is 0 when every candidate meets the
bar, 1 when one does not (usable in CI), 2 for bad input. ``--run-id`` resumes a stopped run.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from pathlib import Path

from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pilot", help="pilot a cheaper model against the current one on real cases")
    add_policy_argument(parser)
    parser.add_argument("--task", required=True, help="the task being piloted (its route, its log volume)")
    parser.add_argument("--baseline", required=True, help="the model in use now (alias, model id, MODEL@URL)")
    parser.add_argument("--candidate", action="append", required=True, help="a cheaper model (repeatable)")
    parser.add_argument("--bar", type=Path, required=True, help="the quality bar (YAML or JSON), fixed before the run")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-log", action="store_true", help="logged requests of the task that kept their prompt")
    source.add_argument("--dataset", type=Path, help="a JSONL/CSV file of cases")
    source.add_argument("--imported", metavar="NAME", help="an imported history (routedesk import)")
    parser.add_argument("--since", default="30d", help="with --from-log: how far back (default 30d)")
    parser.add_argument("--limit", type=int, help="use at most N cases")
    parser.add_argument("--concurrency", type=int, default=4, help="cases in flight at once (default 4)")
    parser.add_argument("--run-id", help="resume (or name) this run; default: derived from the set-up")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.set_defaults(func=run)


def _run_id(args: argparse.Namespace, bar_text: str, source: dict[str, object]) -> str:
    key = json.dumps([args.task, args.baseline, args.candidate, bar_text, source, args.limit], sort_keys=True)
    return "pilot-" + hashlib.sha1(key.encode()).hexdigest()[:12]


async def _pilot(args: argparse.Namespace, policy, path) -> int:  # type: ignore[no-untyped-def]
    from console.core.compare.session import CompareSession
    from console.core.ledger.filters import DurationError, Filters
    from console.core.pilot.bar import BarError, load_bar
    from console.core.pilot.caller import LiveCaller
    from console.core.pilot.cases import cases_from_dataset, cases_from_imported, cases_from_log
    from console.core.pilot.history_file import HistoryFileError
    from console.core.pilot.runner import PilotRunner
    from console.core.pilot.store import PilotSetup, PilotStoreError
    from console.core.pilot.verdict import decide, monthly_requests
    from console.core.workspace import Workspace

    try:
        bar = load_bar(args.bar)
    except BarError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    workspace = Workspace(args.db)
    session = CompareSession(policy, path)
    try:
        try:
            db = workspace.recorder.db  # type: ignore[attr-defined]
        except Exception as err:  # an unreadable or newer log: a sentence, not a traceback
            print(f"error: {err}", file=sys.stderr)
            return 2
        try:
            if args.imported:
                source: dict[str, object] = {"imported": args.imported}
                cases = cases_from_imported(db, args.imported, limit=args.limit)
            elif args.dataset:
                source = {"dataset": str(args.dataset)}
                cases, problems = cases_from_dataset(args.dataset, limit=args.limit)
                for problem in problems:
                    print(problem, file=sys.stderr)
            else:
                source = {"log": args.task, "since": args.since}
                cases = cases_from_log(db, Filters.last(args.since, task=args.task), limit=args.limit or 500)
        except (LookupError, HistoryFileError, DurationError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        if not cases:
            print("error: no cases to pilot on (logged requests keep their prompt only when recorded with it)",
                  file=sys.stderr)
            return 2
        setup = PilotSetup(args.run_id or _run_id(args, bar.to_json_text(), source), args.task, args.baseline,
                           tuple(args.candidate), bar.to_json_text(), source)
        caller = LiveCaller(session, recorder=workspace.recorder, task=args.task)
        last = [-1]

        def progress(done: int, total: int, cell) -> None:  # type: ignore[no-untyped-def]
            step = max(1, total // 20)
            if done == total or done - last[0] >= step:
                last[0] = done
                print(f"pilot {setup.run_id}: {done}/{total} cells", file=sys.stderr)

        print(f"pilot {setup.run_id}: {len(cases)} cases × {1 + len(args.candidate)} models "
              f"(resume with --run-id {setup.run_id})", file=sys.stderr)
        try:
            report = await PilotRunner(db, setup, cases, bar, caller=caller, concurrency=args.concurrency).run(progress)
        except PilotStoreError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        volume = monthly_requests(db, args.task)
        verdicts = [decide(report, bar, candidate, volume=volume) for candidate in args.candidate]
        if args.json:
            print(json.dumps(report_json(report, verdicts), indent=2))
        else:
            for verdict in verdicts:
                print("\n".join(verdict.lines))
        return 0 if all(v.meets_bar for v in verdicts) else 1
    finally:
        await session.aclose()
        await workspace.aclose()


def report_json(report, verdicts) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    from console.core.pilot.summary import summarize

    return {
        "run_id": report.setup.run_id, "task": report.setup.task, "baseline": report.setup.baseline,
        "candidates": list(report.setup.candidates), "cases": len(report.cases), "complete": report.complete,
        "resumed_cells": report.resumed_cells,
        "models": [asdict(s) for s in summarize(report)],
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
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    policy, path = loaded
    return asyncio.run(_pilot(args, policy, path))
