"""Per-case assertions of a quality bar, and the number extraction the math checks rely on.

Each assertion looks at one answer (its text, latency, cost) and the case's reference, and says
pass or fail with a short reason. ``numeric`` compares the answer's final number with the
reference's: the number after ``####`` when there is one, else the last number in the text,
with thousands commas, ``$`` and a trailing ``.`` ignored (``$1,234.`` reads as 1234).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from console.core.policy.patterns import PatternError, check_pattern, search

_NUMBER = re.compile(r"-?\$?\s?\d[\d,]*(?:\.\d+)?")
_AFTER_HASHES = re.compile(r"####\s*([^\n]*)")


def extract_number(text: str | None) -> float | None:
    """The final numeric answer in ``text``: after ``####`` if present, else the last number."""
    if not text:
        return None
    marked = _AFTER_HASHES.findall(text)
    scope = marked[-1] if marked and _NUMBER.search(marked[-1]) else text
    found = _NUMBER.findall(scope)
    if not found:
        return None
    pick = found[0] if marked and scope is marked[-1] else found[-1]
    cleaned = pick.replace("$", "").replace(",", "").replace(" ", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


AssertionKind = Literal["contains", "not_contains", "regex", "equals_reference", "numeric", "json", "json_schema",
                        "max_length", "max_latency_ms", "max_cost_usd"]


class Assertion(BaseModel):
    """One check. ``value`` is the text, pattern, schema or limit the kind needs."""

    model_config = ConfigDict(extra="forbid")

    kind: AssertionKind
    value: Any = None
    case_sensitive: bool = False
    tolerance: float = Field(default=1e-6, ge=0)


@dataclass(frozen=True)
class Answer:
    """What an assertion sees of one model's answer to one case."""

    text: str
    latency_ms: float | None = None
    cost_usd: float = 0.0


NEEDS_VALUE = {"contains", "not_contains", "regex", "json_schema", "max_length", "max_latency_ms", "max_cost_usd"}


def problem_with(assertion: Assertion) -> str | None:
    """A sentence when the assertion cannot work (missing value, bad regex), else None."""
    if assertion.kind in NEEDS_VALUE and assertion.value is None:
        return f"assertion '{assertion.kind}' needs a value"
    if assertion.kind == "regex":
        problem = check_pattern(str(assertion.value))
        if problem is not None:
            return f"assertion 'regex': bad pattern {assertion.value!r}: {problem}"
    if assertion.kind in ("max_length", "max_latency_ms", "max_cost_usd"):
        try:
            float(assertion.value)
        except (TypeError, ValueError):
            return f"assertion '{assertion.kind}' needs a number, got {assertion.value!r}"
    if assertion.kind == "json_schema" and not isinstance(assertion.value, dict):
        return "assertion 'json_schema' needs a JSON schema object as its value"
    return None


def check(assertion: Assertion, answer: Answer, reference: str | None) -> str | None:
    """None when the answer passes, else why it fails."""
    kind, value, text = assertion.kind, assertion.value, answer.text
    fold: Callable[[str], str] = (lambda s: s) if assertion.case_sensitive else str.lower
    if kind == "contains":
        return None if fold(str(value)) in fold(text) else f"does not contain {value!r}"
    if kind == "not_contains":
        return None if fold(str(value)) not in fold(text) else f"contains {value!r}"
    if kind == "regex":
        # RE2, linear in the answer: a model's answer can be shaped by prompt injection.
        pattern = str(value) if assertion.case_sensitive else f"(?i){value}"
        try:
            return None if search(pattern, text) else f"does not match /{value}/"
        except PatternError as err:
            return f"bad pattern /{value}/: {err}"
    if kind == "equals_reference":
        if reference is None:
            return "the case has no reference answer"
        return None if fold(text.strip()) == fold(reference.strip()) else "differs from the reference"
    if kind == "numeric":
        return _numeric(answer.text, reference, assertion.tolerance)
    if kind in ("json", "json_schema"):
        from console.core.routing.attempt import strip_json_fence

        try:
            parsed = json.loads(strip_json_fence(text))
        except ValueError:
            return "not valid JSON"
        if kind == "json_schema":
            import jsonschema

            try:
                jsonschema.validate(parsed, value)
            except jsonschema.ValidationError as err:
                return f"JSON does not match the schema: {err.message}"
        return None
    if kind == "max_length":
        return None if len(text) <= float(value) else f"{len(text)} characters > {value}"
    if kind == "max_latency_ms":
        if answer.latency_ms is None:
            return None  # a recorded answer has no latency to hold against it
        return None if answer.latency_ms <= float(value) else f"{answer.latency_ms:.0f} ms > {value} ms"
    if kind == "max_cost_usd":
        return None if answer.cost_usd <= float(value) else f"${answer.cost_usd:.6f} > ${value}"
    return f"unknown assertion {kind!r}"


def _numeric(text: str, reference: str | None, tolerance: float) -> str | None:
    if reference is None:
        return "the case has no reference answer"
    expected = extract_number(reference)
    if expected is None:
        return "the reference holds no number"
    got = extract_number(text)
    if got is None:
        return f"no number in the answer (expected {expected:g})"
    return None if abs(got - expected) <= tolerance * max(1.0, abs(expected)) else f"answered {got:g}, expected {expected:g}"


def check_all(assertions: list[Assertion], answer: Answer, reference: str | None) -> list[str]:
    """Every failing assertion's reason (empty: the answer passes them all)."""
    return [f"{a.kind}: {why}" for a in assertions if (why := check(a, answer, reference)) is not None]
