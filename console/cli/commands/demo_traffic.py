"""``routedesk demo-traffic``: fill a log with seeded synthetic traffic whose totals are known."""

from __future__ import annotations

import argparse
import sys
import time

from console.cli.commands.log import add_db_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo-traffic", help="write synthetic routing traffic to a log (for demos)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests to generate (default 20000)")
    parser.add_argument("--days", type=float, default=30.0, help="spread over this many days up to now (default 30)")
    parser.add_argument("--spike", metavar="TASK:MODEL", help="plant a failure spike in the last 24 h")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.core.app import LogError, write_demo_traffic
    from console.core.app.traffic import new_totals, parse_spike

    if args.requests <= 0 or args.days <= 0:
        print("error: --requests and --days must be more than zero", file=sys.stderr)
        return 2
    try:
        spike = parse_spike(args.spike) if args.spike else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    totals = new_totals()
    started = time.perf_counter()
    try:
        attempts = write_demo_traffic(args.db, args.requests, days=args.days, seed=args.seed, spike=spike,
                                      totals=totals)
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(f"wrote {totals.requests} requests, {attempts} attempts in {seconds:.1f} s")
    for kind, k in sorted(totals.kinds.items()):
        print(f"  {kind:<11} {k.requests:>8} requests  {k.attempts:>8} attempts  {k.failed_attempts:>6} failed  "
              f"{k.fallbacks:>6} fell back  ${k.cost_usd:.6f}")
    if spike:
        print(f"  failure spike planted on {spike[0]}:{spike[1]} in the last 24 h")
    return 0
