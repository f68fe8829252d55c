"""``routedesk report``: spend, failure rates (95% CI), latency and drift flags per task × model."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from console.cli.commands.log import add_db_argument, iso, open_log_for_cli, print_read_error
from console.core.ledger.tables import KINDS

COLUMNS = ("task", "model", "attempts", "failures", "failure_rate", "failure_ci_low", "failure_ci_high",
           "cost_usd", "latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms", "drift")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="spend, failure rates, latency and drift per task and model")
    parser.add_argument("--since", default="30d", help="report window: 7d, 30d, ... (default 30d)")
    parser.add_argument("--recent", default="1d", help="drift: recent window compared to the rest (default 1d)")
    parser.add_argument("--kind", default="production", choices=[*KINDS, "all"])
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV, one row per task and model")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.core.ledger.filters import DurationError, Filters, parse_duration

    try:
        filters = Filters.last(args.since, kind=None if args.kind == "all" else args.kind)
        recent = parse_duration(args.recent)
    except DurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert filters.since is not None and filters.until is not None
    if recent >= filters.until - filters.since:
        print("error: --recent must be shorter than --since (the rest is the drift baseline)", file=sys.stderr)
        return 2
    db = open_log_for_cli(args.db)
    if db is None:
        return 1
    try:
        report = build_report(db, filters, recent)
    except DatabaseError as exc:
        return print_read_error(args.db, exc)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    elif args.csv:
        from console.core.csv_cells import write_dicts

        write_dicts(sys.stdout, COLUMNS, report["rows"])  # model and task names may carry formulas
    else:
        print_text(report)
    return 0


def build_report(db: Engine, filters: Any, recent: float) -> dict[str, Any]:
    from console.core.ledger.drift import detect_drift
    from console.core.ledger.queries import counts, failure_rates, latency_percentiles

    rates = failure_rates(db, filters)
    latency = {(task, s.model): s for task in sorted({r.task for r in rates})
               for s in latency_percentiles(db, _with_task(filters, task))}
    drift = detect_drift(db, filters, recent=recent, baseline=filters.until - filters.since - recent, now=filters.until)
    drifting: dict[tuple[str, str], list[str]] = {}
    for flag in drift:
        drifting.setdefault((flag.task, flag.model), []).append(flag.metric)
    task_cost = _task_model_cost(db, filters, [(r.task, r.model) for r in rates])
    rows = []
    for r in rates:
        lat = latency.get((r.task, r.model))
        rows.append({
            "task": r.task, "model": r.model, "attempts": r.trials, "failures": r.events,
            "failure_rate": round(r.rate, 6), "failure_ci_low": round(r.ci_low, 6), "failure_ci_high": round(r.ci_high, 6),
            "cost_usd": round(task_cost.get((r.task, r.model), 0.0), 6),
            "latency_p50_ms": _ms(lat.p50_ms if lat else None), "latency_p95_ms": _ms(lat.p95_ms if lat else None),
            "ttft_p50_ms": _ms(lat.ttft_p50_ms if lat else None), "ttft_p95_ms": _ms(lat.ttft_p95_ms if lat else None),
            "drift": ";".join(drifting.get((r.task, r.model), [])),
        })
    return {"since": iso(filters.since), "until": iso(filters.until), "kind": filters.kind or "all",
            "totals": asdict(counts(db, filters)), "rows": rows, "drift": [asdict(f) for f in drift]}


def _with_task(filters: Any, task: str) -> Any:
    from dataclasses import replace

    return replace(filters, task=task)


def _task_model_cost(db: Engine, filters: Any, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    from console.core.ledger.queries import spend

    out: dict[tuple[str, str], float] = {}
    for task in sorted({t for t, _ in pairs}):
        for point in spend(db, _with_task(filters, task), bucket="day", by="model"):
            out[(task, point.key)] = out.get((task, point.key), 0.0) + point.cost_usd
    return out


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_text(report: dict[str, Any]) -> None:
    t = report["totals"]
    print(f"Routing report {report['since']} → {report['until']} UTC ({report['kind']})")
    print(f"  {t['requests']} requests, {t['attempts']} attempts, {t['failed_requests']} failed requests, "
          f"{t['fallbacks']} fell back, spend ${t['cost_usd']:.6f}")
    if not report["rows"]:
        print("  no traffic in this window")
        return
    print(f"\n{'task':<12} {'model':<14} {'attempts':>8} {'fail %':>7} {'95% CI':>15} {'spend $':>12} "
          f"{'p50 ms':>8} {'p95 ms':>8}  drift")
    for r in report["rows"]:
        ci = f"{100 * r['failure_ci_low']:.1f}–{100 * r['failure_ci_high']:.1f}"
        p50 = "-" if r["latency_p50_ms"] is None else f"{r['latency_p50_ms']:.0f}"
        p95 = "-" if r["latency_p95_ms"] is None else f"{r['latency_p95_ms']:.0f}"
        print(f"{r['task']:<12} {r['model']:<14} {r['attempts']:>8} {100 * r['failure_rate']:>6.2f}% {ci:>15} "
              f"{r['cost_usd']:>12.6f} {p50:>8} {p95:>8}  {r['drift'] or ''}")
    if report["drift"]:
        print("\nDrift flags (recent window significantly worse than its baseline):")
        for f in report["drift"]:
            extra = (f"{f['recent_events']}/{f['recent_n']} vs {f['baseline_events']}/{f['baseline_n']}"
                     if f["recent_events"] is not None else f"n={f['recent_n']} vs n={f['baseline_n']}")
            print(f"  {f['task']}:{f['model']} {f['metric']}: {f['recent_value']:.4g} vs {f['baseline_value']:.4g} "
                  f"({extra}), p={f['p_value']:.2g} < {f['threshold']:.2g}")
