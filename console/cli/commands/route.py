"""``routedesk route``: route a prompt by the policy for real and print the answer and the chain."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from console.cli.plan_view import chain_lines, plan_lines, result_to_json
from console.cli.policy_args import add_policy_argument, add_request_arguments, load_policy_arg, request_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("route", help="route a prompt for real and print the answer and its attempt chain")
    add_policy_argument(parser)
    add_request_arguments(parser)
    parser.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.add_argument("--no-log", action="store_true", help="do not write the routing log")
    parser.add_argument("--store-prompt", action="store_true", help="keep the prompt text in the log (off by default)")
    parser.set_defaults(func=run)


async def _route(args: argparse.Namespace, policy, path, request) -> int:
    from console.core.routing.events import Delta, Discarded, RouteResult
    from console.core.app import Workspace

    from console.cli.log_alarm import show_log_alarms

    workspace = Workspace(args.db, record=not args.no_log, store_prompts=args.store_prompt)
    if not show_log_alarms(workspace):  # a damaged or full log does not stop routing; it is said on stderr
        return 2
    engine = workspace.engine(policy, path)
    result = None
    try:
        if args.stream and not args.json:
            async for event in engine.route_stream(request):
                if isinstance(event, Delta):
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                elif isinstance(event, Discarded):
                    sys.stdout.write(
                        f"\n[{event.model} failed ({event.outcome.value}: {event.reason}); "
                        f"the {event.discarded_chars} characters above are discarded; answer continues from the next model]\n"
                    )
                elif isinstance(event, RouteResult):
                    result = event
            sys.stdout.write("\n")
        else:
            result = await engine.route(request)
    finally:
        await workspace.aclose()
    assert result is not None
    if args.json:
        print(json.dumps(result_to_json(result), indent=2))
    else:
        if not args.stream and result.ok:
            print(result.text)
        print("---", file=sys.stderr)
        print("\n".join(plan_lines(result.plan)), file=sys.stderr)
        print("attempts:", file=sys.stderr)
        print("\n".join(chain_lines(result)) or "  (none)", file=sys.stderr)
        if result.ok:
            print(f"answered by {result.answered_by} ({result.answered_model_id}); cost ${result.total_cost_usd:.6f}; "
                  f"{result.latency_ms:.0f} ms (router overhead {result.overhead_ms:.2f} ms)", file=sys.stderr)
        else:
            print(f"error: {result.outcome.value}: {result.error}", file=sys.stderr)
    return 0 if result.ok else 1


def run(args: argparse.Namespace) -> int:
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    request = request_from_args(args)
    if isinstance(request, str):
        print(f"error: {request}", file=sys.stderr)
        return 2
    policy, path = loaded
    return asyncio.run(_route(args, policy, path, request))
