"""Run a prompt on several models side by side; save, list, reload and export comparisons.

The one place a comparison is put together, for ``routedesk compare`` and the window's Side by
side page: columns are parsed from what the person typed, resolved through the workspace's
provider pool (a GGUF the window already loaded is not loaded again), run together, and logged in
the workspace's log as kind ``compare``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from console.core.compare.columns import (
    ColumnSpec, ColumnSpecError, CompareParams, apply_overrides, parse_column_overrides, parse_column_spec,
    unique_labels,
)
from console.core.compare.export import export_text, write_export
from console.core.compare.results import ComparisonResult
from console.core.compare.run import ColumnFinished, ColumnStarted, ColumnText
from console.core.policy.schema import Policy

if TYPE_CHECKING:
    from console.core.compare.run import SideBySide
    from console.core.workspace import Workspace

__all__ = [
    "ColumnFinished", "ColumnSpec", "ColumnSpecError", "ColumnStarted", "ColumnText", "CompareParams", "Comparison",
    "ComparisonResult", "export_text", "list_comparisons", "load_comparison", "parse_columns", "save_comparison",
    "write_export",
]


def parse_columns(models: list[str], policy: Policy | None, per_column: str = "") -> list[ColumnSpec]:
    """Column specs from model names (aliases, MODEL@URL, .gguf paths) and per-column overrides.

    Raises ColumnSpecError with a sentence naming the model or override at fault.
    """
    specs = unique_labels([parse_column_spec(m.strip(), policy) for m in models if m.strip()])
    return apply_overrides(specs, parse_column_overrides(per_column))


class Comparison:
    """One side-by-side run in a workspace; ``cancel`` may be called from any thread."""

    def __init__(self, workspace: "Workspace", policy: Policy | None, policy_path: str | Path | None,
                 specs: list[ColumnSpec], params: CompareParams, *, record: bool = True) -> None:
        self.workspace = workspace
        self.policy = policy
        self.policy_path = policy_path
        self.specs = specs
        self.params = params
        self.record = record
        self._runner: "SideBySide | None" = None

    async def run(self, on_event: Callable[[Any], None] | None = None) -> ComparisonResult:
        """Every column's answer (events as they stream); providers go back to the pool after."""
        from console.core.compare.run import SideBySide
        from console.core.compare.session import CompareSession
        from console.core.policy.save import policy_hash

        session = CompareSession(self.policy, self.policy_path, providers=self.workspace.providers)
        try:
            columns = [session.resolve(spec) for spec in self.specs]
            self._runner = SideBySide(
                columns, self.params, recorder=self.workspace.recorder if self.record else None,
                policy_name=self.policy.name if self.policy else "",
                policy_hash=policy_hash(self.policy) if self.policy else "")
            return await self._runner.run(on_event)
        finally:
            await session.aclose()

    def cancel(self, index: int) -> None:
        """Stop one column; it ends as ``cancelled`` with what it had streamed."""
        if self._runner is not None:
            self._runner.cancel(index)

    def cancel_all(self) -> None:
        if self._runner is not None:
            self._runner.cancel_all()


def _log_db(workspace: "Workspace") -> Any:
    db = getattr(workspace.recorder, "db", None)
    if db is None:
        raise LookupError("saved comparisons live in the routing log, and this workspace keeps no log")
    return db


def save_comparison(workspace: "Workspace", result: ComparisonResult) -> int:
    """Store ``result`` (prompt, columns, winner, note); its id. Blocking: call it off the GUI thread."""
    from console.core.compare.store import save_comparison as save

    return save(_log_db(workspace), result)


def list_comparisons(workspace: "Workspace") -> list[Any]:
    """The saved comparisons, newest first."""
    from console.core.compare.store import list_comparisons as listed

    return listed(_log_db(workspace))


def load_comparison(workspace: "Workspace", comparison_id: int) -> ComparisonResult:
    """A saved comparison; KeyError naming the id when there is none."""
    from console.core.compare.store import load_comparison as load

    return load(_log_db(workspace), comparison_id)
