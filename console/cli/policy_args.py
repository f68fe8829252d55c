"""Arguments shared by commands that take a policy and a prompt: --policy, --meta, --task, --json.

Loading prints every located diagnostic and returns None instead of raising, so a broken policy
ends the command with exit 1 and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.core.policy.schema import Policy
from console.core.request import Request

DEFAULT_POLICY = Path("policies/demo.yaml")


def add_policy_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-p", type=Path, default=None, help="policy YAML file (default: the demo policy)")


def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="the prompt text ('-' reads it from standard input)")
    parser.add_argument("--system", help="a system prompt")
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="request metadata (repeatable)")
    parser.add_argument("--task", help="route as this task (an explicit task hint)")
    parser.add_argument("--max-tokens", type=int, help="output token cap (default: the route's)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def demo_policy_path() -> Path:
    """The bundled demo policy: the checkout's policies/, the frozen app's or the installed copy."""
    from console.core.resources import DEMO_POLICY, example_policy_path, policies_dirs

    return example_policy_path() or policies_dirs()[0] / DEMO_POLICY


def load_policy_arg(path: Path | None) -> tuple[Policy, Path] | None:
    """Load ``path`` (or the demo policy); print diagnostics to stderr; None when it has errors."""
    from console.core.policy.loader import load_policy

    target = path or demo_policy_path()
    result = load_policy(target)
    for diagnostic in result.diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    if result.policy is None:
        print(f"{target}: the policy has errors, so nothing was done", file=sys.stderr)  # any command: not only route
        return None
    return result.policy, target


def parse_meta(items: list[str]) -> dict[str, str] | str:
    """Metadata from KEY=VALUE items, or an error sentence."""
    meta: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return f"--meta expects KEY=VALUE, got {item!r}"
        meta[key.strip()] = value.strip()
    return meta


def request_from_args(args: argparse.Namespace) -> Request | str:
    meta = parse_meta(args.meta)
    if isinstance(meta, str):
        return meta
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        return "the prompt is empty"
    if args.max_tokens is not None and args.max_tokens <= 0:
        return "--max-tokens must be a positive number"
    return Request.from_prompt(
        prompt, system=args.system, metadata=meta, task_hint=args.task, max_tokens=args.max_tokens
    )
