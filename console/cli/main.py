"""The ``routedesk`` command line: argparse over the Engine.

Each subcommand lives in ``console.cli.commands.<name>`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a handler ``(args) -> int`` (the exit code).
Handlers print clear messages for bad input; a traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Sequence

from console import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routedesk",
        description="Routedesk: route LLM requests by policy. With no command, opens the console window.",
    )
    parser.add_argument("--version", action="version", version=f"routedesk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from console.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
