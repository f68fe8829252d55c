"""``routedesk explain``: the task, the reason and the plan for a prompt, without calling any model."""

from __future__ import annotations

import argparse
import json
import sys

from console.cli.plan_view import plan_lines, plan_to_json
from console.cli.policy_args import add_policy_argument, add_request_arguments, load_policy_arg, request_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("explain", help="show how a prompt would be routed, calling no model")
    add_policy_argument(parser)
    add_request_arguments(parser)
    parser.add_argument("--db", help="routing log whose measured first tokens set the first-token deadlines "
                        "(default: the log in the user's data directory)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.core.app import LogError, explain
    from console.core.app.routing import first_token_history

    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    request = request_from_args(args)
    if isinstance(request, str):
        print(f"error: {request}", file=sys.stderr)
        return 2
    policy, path = loaded
    try:
        history = first_token_history(policy, args.db)
    except LogError as err:  # the plan still stands, with the routes' static first-token deadlines
        print(f"warning: {err}; first-token deadlines are the routes' static ones", file=sys.stderr)
        history = {}
    plan = explain(policy, request, path=path, ttft_history=history)
    if args.json:
        print(json.dumps(plan_to_json(plan), indent=2))
    else:
        print("\n".join(plan_lines(plan)))
    return 0
