"""The collector the semantic checks write into: a path and a message in, a located Diagnostic out."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.core.policy.diagnostics import Diagnostic, PathTuple, Severity, format_path
from console.core.policy.source_map import SourceMap


@dataclass
class CheckReport:
    """Diagnostics found by the checks, each placed with the source map when there is one."""

    file: str = "<policy>"
    source: SourceMap | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        path: PathTuple,
        message: str,
        *,
        code: str,
        severity: Severity = "error",
        found: object = None,
        expected: str | None = None,
        suggestion: str | None = None,
        at_key: bool = False,
    ) -> None:
        line: int | None = None
        column: int | None = None
        if self.source is not None:
            line, column = self.source.locate(path, at_key=at_key)
        self.diagnostics.append(
            Diagnostic(
                self.file, line, column, format_path(path), message,
                found=None if found is None else str(found), expected=expected,
                severity=severity, suggestion=suggestion, code=code,
            )
        )

    def warn(self, path: PathTuple, message: str, *, code: str, **details: object) -> None:
        self.add(path, message, code=code, severity="warning", **details)  # type: ignore[arg-type]
