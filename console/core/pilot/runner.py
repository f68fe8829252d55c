"""Running a pilot: every case on the baseline and each candidate, bounded concurrency, resumable.

Cases run concurrently (at most ``concurrency`` at a time); within a case the baseline goes first,
since a judge may compare against its answer. A case whose models already answered (imported
history) is judged from those answers with no call. Each finished cell is written to
``pilot_result`` at once (recorded cells in batches), so a run stopped by a crash or a cancel
resumes with the cells it has and calls nobody twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

from sqlalchemy import Engine

from console.core.pilot.assertions import Answer, check_all
from console.core.pilot.bar import QualityBar
from console.core.pilot.cases import PilotCase
from console.core.pilot.cells import Cell
from console.core.pilot.judge import judge_answer
from console.core.pilot.store import PilotSetup, load_cells, save_cells, set_status, start_or_resume

if TYPE_CHECKING:  # the live caller brings in compare and routing; only its result type is needed here
    from console.core.pilot.caller import CallResult

Progress = Callable[[int, int, "Cell | None"], None]
RECORDED_BATCH = 500


class Caller(Protocol):
    async def call(
        self, model: str, prompt: str, *, system: str | None = None, max_tokens: int | None = None
    ) -> CallResult:
        ...


@dataclass
class PilotReport:
    setup: PilotSetup
    cases: list[PilotCase]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    resumed_cells: int = 0
    complete: bool = False

    @property
    def models(self) -> list[str]:
        return [self.setup.baseline, *self.setup.candidates]


class PilotRunner:
    def __init__(self, db: Engine, setup: PilotSetup, cases: list[PilotCase], bar: QualityBar, *,
                 caller: Caller | None = None, concurrency: int = 4) -> None:
        self.db = db
        self.setup = setup
        self.cases = cases
        self.bar = bar
        self.caller = caller
        self.concurrency = max(1, concurrency)
        self._pending_recorded: list[Cell] = []

    async def run(self, progress: Progress | None = None) -> PilotReport:
        report_progress = progress or (lambda done, total, cell: None)
        resuming = start_or_resume(self.db, self.setup)
        done = load_cells(self.db, self.setup.run_id) if resuming else {}
        report = PilotReport(self.setup, self.cases, dict(done), resumed_cells=len(done))
        models = report.models
        total = len(self.cases) * len(models)
        counter = [len(done)]
        report_progress(counter[0], total, None)
        semaphore = asyncio.Semaphore(self.concurrency)

        def finished(cell: Cell) -> None:
            report.cells[(cell.case_id, cell.model)] = cell
            counter[0] += 1
            report_progress(counter[0], total, cell)

        async def one_case(case: PilotCase) -> None:
            missing = [m for m in models if (case.case_id, m) not in report.cells]
            if not missing:
                return
            if all(m in case.recorded for m in missing) and self.bar.judge is None:
                for model in missing:  # no call, no await: judged straight from the history
                    cell = self._recorded_cell(case, model)
                    self._pending_recorded.append(cell)
                    finished(cell)
                if len(self._pending_recorded) >= RECORDED_BATCH:
                    await self._flush_recorded()
                return
            async with semaphore:
                for model in missing:
                    cell = await self._cell(case, model, report)
                    await asyncio.to_thread(save_cells, self.db, self.setup.run_id, [cell])
                    finished(cell)

        try:
            await asyncio.gather(*(one_case(case) for case in self.cases))
        except asyncio.CancelledError:
            await asyncio.shield(self._flush_recorded())
            set_status(self.db, self.setup.run_id, "cancelled")
            raise
        await self._flush_recorded()
        report.complete = len(report.cells) >= total
        set_status(self.db, self.setup.run_id, "finished" if report.complete else "cancelled")
        return report

    async def _flush_recorded(self) -> None:
        batch, self._pending_recorded = self._pending_recorded, []
        if batch:
            await asyncio.to_thread(save_cells, self.db, self.setup.run_id, batch)

    def _recorded_cell(self, case: PilotCase, model: str) -> Cell:
        past = case.recorded[model]
        if not past.text and past.judged_correct is not None:  # a grade-only history: its grade is the verdict
            failures = [] if past.judged_correct else ["graded as failed in the imported history (no answer text)"]
            return Cell(case.case_id, model, not failures, "ok", "", failures, past.cost_usd, 0.0, None,
                        past.input_tokens, past.output_tokens, recorded=True)
        if past.outcome != "ok":  # the model's own failure is its result, as for a live call
            failures = [f"call: {past.outcome}"]
        else:
            failures = check_all(self.bar.assertions, Answer(past.text, None, past.cost_usd), case.reference)
        return Cell(case.case_id, model, not failures, past.outcome, past.text, failures, past.cost_usd, 0.0,
                    past.latency_ms, past.input_tokens, past.output_tokens, recorded=True)

    async def _cell(self, case: PilotCase, model: str, report: PilotReport) -> Cell:
        if model in case.recorded:
            cell = self._recorded_cell(case, model)
        else:
            if self.caller is None:
                raise RuntimeError(f"case {case.case_id} has no recorded answer from {model} and no caller was given")
            result = await self.caller.call(model, case.prompt, system=case.system)
            failures = [] if result.outcome.value == "ok" else [f"call: {result.outcome.value} ({result.error})"]
            if not failures:
                failures = check_all(self.bar.assertions, Answer(result.text, result.latency_ms, result.cost_usd),
                                     case.reference)
            cell = Cell(case.case_id, model, not failures, result.outcome.value, result.text, failures,
                        result.cost_usd, 0.0, result.latency_ms, result.input_tokens, result.output_tokens)
        graded_only = cell.recorded and not cell.output and case.recorded[model].judged_correct is not None
        if self.bar.judge is not None and cell.outcome == "ok" and self.caller is not None and not graded_only:
            baseline = report.cells.get((case.case_id, self.setup.baseline))
            verdict = await judge_answer(self.caller, self.bar.judge, case.prompt, cell.output,
                                         reference=case.reference, baseline_answer=baseline.output if baseline else None)
            cell.judge_cost_usd = verdict.cost_usd
            if not verdict.passed:
                cell.failures.append(verdict.reason)
                cell.passed = False
        return cell
