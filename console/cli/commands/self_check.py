"""``routedesk self-check``: prove an installed build works, headless, with no key and no network.

Opens the window offscreen, routes the demo prompt through the bundled local model on the demo
policy, checks the request reached the log under the user's data directory, and closes. Exit 0
only when every step passed; ``--json`` prints the same report for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "self-check", help="open the window offscreen, route the demo prompt on the bundled model, check the log"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help="save a picture of the window before closing")
    parser.add_argument("--prompt", help="route this prompt instead of the demo one")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.selfcheck import DEMO_PROMPT, run_self_check

    report = run_self_check(prompt=args.prompt or DEMO_PROMPT, screenshot=args.screenshot)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    if not report.ok:
        print("self-check failed: see the FAIL lines above", file=sys.stderr)
    return 0 if report.ok else 1
