"""Train and evaluate a learned router: the one use case behind ``routedesk router`` and the Pilot page.

Graded history comes from an imported history, a dataset file or a finished pilot
(``RouterSource``); an imported history or a dataset is graded by the history's own verdicts, or by
a quality bar's assertions on the recorded answers when a bar is given. Bad input is a
``RouterError`` with a sentence, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

from console.core.learned_router.graded import GradedHistory, GradedHistoryError
from console.core.learned_router.router_file import RouterFileError, TrainedRouter, load, resolve, save

if TYPE_CHECKING:
    from console.core.learned_router.evaluation import EvalReport
    from console.core.learned_router.training import Progress, Selection
    from console.core.pilot.bar import QualityBar
    from console.core.policy.schema import Policy

__all__ = ["PilotRouter", "RouterError", "RouterSource", "evaluate_router", "graded_history", "load_router",
           "policy_with_router", "router_path", "train_from_pilot", "train_router"]


class RouterError(ValueError):
    """A router that cannot be trained or evaluated as asked; the message says what and where."""


@dataclass(frozen=True)
class RouterSource:
    """``imported`` (a history's name), ``dataset`` (a file's path) or ``pilot`` (a run id)."""

    kind: Literal["imported", "dataset", "pilot"]
    value: str


def graded_history(source: RouterSource, models: Sequence[str] | None, *, log_url: str | None = None,
                   bar: "QualityBar | None" = None) -> GradedHistory:
    from console.core.learned_router.graded import from_cases, from_pilot
    from console.core.pilot.cases import cases_from_dataset, cases_from_imported
    from console.core.pilot.history_file import HistoryFileError

    try:
        if source.kind == "dataset":
            cases, _ = cases_from_dataset(source.value)
            return from_cases(cases, _models(models, cases), source=f"dataset {source.value}", bar=bar)
        from console.core.app.log import LogError, open_log

        try:
            db = open_log(log_url)
        except LogError as err:
            raise RouterError(str(err)) from None
        try:
            if source.kind == "pilot":
                return from_pilot(db, source.value, models)
            cases = cases_from_imported(db, source.value)
            return from_cases(cases, _models(models, cases), source=f"imported history '{source.value}'", bar=bar)
        finally:
            db.dispose()
    except (GradedHistoryError, HistoryFileError, LookupError, OSError) as err:
        raise RouterError(str(err).strip("'\"")) from None


def _models(models: Sequence[str] | None, cases: Sequence[object]) -> list[str]:
    if models:
        return list(models)
    found: list[str] = []
    for case in cases:
        for name in getattr(case, "recorded", {}):
            if name not in found:
                found.append(name)
    if len(found) < 2:
        raise RouterError(f"the history has graded answers from {len(found)} model(s); a router needs 2 or more")
    return found


def router_path(name: str | Path) -> Path:
    return resolve(name)


def train_router(history: GradedHistory, out: str | Path, *, test_fraction: float = 0.3, seed: int = 0,
                 target: float = 0.95, task: str = "",
                 progress: "Progress | None" = None) -> tuple[Path, TrainedRouter, "list[Selection]"]:
    """Train on ``history`` for ``task``'s route and save to ``out`` (a bare name goes to the routers folder)."""
    from console.core.learned_router.features import EmbedderUnavailable
    from console.core.learned_router.training import train

    if len(history.models) < 2:
        raise RouterError("a router needs at least 2 models")
    try:
        router, selection = train(history, test_fraction=test_fraction, seed=seed, target=target, progress=progress)
        router.info["task"] = task
        path = save(router, resolve(out))
    except (GradedHistoryError, EmbedderUnavailable) as err:
        raise RouterError(str(err)) from None
    except OSError as err:
        raise RouterError(f"{out}: cannot save the router: {err.strerror or err}") from None
    return path, router, selection


def load_router(name: str | Path) -> TrainedRouter:
    try:
        return load(resolve(name))
    except RouterFileError as err:
        raise RouterError(str(err)) from None


def evaluate_router(router: TrainedRouter, history: GradedHistory, *, target: float = 0.95) -> "EvalReport":
    from console.core.learned_router.evaluation import evaluate

    try:
        return evaluate(router, history, target=target)
    except GradedHistoryError as err:
        raise RouterError(str(err)) from None


@dataclass
class PilotRouter:
    """A router trained from a finished pilot, where it was saved, and its curve on the pilot's held-out cases."""

    path: Path
    router: TrainedRouter
    report: "EvalReport"


def train_from_pilot(workspace: object, run_id: str, *, out: str | Path | None = None, seed: int = 0,
                     target: float = 0.95, progress: "Progress | None" = None) -> PilotRouter:
    """The window's "Train a router": the pilot's cells (graded by its bar) in, a router and its curve out.

    Blocking (embedding and fitting take seconds): call it off the GUI thread.
    """
    from console.core.learned_router.graded import from_pilot

    try:
        db = workspace.recorder.db  # type: ignore[attr-defined]
        history = from_pilot(db, run_id)
    except (GradedHistoryError, LookupError) as err:
        raise RouterError(str(err).strip("'\"")) from None
    except Exception as err:  # noqa: BLE001 - an unreadable log: a sentence, not a traceback
        raise RouterError(f"cannot read pilot {run_id}: {err}") from None
    from console.core.pilot.store import load_setup

    task = load_setup(workspace.recorder.db, run_id).task  # type: ignore[attr-defined]
    path, router, _ = train_router(history, out or f"{run_id}.router", seed=seed, target=target, task=task,
                                   progress=progress)
    return PilotRouter(path, router, evaluate_router(router, history, target=target))


def policy_with_router(policy: "Policy", task: str, file: str | Path, target: float,
                       models: Sequence[str] = ()) -> "Policy":
    """A copy of ``policy`` whose route for ``task`` names the router (and lists ``models`` it lacks)."""
    from console.core.policy.schema import RouterRef

    if task not in policy.routes:
        raise RouterError(f"the policy has no route for task '{task}'")
    edited = policy.model_copy(deep=True)
    route = edited.routes[task]
    route.candidates = route.candidates + [m for m in models if m in edited.models and m not in route.candidates]
    route.router = RouterRef(file=str(file), target=round(min(max(target, 0.01), 1.0), 3))
    return edited
