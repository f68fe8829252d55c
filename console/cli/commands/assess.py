"""``routedesk assess``: tasks ranked by volume and spend, with what a cheaper model would save."""

from __future__ import annotations

import argparse
import json

from console.cli.commands.log import add_db_argument
from console.cli.policy_args import add_policy_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("assess", help="where the money goes: tasks, their models and cheaper candidates")
    add_policy_argument(parser)
    from console.cli.replay_view import add_period_arguments

    add_period_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.cli.replay_view import print_assessment, run_over_period
    from console.core.app.replay import assess, report_to_json

    result = run_over_period(args, "assess", lambda policy, since, until, progress: assess(
        policy, url=args.db, since=since, until=until, progress=progress))
    if isinstance(result, int):
        return result
    if args.json:
        print(json.dumps(report_to_json(result), indent=2, sort_keys=True, default=str))
    else:
        print_assessment(result)
    return 0
