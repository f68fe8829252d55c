"""Run or resume a pilot: baseline against candidates on real cases, judged by a bar fixed up front.

The one place a pilot is put together, for ``routedesk pilot`` and the window's Pilot page alike:
the cases are gathered, the run id is derived from the set-up (``pilot_run_id``, one formula), the
set-up is stored with one ``source`` shape, and the calls go through the workspace's provider pool
and log. So the same set-up gives the same run id in either front end, and a pilot stopped in one
resumes in the other with every finished cell kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from console.core.pilot.bar import BarError, QualityBar, load_bar, parse_bar
from console.core.pilot.route_edit import RouteEditError, candidate_first
from console.core.policy.schema import Policy

if TYPE_CHECKING:
    from console.core.pilot.cases import PilotCase
    from console.core.pilot.runner import PilotReport
    from console.core.pilot.summary import ModelSummary
    from console.core.pilot.verdict import Verdict
    from console.core.workspace import Workspace

__all__ = [
    "BarError", "PilotError", "PilotOutcome", "PilotSetupRequest", "PilotSource", "QualityBar", "RouteEditError",
    "candidate_first", "load_bar", "parse_bar", "pilot_run_id", "run_pilot",
]

Progress = Callable[[int, int], None]


class PilotError(ValueError):
    """A pilot that cannot run as asked: no cases, an unreadable source or log, a changed bar."""


@dataclass(frozen=True)
class PilotSource:
    """Where the cases come from: an imported history, a dataset file, the routing log, or the
    cases a route's shadow collected (``console/core/app/shadow.py``).

    ``value`` is the history's name, the file's path, how far back to read the log ("30d"), or the route.
    """

    kind: Literal["imported", "dataset", "log", "shadow"]
    value: str = ""

    def to_json(self, task: str) -> dict[str, object]:
        """The form stored with the run (and hashed into its id)."""
        if self.kind == "imported":
            return {"imported": self.value}
        if self.kind == "dataset":
            return {"dataset": str(Path(self.value).expanduser().resolve())}  # one file, however it was typed
        if self.kind == "shadow":
            return {"shadow": self.value}
        return {"log": task, "since": self.value or "30d"}


@dataclass(frozen=True)
class PilotSetupRequest:
    """What a person asks for: task, baseline, candidates, the bar, the cases, at most ``limit`` of them."""

    task: str
    baseline: str
    candidates: tuple[str, ...]
    bar: QualityBar
    source: PilotSource
    limit: int | None = None


def pilot_run_id(request: PilotSetupRequest) -> str:
    """The run id a set-up gets in every front end: equal set-ups share it, so a stopped run resumes."""
    key = json.dumps([request.task, request.baseline, list(request.candidates), request.bar.to_json_text(),
                      request.source.to_json(request.task), request.limit], sort_keys=True)
    return "pilot-" + hashlib.sha1(key.encode()).hexdigest()[:12]


@dataclass
class PilotOutcome:
    """A finished or stopped pilot: the cells, a verdict per candidate, a summary per model."""

    report: "PilotReport"
    verdicts: "list[Verdict]"
    summaries: "list[ModelSummary]"
    problems: list[str] = field(default_factory=list)  # dataset rows that were skipped, and why

    @property
    def meets_bar(self) -> bool:
        return all(v.meets_bar for v in self.verdicts)


def _cases(db: object, request: PilotSetupRequest) -> "tuple[list[PilotCase], list[str]]":
    from console.core.ledger.filters import DurationError, Filters
    from console.core.pilot.cases import cases_from_dataset, cases_from_imported, cases_from_log
    from console.core.pilot.history_file import HistoryFileError

    source = request.source
    try:
        if source.kind == "imported":
            return cases_from_imported(db, source.value, limit=request.limit), []  # type: ignore[arg-type]
        if source.kind == "dataset":
            return cases_from_dataset(source.value, limit=request.limit)
        if source.kind == "shadow":
            from console.core.shadow.store import cases_from_shadow

            found = cases_from_shadow(db, source.value, request.candidates[0])  # type: ignore[arg-type]
            return (found[:request.limit] if request.limit else found), []
        since = source.value or "30d"
        return cases_from_log(db, Filters.last(since, task=request.task), limit=request.limit or 500), []  # type: ignore[arg-type]
    except (LookupError, HistoryFileError, DurationError, OSError) as err:
        raise PilotError(str(err)) from None


async def run_pilot(
    workspace: "Workspace",
    policy: Policy | None,
    policy_path: str | Path | None,
    request: PilotSetupRequest,
    *,
    run_id: str | None = None,
    concurrency: int = 4,
    progress: Progress | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> PilotOutcome:
    """Run (or resume, when the run id is known to the log) one pilot; raise PilotError for bad input.

    ``on_start(run_id, cases)`` is called once the cases are known; ``progress(done, total)`` as
    cells finish. Every call is logged in the workspace's log as kind ``pilot``.
    """
    from console.core.compare.session import CompareSession
    from console.core.pilot.caller import LiveCaller
    from console.core.pilot.runner import PilotRunner
    from console.core.pilot.store import PilotSetup, PilotStoreError
    from console.core.pilot.summary import summarize
    from console.core.pilot.verdict import decide, monthly_requests

    if request.limit is not None and request.limit <= 0:
        raise PilotError("the case limit must be a positive number")
    if not request.candidates:
        raise PilotError("name at least one candidate model")
    try:
        db = workspace.recorder.db  # type: ignore[attr-defined]
    except Exception as err:  # an unreadable or newer log: a sentence, not a traceback
        raise PilotError(str(err)) from None
    cases, problems = await asyncio.to_thread(_cases, db, request)
    if not cases and request.source.kind == "shadow":
        raise PilotError(f"route '{request.source.value}' has collected no shadow cases of {request.candidates[0]} yet "
                         "(a sampled share of its answered requests is shadowed as traffic arrives)")
    if not cases:
        raise PilotError("no cases to pilot on (logged requests keep their prompt only when recorded with it)")
    run_id = run_id or pilot_run_id(request)
    bar_json = request.bar.to_json_text()
    setup = PilotSetup(run_id, request.task, request.baseline, tuple(request.candidates), bar_json,
                       request.source.to_json(request.task))
    if on_start is not None:
        on_start(run_id, len(cases))
    session = CompareSession(policy, policy_path, providers=workspace.providers)
    caller = LiveCaller(session, recorder=workspace.recorder, task=request.task)
    try:
        report = await PilotRunner(db, setup, cases, request.bar, caller=caller, concurrency=concurrency).run(
            None if progress is None else (lambda done, total, cell: progress(done, total)))
    except PilotStoreError as err:
        raise PilotError(str(err)) from None
    finally:
        await session.aclose()
    volume = await asyncio.to_thread(monthly_requests, db, request.task)
    verdicts = [decide(report, request.bar, candidate, volume=volume) for candidate in request.candidates]
    return PilotOutcome(report, verdicts, summarize(report), problems)
