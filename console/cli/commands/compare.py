"""``routedesk compare``: one prompt on several models at once; figures per column, answers below.

    routedesk compare --policy FILE --models a,b,c "prompt" [--system S] [--max-tokens N] [--json]
    routedesk compare --list                       saved comparisons
    routedesk compare --rerun ID --models d,e      a saved comparison's prompt on other models
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from console.cli.policy_args import add_policy_argument, load_policy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="run one prompt on several models side by side")
    add_policy_argument(parser)
    parser.add_argument("prompt", nargs="?", help="the prompt ('-' reads standard input)")
    parser.add_argument("--models", "-m", help="comma-separated: policy aliases, MODEL@BASE_URL, or .gguf paths")
    parser.add_argument("--system", help="a system prompt")
    parser.add_argument("--max-tokens", type=int, default=256, help="output token cap per column (default 256)")
    parser.add_argument("--temperature", type=float, help="sampling temperature")
    parser.add_argument("--json-mode", action="store_true", help="ask every model for a JSON answer")
    parser.add_argument("--per-column", metavar="SETTINGS", default="",
                        help="per-column settings over the shared ones, e.g. 'smollm2: temperature=0.2, max_tokens=64; "
                             "smollm2-cpu: json=on' (keys: temperature, max_tokens, json, system)")
    parser.add_argument("--timeout", type=float, default=180.0, help="total seconds per column (default 180)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--save", action="store_true", help="keep the comparison in the log")
    parser.add_argument("--winner", help="mark this column as the winner (implies --save)")
    parser.add_argument("--note", default="", help="a note kept with the comparison")
    parser.add_argument("--export", type=Path, help="write the comparison to FILE (.md, .csv or .json)")
    parser.add_argument("--list", action="store_true", help="list saved comparisons and exit")
    parser.add_argument("--rerun", type=int, metavar="ID", help="re-run a saved comparison's prompt")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.add_argument("--no-log", action="store_true", help="write nothing to the routing log")
    parser.set_defaults(func=run)


def _print_table(result) -> None:  # type: ignore[no-untyped-def]
    print(f"{'column':<28} {'outcome':<20} {'TTFT':>8} {'total':>8} {'tok/s':>7} {'in/out':>11} {'cost':>11}")
    for c in result.columns:
        ttft = f"{c.ttft_ms:.0f}ms" if c.ttft_ms is not None else "—"
        star = "★ " if c.label == result.winner else ""
        print(f"{(star + c.label)[:28]:<28} {c.outcome.value:<20} {ttft:>8} {c.latency_ms:>6.0f}ms "
              f"{c.tokens_per_second:>7.1f} {f'{c.input_tokens}/{c.output_tokens}':>11} ${c.cost_usd:>10.6f}")
    print(f"wall time {result.wall_ms:.0f} ms")
    for note in result.notes:
        print(f"note: {note}")
    for c in result.columns:
        print(f"\n=== {c.label} ({c.model}) ===")
        if c.error:
            print(f"[{c.outcome.value}: {c.error}]")
        print(c.text)


async def _compare(args: argparse.Namespace, policy, path) -> int:  # type: ignore[no-untyped-def]
    from console.core.app import Comparison, Workspace
    from console.core.app.compare import (
        ColumnFinished, ColumnSpecError, CompareParams, export_text, list_comparisons, load_comparison, parse_columns,
        save_comparison, write_export,
    )

    workspace = Workspace(args.db, record=not args.no_log)
    try:
        if args.list:
            if args.no_log:
                print("error: --list needs the routing log (drop --no-log)", file=sys.stderr)
                return 2
            for saved in list_comparisons(workspace):
                print(f"#{saved.comparison_id}  {saved.columns} columns  winner {saved.winner or '—'}  {saved.prompt[:60]!r}")
            return 0
        params = None
        if args.rerun is not None:
            if args.no_log:
                print("error: --rerun needs the routing log (drop --no-log)", file=sys.stderr)
                return 2
            try:
                params = load_comparison(workspace, args.rerun).params
            except KeyError as err:
                print(f"error: {err.args[0]}", file=sys.stderr)
                return 2
        prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
        if params is None:
            if not prompt or not prompt.strip():
                print("error: give a prompt (or --rerun ID)", file=sys.stderr)
                return 2
            if args.max_tokens <= 0:
                print("error: --max-tokens must be a positive number", file=sys.stderr)
                return 2
            params = CompareParams(prompt=prompt, system=args.system, temperature=args.temperature,
                                   max_tokens=args.max_tokens, json_mode=args.json_mode,
                                   first_token_s=args.timeout, total_s=args.timeout)
        if not args.models:
            print("error: --models is required (comma-separated aliases, MODEL@URL or .gguf paths)", file=sys.stderr)
            return 2
        try:
            specs = parse_columns(args.models.split(","), policy, args.per_column)
        except ColumnSpecError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

        def on_event(event) -> None:  # type: ignore[no-untyped-def]
            if isinstance(event, ColumnFinished):
                r = event.result
                print(f"  {r.label}: {r.outcome.value} in {r.latency_ms:.0f} ms", file=sys.stderr)

        result = await Comparison(workspace, policy, path, specs, params, record=not args.no_log).run(on_event)
        if args.winner:
            if args.winner not in [c.label for c in result.columns]:
                print(f"error: --winner {args.winner!r} is not one of the columns", file=sys.stderr)
                return 2
            result.winner, result.note = args.winner, args.note
        if (args.save or args.winner) and not args.no_log:
            save_comparison(workspace, result)
            print(f"saved as comparison #{result.comparison_id}", file=sys.stderr)
        if args.export:
            try:
                write_export(args.export, result)
            except (OSError, ValueError) as err:
                print(f"error: cannot export to {args.export}: {err}", file=sys.stderr)
                return 2
        if args.json:
            print(export_text(result, "json"), end="")
        else:
            _print_table(result)
        return 0 if any(c.outcome.value == "ok" for c in result.columns) else 1
    finally:
        await workspace.aclose()


def run(args: argparse.Namespace) -> int:
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    policy, path = loaded
    return asyncio.run(_compare(args, policy, path))
