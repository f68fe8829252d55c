"""Turn pydantic's ValidationError into located, readable diagnostics.

pydantic reports a location as a tuple (``('routes', 'chat', 'output', 'json')``, aliases already
applied) with extra segments for union branches (``'int'``, ``"literal['all']"``) and ``'[key]'``
for a bad dict key. Here each error is pinned to the deepest part of that tuple the YAML really
has, union branches are folded into one "expected X or Y", and unknown keys get a did-you-mean
from the fields the schema allows at that spot.
"""

from __future__ import annotations

import re
import types
import typing
from enum import Enum
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from console.core.policy.diagnostics import Diagnostic, PathTuple, did_you_mean, format_path
from console.core.policy.schema import Policy
from console.core.policy.source_map import SourceMap

_EXPECTED_BY_TYPE = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
#: Fields whose found value must never be echoed: someone may have pasted a real key there.
_SECRET_FIELDS = {"key"}


def show(value: Any) -> str:
    """A value as a user would recognise it from their YAML, kept short."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = f"'{value}'" if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def resolve(data: Any, loc: Iterable[Any]) -> tuple[PathTuple, Any, bool]:
    """The longest prefix of ``loc`` present in ``data``, the value there, and whether all of loc was."""
    path: list[Any] = []
    value = data
    for part in loc:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return tuple(path), value, False
        path.append(part)
    return tuple(path), value, True


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        result: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                result.extend(_unwrap(arg))
        return result
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def model_at(path: PathTuple) -> type[BaseModel] | None:
    """The schema class that describes the mapping at ``path`` (None when it is not a model)."""
    current: list[Any] = [Policy]
    for part in path:
        following: list[Any] = []
        for annotation in current:
            for kind in _unwrap(annotation):
                origin = typing.get_origin(kind)
                if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
                    for name, info in kind.model_fields.items():
                        if (info.alias or name) == part:
                            following.append(info.annotation)
                elif origin is dict:
                    following.append(typing.get_args(kind)[1])
                elif origin is list and isinstance(part, int):
                    following.append(typing.get_args(kind)[0])
        current = following
    for annotation in current:
        for kind in _unwrap(annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                return kind
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _choices(error: dict[str, Any]) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


def _expected(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED_BY_TYPE:
        return _EXPECTED_BY_TYPE[kind]
    if kind in ("literal_error", "enum"):
        return f"one of {ctx.get('expected')}"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"a number {bounds[kind]} {limit:g}" if isinstance(limit, (int, float)) else f"{bounds[kind]} {limit}"
    if kind == "string_pattern_mismatch":
        return f"text matching {ctx.get('pattern')}"
    return str(error.get("msg", "a valid value"))


def translate(exc: ValidationError, data: Any, source: SourceMap, file: str) -> list[Diagnostic]:
    """Every pydantic error as a located diagnostic; union branches folded into one."""
    diagnostics: list[Diagnostic] = []
    folded: dict[PathTuple, list[dict[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "missing":
            parent, _, _ = resolve(data, loc[:-1])
            line, column = source.locate(parent, at_key=True)
            owner = model_at(loc[:-1])
            diagnostics.append(
                Diagnostic(file, line, column, format_path(loc), f"missing required key '{loc[-1]}'",
                           expected=f"a '{loc[-1]}' key" + (f" in this {owner.__name__.lower()}" if owner else ""),
                           code="missing-key")
            )
            continue
        if kind == "extra_forbidden":
            line, column = source.locate(loc, at_key=True)
            owner = model_at(loc[:-1])
            allowed = field_names(owner) if owner else []
            diagnostics.append(
                Diagnostic(file, line, column, format_path(loc), f"unknown key '{loc[-1]}'", found=str(loc[-1]),
                           expected="one of " + ", ".join(allowed) if allowed else None,
                           suggestion=did_you_mean(loc[-1], allowed), code="unknown-key")
            )
            continue
        path, value, _ = resolve(data, loc)
        if loc[len(path):][-1:] == ("[key]",):
            line, column = source.locate(path, at_key=True)
            diagnostics.append(
                Diagnostic(file, line, column, format_path(path), f"the name {show(path[-1])} must be text",
                           found=show(path[-1]), expected="a string (quote it)", code="bad-key")
            )
            continue
        folded.setdefault(path, []).append(dict(error))
    for path, errors in folded.items():
        diagnostics.append(_value_diagnostic(path, errors, data, source, file))
    return diagnostics


def _value_diagnostic(
    path: PathTuple, errors: list[dict[str, Any]], data: Any, source: SourceMap, file: str
) -> Diagnostic:
    _, value, _ = resolve(data, path)
    line, column = source.locate(path)
    secret = bool(path) and path[-1] in _SECRET_FIELDS
    found = None if secret else show(value)
    first = errors[0]
    if secret and first["type"] == "string_pattern_mismatch":
        return Diagnostic(file, line, column, format_path(path),
                          "not a key reference (a key itself must never be written in a policy)",
                          expected="'keyring:NAME' or 'env:VAR'", code="bad-key-reference")
    if first["type"] == "value_error":
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        return Diagnostic(file, line, column, format_path(path), message, found=found, code="bad-value")
    expectations: list[str] = []
    choices: list[str] = []
    for error in errors:
        text = _expected(error)
        if text not in expectations:
            expectations.append(text)
        choices.extend(_choices(error))
    expected = " or ".join(expectations)
    suggestion = did_you_mean(value, choices) if choices and isinstance(value, str) else None
    if first["type"] in ("literal_error", "enum") and len(errors) == 1:
        message = f"unknown value {found}"
    else:
        message = f"expected {expected}, found {found if found is not None else 'a value'}"
    code = "bad-choice" if choices else "wrong-type"
    if first["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        code = "out-of-range"
    if isinstance(value, Enum):
        value = value.value
    return Diagnostic(file, line, column, format_path(path), message, found=found, expected=expected,
                      suggestion=suggestion, code=code)
