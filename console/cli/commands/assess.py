"""``routedesk assess``: tasks ranked by volume and spend, with what a cheaper model would save."""

from __future__ import annotations

import argparse
import json
import sys

from console.cli.commands.log import add_db_argument, print_read_error
from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("assess", help="where the money goes: tasks, their models and cheaper candidates")
    add_policy_argument(parser)
    from console.cli.replay_view import add_period_arguments

    add_period_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from console.cli.replay_view import PeriodError, period, print_assessment, stderr_progress
    from console.core.app import LogError
    from console.core.app.replay import assess, report_to_json

    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    try:
        since, until = period(args)
    except PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = assess(loaded[0], url=args.db, since=since, until=until, progress=stderr_progress("assess"))
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        return print_read_error(args.db, exc)
    if args.json:
        print(json.dumps(report_to_json(result), indent=2, sort_keys=True, default=str))
    else:
        print_assessment(result)
    return 0
