"""A router evaluation as terminal lines: the models alone, the curve, the baselines, the target."""

from __future__ import annotations

from typing import Any


def _short(name: str, width: int = 14) -> str:
    tail = name.rsplit("/", 1)[-1]
    return tail if len(tail) <= width else tail[: width - 1] + "…"


def eval_lines(router: Any, report: Any, rows: int = 12) -> list[str]:
    curve = report.curve
    strong = report.strongest
    task = f" for task '{router.info['task']}'" if router.info.get("task") else ""
    lines = [f"router{task}: {router.info.get('learner_label', router.learner.kind)}, trained on "
             f"{router.info.get('trained_on')} prompts of {router.info.get('source')} (seed {router.info.get('seed')})",
             f"evaluated on {report.prompts} prompts of {report.source} it did not train on"
             + (f" ({report.excluded_trained} training prompts left out)" if report.excluded_trained else ""),
             "", f"{'model alone':<40} {'pass rate':>9} {'$ / 1k req':>11}"]
    for i, model in enumerate(curve.models):
        mark = "  (strongest)" if i == curve.strongest else ""
        lines.append(f"  {model + mark:<38} {curve.single_pass_rates[i]:>9.1%} {curve.single_costs_per_1k[i]:>11.4f}")
    shares = " ".join(f"{'share ' + _short(m):>20}" for m in curve.models)
    lines += ["", f"curve (operating point: pass rate, calls per model, cost):", f"  {'point':>8} {'pass':>7} {shares} {'$ / 1k':>9}"]
    step = max(1, len(curve.points) // rows)
    picked = list(curve.points[::step])
    if curve.points and picked[-1] is not curve.points[-1]:
        picked.append(curve.points[-1])
    for p in picked:
        cells = " ".join(f"{s:>20.1%}" for s in p.shares)
        point = "cheapest" if p.lam >= 1e5 else "dearest" if p.lam <= -1e5 else f"{p.lam:.3f}"
        lines.append(f"  {point:>8} {p.pass_rate:>7.1%} {cells} {p.cost_per_1k:>9.4f}")
    goal = report.target * curve.strongest_pass_rate
    c = report.calibrated
    lines += ["", f"target: {report.target:.0%} of {strong}'s pass rate = {goal:.1%}",
              f"  calibrated operating point {c.lam:.3f} (what a policy gets): pass rate {c.pass_rate:.1%} "
              f"({c.pass_rate / (curve.strongest_pass_rate or 1):.1%} of the strongest), {strong} calls {c.shares[curve.strongest]:.1%}, "
              f"${c.cost_per_1k:.4f} / 1k requests" + ("" if report.calibrated_met else
                                                      " (the calibration never reached the target)")]
    if report.best is not None:
        b = report.best
        lines.append(f"  best point on this curve: {strong} calls {b.shares[curve.strongest]:.1%}, pass rate "
                     f"{b.pass_rate:.1%}, ${b.cost_per_1k:.4f} / 1k requests")
    else:
        lines.append("  no point of this curve reaches the target")
    lines += [f"share of {strong} calls needed to reach the target, same prompts:",
              f"  router                         {report.router_share:.3f}",
              f"  random router                  {report.random_share:.3f}",
              f"  longest prompts first          {report.longest_share:.3f}"]
    if report.random_share > 0:
        ratio = report.router_share / report.random_share
        lines.append(f"  router / random = {ratio:.2f} (goal <= 0.75: {'met' if ratio <= 0.75 else 'not met'}); "
                     f"below the heuristic: {'yes' if report.router_share < report.longest_share else 'no'}")
    return lines
