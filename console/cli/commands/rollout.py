"""``routedesk rollout status|check|advance|rollback [ROUTE]``: a route's staged rollout, from the routing log.

    status    where each rollout of the policy stands, its guardrails now, its last events
    check     the guardrail check the serving process runs: a breach rolls back or holds, a due step advances
    advance   one step on (a rolled-back rollout starts again at its first step)
    rollback  share 0: the route back on the model the candidate replaces

The state lives in the log (``--db``), so this sees and changes what ``routedesk serve`` and the
window route by. A change made on a state another process moved meanwhile is refused (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys

from console.cli.commands.log import add_db_argument
from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rollout", help="a route's staged rollout: status, check, advance, rollback")
    parser.add_argument("action", choices=("status", "check", "advance", "rollback"))
    parser.add_argument("route", nargs="?", help="the route (task) in rollout; status and check default to all")
    parser.add_argument("--from-step", type=int, metavar="N",
                        help="advance only if the rollout is still at step N (1-based), as you last saw it")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_policy_argument(parser)
    add_db_argument(parser)
    parser.set_defaults(func=run)


def _status_json(status) -> dict:  # noqa: ANN001 - a RolloutStatus
    s = status.state
    return {"route": s.route, "candidate": s.candidate, "replaces": s.replaces, "status": s.status,
            "step": s.step + 1, "steps": list(s.steps), "share": s.share, "action": status.action,
            "period": list(status.period), "guardrails": [c.as_dict() for c in status.checks],
            "events": [{"ts": e.ts, "action": e.action, "share": e.share, "by": e.by, "detail": e.detail}
                       for e in status.events]}


def run(args: argparse.Namespace) -> int:
    from console.core.app.log import LogError
    from console.core.app.rollout import (
        RolloutError, advance_rollout, open_rollouts, rollback_rollout, rollout_status,
    )

    if args.action in ("advance", "rollback") and not args.route:
        print(f"error: rollout {args.action} needs the ROUTE", file=sys.stderr)
        return 2
    if args.from_step is not None and (args.action != "advance" or args.from_step < 1):
        print("error: --from-step goes with advance and counts from 1", file=sys.stderr)
        return 2
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    policy, _path = loaded
    try:
        opened = open_rollouts(args.db)
    except LogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    with opened as rollouts:
        try:
            if args.action in ("status", "check"):
                statuses = rollout_status(rollouts, policy, args.route, check=args.action == "check")
                if args.json:
                    print(json.dumps([_status_json(s) for s in statuses], indent=2))
                elif not statuses:
                    print(f"policy '{policy.name}' has no route in rollout")
                for status in [] if args.json else statuses:
                    print("\n".join(status.lines()))
                return 0
            if args.action == "advance":
                expected = args.from_step - 1 if args.from_step is not None else None
                state = advance_rollout(rollouts, policy, args.route, by="cli", expected_step=expected)
            else:
                state = rollback_rollout(rollouts, policy, args.route, by="cli")
        except RolloutError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    print(f"{state.route}: {state.describe()}")
    return 0
