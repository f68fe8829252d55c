"""Load a policy file: text → YAML → schema → semantic checks, collecting every located problem.

Nothing here raises at a user for bad input: a missing file, a directory, bytes that are not UTF-8,
YAML that does not parse, keys written twice, wrong types, unknown keys and broken references all
become ``Diagnostic``s. When the schema rejects part of the file, the broken entries are set aside
and the rest is still checked, so one run shows every problem rather than the first.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from console.core.policy.checks import check_policy
from console.core.policy.diagnostics import Diagnostic, PathTuple, PolicyLoadError, format_path, has_errors
from console.core.policy.schema import Policy
from console.core.policy.schema_errors import resolve, translate
from console.core.policy.source_map import SourceMap, parse_yaml

#: A policy is a page of text; anything this big is the wrong file.
MAX_POLICY_BYTES = 4 * 1024 * 1024
_NAMED_SECTIONS = ("providers", "models", "tasks", "routes", "residency")
#: Check findings that only repeat, in other words, that a broken entry was set aside.
_CASCADE_CODES = {"unknown-model", "unknown-provider", "unknown-task", "task-without-route", "unreachable-task"}
_SALVAGE_ROUNDS = 8


@dataclass
class LoadResult:
    """What loading one file found.

    Attributes:
        policy: the policy, only when there is no error at all (warnings allowed).
        parsed: the schema-valid policy even when semantic checks found errors (for editors).
        diagnostics: every problem, errors and warnings, in file order.
        text: the file's text ("" when it could not be read).
        content_hash: sha256 of the text, first 16 hex digits; equals ``save.policy_hash`` for a canonical file.
    """

    file: str
    policy: Policy | None
    diagnostics: list[Diagnostic]
    text: str
    content_hash: str
    parsed: Policy | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _failed(file: str, message: str, *, code: str, text: str = "", line: int | None = None,
            column: int | None = None, expected: str | None = None) -> LoadResult:
    diagnostic = Diagnostic(file, line, column, "", message, expected=expected, code=code)
    return LoadResult(file, None, [diagnostic], text, text_hash(text))


def load_policy(path: str | Path) -> LoadResult:
    """Read and check the policy at ``path``; never raises for a bad file."""
    file = str(path)
    target = Path(path)
    try:
        if target.is_dir():
            return _failed(file, "is a directory, not a policy file", code="not-a-file")
        with target.open("rb") as handle:
            raw = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        return _failed(file, "no such file", code="no-file")
    except PermissionError:
        return _failed(file, "permission denied: cannot read this file", code="unreadable")
    except OSError as error:
        return _failed(file, f"cannot read this file: {error.strerror or error}", code="unreadable")
    if len(raw) > MAX_POLICY_BYTES:
        return _failed(file, f"file is larger than {MAX_POLICY_BYTES // (1024 * 1024)} MiB; is it really a policy?",
                       code="too-big")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return _failed(file, f"not UTF-8 text (byte 0x{raw[error.start]:02x})", code="not-utf8", line=line,
                       column=column, expected="a UTF-8 encoded YAML file")
    return load_policy_text(text, file)


def load_policy_text(text: str, filename: str = "<policy>") -> LoadResult:
    """Check policy ``text`` as if read from ``filename``."""
    digest = text_hash(text)
    parsed = parse_yaml(text)
    diagnostics = [
        Diagnostic(filename, p.position[0], p.position[1], format_path(p.path), p.message, found=p.found, code=p.code)
        for p in parsed.problems
    ]
    data = parsed.data
    if data is None and not parsed.problems:
        diagnostics.append(Diagnostic(filename, 1, 1, "", "the file is empty", code="empty",
                                      expected="a mapping with name, providers, models, tasks, classification, routes"))
    if data is None or (parsed.problems and any(p.code in ("too-big", "recursive-alias") for p in parsed.problems)):
        return LoadResult(filename, None, _sorted(diagnostics), text, digest)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"'{data}'"
        line, column = parsed.source.locate(())
        diagnostics.append(Diagnostic(filename, line, column, "", f"the top level must be a mapping, found {kind}",
                                      expected="name:, providers:, models:, ...", code="not-a-mapping"))
        return LoadResult(filename, None, _sorted(diagnostics), text, digest)
    policy, schema_diagnostics, removed = _validate(data, parsed.source, filename)
    diagnostics += schema_diagnostics
    if policy is not None:
        findings = check_policy(policy, source=parsed.source, file=filename)
        if removed:
            findings = [d for d in findings if not (d.code in _CASCADE_CODES and d.found in removed)]
        diagnostics += findings
    diagnostics = _sorted(diagnostics)
    clean = policy is not None and not has_errors(diagnostics)
    parsed_policy = policy if not schema_diagnostics else None
    return LoadResult(filename, policy if clean else None, diagnostics, text, digest, parsed=parsed_policy)


def load_policy_or_raise(path: str | Path) -> Policy:
    """The policy at ``path``, or PolicyLoadError listing every problem."""
    result = load_policy(path)
    if result.policy is None:
        raise PolicyLoadError(result.diagnostics)
    return result.policy


def _validate(data: dict[str, Any], source: SourceMap, file: str) -> tuple[Policy | None, list[Diagnostic], set[str]]:
    """Validate; on failure report every error, then set broken entries aside so the rest can be checked."""
    try:
        return Policy.model_validate(data), [], set()
    except ValidationError as error:
        diagnostics = translate(error, data, source, file)
        first_error = error
    salvaged = copy.deepcopy(data)
    removed: set[str] = set()
    current: ValidationError = first_error
    for _ in range(_SALVAGE_ROUNDS):
        if not _set_aside(salvaged, current, removed):
            return None, diagnostics, removed
        try:
            return Policy.model_validate(salvaged), diagnostics, removed
        except ValidationError as error:
            current = error
    return None, diagnostics, removed


_GONE = object()


def _set_aside(data: dict[str, Any], error: ValidationError, removed: set[str]) -> bool:
    """Remove what each error points at (a whole entry when a required key is missing); False if stuck."""
    targets: set[PathTuple] = set()
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path, _, _ = resolve(data, loc[:-1] if item["type"] == "missing" else loc)
        if not path or (len(path) == 1 and path[0] in _REQUIRED_TOP):
            return False  # without this section there is nothing left to check
        targets.add(path)
    for path in sorted(targets, key=len, reverse=True):
        parent, _, whole = resolve(data, path[:-1])
        container = _get(data, parent) if whole else None
        if isinstance(container, dict):
            container.pop(path[-1], None)
        elif isinstance(container, list) and isinstance(path[-1], int) and path[-1] < len(container):
            container[path[-1]] = _GONE
        if len(path) == 2 and path[0] in _NAMED_SECTIONS:
            removed.add(str(path[1]))
    _compact(data)
    return True


_REQUIRED_TOP = {"name", "providers", "models", "tasks", "classification", "routes"}


def _get(data: Any, path: PathTuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        for key in list(value):
            _compact(value[key])
    elif isinstance(value, list):
        value[:] = [item for item in value if item is not _GONE]
        for item in value:
            _compact(item)
    return value


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)
