"""``routedesk replay``: what a draft policy would have done to the period's real traffic."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.cli.commands.log import add_db_argument


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
    from console.cli.replay_view import CHANGE_COLUMNS, change_rows, print_replay, run_over_period
    from console.core.app import replay_policy
    from console.core.app.replay import report_to_json

    report = run_over_period(args, "replay", lambda policy, since, until, progress: replay_policy(
        policy, url=args.db, since=since, until=until, task=args.task, progress=progress))
    if isinstance(report, int):
        return report
    if args.json:
        print(json.dumps(report_to_json(report), indent=2, sort_keys=True, default=str))
    elif args.csv:
        from console.core.csv_cells import write_dicts

        write_dicts(sys.stdout, CHANGE_COLUMNS, change_rows(report))  # model and task names may carry formulas
    else:
        print_replay(report)
    return 0
