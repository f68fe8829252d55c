"""``routedesk router train|eval``: a learned router from graded history, and its quality/cost curve.

    routedesk router train --task T --models a,b[,c] (--imported NAME | --pilot ID | --dataset FILE)
        [--bar FILE] [--test-fraction 0.3 --seed S] --out NAME.router
    routedesk router eval NAME.router (--imported NAME | --pilot ID | --dataset FILE) [--bar FILE]
        [--target 0.95] [--chart FILE.png]

Exit status: 0 done, 2 bad input (a sentence on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("router", help="train and evaluate a learned router from graded history")
    actions = parser.add_subparsers(dest="router_action", required=True)
    train = actions.add_parser("train", help="learn from graded prompts which model passes; save NAME.router")
    train.add_argument("--task", required=True, help="the task whose route the router is for")
    train.add_argument("--models", required=True, help="comma-separated model names as the history names them")
    _sources(train)
    train.add_argument("--test-fraction", type=float, default=0.3, help="share held out for eval (default 0.3)")
    train.add_argument("--seed", type=int, default=0, help="the split's and the learners' seed (default 0)")
    train.add_argument("--target", type=float, default=0.95,
                       help="share of the strongest model's pass rate the learner is chosen for (default 0.95)")
    train.add_argument("--out", required=True, help="NAME.router (a bare name goes to the routers folder)")
    train.set_defaults(func=run_train)
    ev = actions.add_parser("eval", help="the router's quality/cost curve on prompts it did not train on")
    ev.add_argument("router", help="NAME.router")
    _sources(ev)
    ev.add_argument("--target", type=float, default=0.95, help="share of the strongest model's pass rate (default 0.95)")
    ev.add_argument("--chart", type=Path, help="save the curve as this PNG (default: beside the router, .png)")
    ev.set_defaults(func=run_eval)


def _sources(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--imported", metavar="NAME", help="an imported history (routedesk import)")
    source.add_argument("--pilot", metavar="ID", help="a finished pilot's run id (its bar graded each answer)")
    source.add_argument("--dataset", type=Path, help="a JSONL/CSV history read directly")
    parser.add_argument("--bar", type=Path, help="grade recorded answers by this bar's assertions "
                        "(default: the grades the history carries)")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")


def _history(args: argparse.Namespace, models: list[str] | None):  # type: ignore[no-untyped-def]
    from console.core.app.pilot import BarError, load_bar
    from console.core.app.router import RouterError, RouterSource, graded_history

    bar = None
    if args.bar is not None:
        if args.pilot:
            raise RouterError("--bar does not apply to --pilot: a pilot's cells were graded by its own bar")
        try:
            bar = load_bar(args.bar)
        except BarError as err:
            raise RouterError(str(err)) from None
    if args.imported:
        source = RouterSource("imported", args.imported)
    elif args.pilot:
        source = RouterSource("pilot", args.pilot)
    else:
        source = RouterSource("dataset", str(args.dataset))
    return graded_history(source, models, log_url=args.db, bar=bar)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run_train(args: argparse.Namespace) -> int:
    from console.core.app.router import RouterError, train_router

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if len(models) < 2:
        return _fail("--models needs at least 2 comma-separated names")
    if not 0 < args.target <= 1:
        return _fail("--target must be above 0 and at most 1")

    def progress(done: int, total: int, what: str) -> None:
        print(f"\r[{done}/{total}] {what}".ljust(60), end="", file=sys.stderr, flush=True)

    try:
        history = _history(args, models)
        print(f"{history.source}: {len(history)} graded prompts ({history.skipped} without a grade from every model)")
        path, router, selection = train_router(history, args.out, test_fraction=args.test_fraction, seed=args.seed,
                                               target=args.target, task=args.task, progress=progress)
    except RouterError as err:
        print(file=sys.stderr)
        return _fail(str(err))
    print(file=sys.stderr)
    print(f"learner chosen on held-out folds (cost at {args.target:.0%} of the strongest model's pass rate, "
          "over the strongest model's cost):")
    for s in selection:
        ratio = "never reaches it" if s.cost_ratio_at_target is None else f"{s.cost_ratio_at_target:.3f}"
        mark = "*" if s.label == router.learner.label else " "
        print(f"  {mark} {s.label:<24} {ratio:<18} log loss {s.log_loss:.3f}")
    print(f"trained on {router.info['trained_on']} prompts for task '{args.task}', {router.info['held_out']} held out "
          f"(seed {args.seed}); saved {path}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from console.cli.router_view import eval_lines
    from console.core.app.router import RouterError, evaluate_router, load_router, router_path

    if not 0 < args.target <= 1:
        return _fail("--target must be above 0 and at most 1")
    try:
        router = load_router(args.router)
        history = _history(args, list(router.models))
        report = evaluate_router(router, history, target=args.target)
    except RouterError as err:
        return _fail(str(err))
    for line in eval_lines(router, report):
        print(line)
    chart = args.chart or router_path(args.router).with_suffix(".png")
    from console.ui.pages.pilot.router_chart import save_chart_png

    try:
        save_chart_png(report, chart)
    except OSError as err:
        return _fail(f"{chart}: cannot save the chart: {err.strerror or err}")
    print(f"chart: {chart}")
    return 0
