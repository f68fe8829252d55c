"""``routedesk export litellm``: the policy as a LiteLLM proxy config (stdout, or -o FILE written atomically)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export the policy for another gateway (LiteLLM proxy)")
    parser.add_argument("target", choices=["litellm"], help="what to export for")
    add_policy_argument(parser)
    parser.add_argument("-o", "--output", type=Path, help="write to this file (atomically) instead of stdout")
    parser.set_defaults(func=run)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so a crash leaves the old file or the new one, never half of it."""
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    from console.core.app.export import litellm_config_text

    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    text = litellm_config_text(loaded[0])
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_atomic(args.output, text)
    except OSError as err:
        print(f"error: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
