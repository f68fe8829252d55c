"""``routedesk log``: recent requests from the routing log, each with its chain of attempts."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from console.core.ledger.tables import KINDS


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", default=None,
                        help="log database URL (default: the SQLite log in the data directory)")


def open_log_for_cli(url: str | None) -> Engine | None:
    """The log opened to read, or None after printing why it cannot be (shared by log/report).

    Read-only: nothing is created, upgraded or recovered; a log that does not exist yet reads as empty.
    """
    from console.core.app import LogError, open_log

    try:
        return open_log(url)
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def print_read_error(url: str | None, exc: Exception) -> int:
    """A log that fails while being read (a damaged page found mid-query): say which file and what to do."""
    from console.core.app import read_error_message

    print(f"error: {read_error_message(url, exc)}", file=sys.stderr)
    return 1


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("log", help="list recent routed requests with their attempt chains")
    parser.add_argument("--since", default="1h", help="how far back: 30m, 1h, 7d, 30d (default 1h)")
    parser.add_argument("--task", help="only this task")
    parser.add_argument("--model", help="only requests that tried this model alias")
    parser.add_argument("--team", help="only this team")
    parser.add_argument("--kind", default="production", choices=[*KINDS, "all"],
                        help="production (default), pilot, comparison, imported or all")
    parser.add_argument("--failed", action="store_true", help="only requests with a failed attempt")
    parser.add_argument("--limit", type=int, default=50, help="most requests to show (default 50)")
    parser.add_argument("--json", action="store_true", help="print JSON lines, one request each")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.core.ledger.chains import requests_behind
    from console.core.ledger.filters import DurationError, Filters

    try:
        filters = Filters.last(args.since, task=args.task, model=args.model, team=args.team,
                               kind=None if args.kind == "all" else args.kind)
    except DurationError as exc:
        print(f"error: --since: {exc}", file=sys.stderr)
        return 2
    if args.limit <= 0:
        print("error: --limit must be 1 or more", file=sys.stderr)
        return 2
    db = open_log_for_cli(args.db)
    if db is None:
        return 1
    try:
        chains = requests_behind(db, filters, failed_only=args.failed, limit=args.limit)
    except DatabaseError as exc:
        return print_read_error(args.db, exc)
    finally:
        db.dispose()
    if args.json:
        for chain in chains:
            print(json.dumps(chain.as_json(), sort_keys=True))
        return 0
    if not chains:
        print(f"no requests in the last {args.since}")
        return 0
    for chain in chains:
        print(_request_line(chain.request))
        for attempt in chain.attempts:
            print(_attempt_line(attempt))
    return 0


def _request_line(r: dict[str, Any]) -> str:
    answered = r["answered_by"] or "-"
    return (f"{iso(r['ts'])}  {r['request_id'][:12]}  {r['task']:<12} {r['outcome']:<14} by {answered:<14} "
            f"${r['total_cost_usd']:.6f}  {r['total_latency_ms']:.0f} ms  team={r['team'] or '-'}"
            + (f"  [{r['kind']}]" if r["kind"] != "production" else ""))


def _attempt_line(a: dict[str, Any]) -> str:
    status = f" http {a['http_status']}" if a["http_status"] else ""
    error = f"  {a['error_class']}: {a['error_message']}" if a["error_class"] else ""
    ttft = f" ttft {a['ttft_ms']:.0f} ms" if a["ttft_ms"] is not None else ""
    est = "~" if a["tokens_estimated"] else ""
    where = "classify" if a.get("role") == "classify" else f"#{a['position']}"
    return (f"    {where} {a['model_alias']:<14} {a['provider']:<11} {a['outcome']:<14}{status} "
            f"{a['latency_ms']:.0f} ms{ttft}  {est}{a['input_tokens']}/{est}{a['output_tokens']} tok  "
            f"${a['cost_usd']:.6f}{error}")
