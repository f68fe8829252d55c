"""Checks on a route's ``shadow:`` section: the candidate exists, and the bar file is there and valid.

The bar is read only when the policy has a file on disk (its path is relative to that file); an
unsaved policy in the editor is checked for everything else.
"""

from __future__ import annotations

from pathlib import Path

from console.core.policy.check_report import CheckReport
from console.core.policy.diagnostics import did_you_mean
from console.core.policy.schema import Policy


def bar_path(policy_file: str | Path | None, bar: str) -> Path:
    """Where a shadow's bar file is: as written when absolute, else beside the policy file."""
    path = Path(bar).expanduser()
    if path.is_absolute() or policy_file is None:
        return path
    return Path(policy_file).parent / path


def check_shadows(policy: Policy, report: CheckReport) -> None:
    for task, route in policy.routes.items():
        shadow = route.shadow
        if shadow is None:
            continue
        where = ("routes", task, "shadow")
        if shadow.model not in policy.models:
            names = list(policy.models)
            report.add(where + ("model",), f"unknown model '{shadow.model}'", code="unknown-model", found=shadow.model,
                       expected="one of the policy's models: " + ", ".join(names),
                       suggestion=did_you_mean(shadow.model, names))
        elif route.candidates and shadow.model == route.candidates[0]:
            report.warn(where + ("model",), f"'{shadow.model}' already answers this route first: shadowing it "
                        "compares the model with itself", code="shadow-of-itself", found=shadow.model)
        _check_bar(report.file, shadow.bar, where + ("bar",), report)


def _check_bar(policy_file: str, bar: str, where: tuple[str, ...], report: CheckReport) -> None:
    from console.core.pilot.bar import BarError, load_bar

    if not bar.endswith((".yaml", ".yml", ".json")):
        report.add(where, "a bar file is YAML or JSON", code="shadow-bar-kind", found=bar, expected="bars/NAME.yaml")
        return
    if not Path(policy_file).is_file():  # an unsaved policy: the bar's place is not known yet
        return
    path = bar_path(policy_file, bar)
    if not path.is_file():
        report.add(where, f"no bar file at {path}", code="shadow-bar-missing", found=bar,
                   expected="a bar file (see `routedesk pilot --help`), relative to the policy file")
        return
    try:
        load_bar(path)
    except BarError as err:
        report.add(where, f"the bar cannot be used: {err}", code="shadow-bar-invalid", found=bar)
