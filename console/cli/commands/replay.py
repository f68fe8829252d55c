"""``routedesk replay``: what a draft policy would have done to the period's real traffic."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.cli.commands.log import add_db_argument, print_read_error
from console.cli.policy_args import load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replay", help="replay logged traffic through a draft policy (calls no model)")
    parser.add_argument("--policy", "-p", type=Path, required=True, metavar="DRAFT.yaml",
                        help="the draft policy to replay")
    from console.cli.replay_view import add_period_arguments

    add_period_arguments(parser)
    parser.add_argument("--task", help="only requests logged with this task")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the whole report as JSON")
    out.add_argument("--csv", action="store_true", help="print the routing changes as CSV")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from console.cli.replay_view import CHANGE_COLUMNS, PeriodError, change_rows, period, print_replay, stderr_progress
    from console.core.app import LogError, replay_policy
    from console.core.app.replay import report_to_json

    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    try:
        since, until = period(args)
    except PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report = replay_policy(loaded[0], url=args.db, since=since, until=until, task=args.task,
                               progress=stderr_progress("replay"))
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        return print_read_error(args.db, exc)
    if args.json:
        print(json.dumps(report_to_json(report), indent=2, sort_keys=True, default=str))
    elif args.csv:
        from console.core.csv_cells import write_dicts

        write_dicts(sys.stdout, CHANGE_COLUMNS, change_rows(report))  # model and task names may carry formulas
    else:
        print_replay(report)
    return 0
