"""``routedesk prices import FILE``: update the user's price catalogue from LiteLLM's price file."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prices", help="the price catalogue: import LiteLLM's community price file")
    actions = parser.add_subparsers(dest="prices_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="show what changed (old -> new per model), then update "
                             "<data dir>/prices.yaml (the shipped catalogue is never rewritten)")
    imp.add_argument("file", type=Path, help="LiteLLM's model_prices_and_context_window.json")
    imp.add_argument("--add-new", action="store_true", help="also add the file's models the catalogue lacks")
    imp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from console.core.paths import DataDirError
    from console.core.policy.price_import import PriceImportError, apply_import, plan_import, read_litellm

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.file}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    try:
        parsed = read_litellm(text, str(args.file))
    except PriceImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in parsed.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    changes = plan_import(parsed, add_new=args.add_new)
    if not changes:
        print(f"no price changed ({len(parsed.entries)} models read)")
        return 0
    for change in changes:
        print(change.describe())
    if args.dry_run:
        print(f"{len(changes)} changes, nothing written (--dry-run)")
        return 0
    try:
        path = apply_import(changes, as_of=datetime.date.today())
    except PriceImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OSError, DataDirError) as error:
        print(f"error: cannot write the price catalogue: {error}", file=sys.stderr)
        return 1
    print(f"{len(changes)} changes written to {path}")
    return 0
