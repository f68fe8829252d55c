"""``routedesk review``: the quarterly review of a policy, as a PDF or a self-contained HTML page.

    routedesk review --quarter 2026Q4 -p policy.yaml -o review.pdf
    routedesk review --demo -o review.pdf        # a quarter of demo history, made in a temp folder

The figures come from ``console.core.app.review``; the charts and the page layout need Qt, so this
command reaches ``console.ui.review.render`` (the one import from the CLI into the window's
package besides self-check, allowed by name in pyproject.toml's import contracts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.cli.commands.log import add_db_argument
from console.cli.policy_args import add_policy_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="the quarterly review of a policy as PDF or HTML")
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--quarter", help="a calendar quarter in UTC, e.g. 2026Q4")
    period.add_argument("--since", help="the last N days instead, e.g. 90d (the default)")
    add_policy_argument(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="review.pdf or review.html")
    parser.add_argument("--demo", action="store_true",
                        help="review a quarter of demo history (two policy versions, a pilot, a rollout, a price change) "
                             "made in a temporary folder; your own log and data are not touched")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.cli.policy_args import load_policy_arg
    from console.core.app import LogError
    from console.core.app.review import PeriodError, next_review_due, parse_period, quarterly_review

    if args.output.suffix.lower() not in (".pdf", ".html", ".htm"):
        print(f"error: {args.output}: write the review as .pdf or .html", file=sys.stderr)
        return 2
    try:
        period = parse_period(quarter_text=args.quarter, since=args.since)
    except PeriodError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    url, data_root, policy_path = args.db, None, args.policy
    if args.demo and (args.policy or args.db):
        print("error: --demo makes its own policy and log; leave out -p and --db", file=sys.stderr)
        return 2
    if args.demo:
        import tempfile

        from console.core.app.review import review_demo

        data_root = Path(tempfile.mkdtemp(prefix="routedesk-review-demo-"))
        print(f"writing a quarter of demo history into {data_root} ...", file=sys.stderr)
        demo = review_demo(data_root)
        url, policy_path = demo.url, demo.policy_file
    loaded = load_policy_arg(policy_path)
    if loaded is None:
        return 1
    policy, _path = loaded
    try:
        review = quarterly_review(policy, period, url=url, data_root=data_root,
                                  progress=lambda stage, _f: print(f"review: {stage}", file=sys.stderr))
    except LogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    from console.ui.review.render import RenderError, render_review

    due = next_review_due(policy.name, data_root=data_root)
    try:
        pages = render_review(review, args.output, next_due=due.isoformat())
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    what = f"{pages} pages" if args.output.suffix.lower() == ".pdf" else "one page, opens with no network"
    print(f"wrote {args.output} ({what}); the next review of '{policy.name}' is due {due.isoformat()}")
    return 0
