"""Assertions, number extraction and bar files on known cases."""

from __future__ import annotations

import pytest

from console.core.pilot.assertions import Answer, Assertion, check, check_all, extract_number, problem_with
from console.core.pilot.bar import BarError, parse_bar


@pytest.mark.parametrize("text, number", [
    ("so she makes 9 * $2 = $18 every day.", 18.0),
    ("He paid $1,234.50 in total.", 1234.5),
    ("Janet sells 9 eggs.\n#### 18", 18.0),
    ("#### 1,000\n(and 7 more words)", 1000.0),
    ("The answer is -3.", -3.0),
    ("no digits here", None),
    ("", None),
])
def test_extract_number(text: str, number: float | None) -> None:
    assert extract_number(text) == number


def _fails(kind: str, text: str, value: object = None, reference: str | None = None, **answer: object) -> bool:
    return check(Assertion(kind=kind, value=value), Answer(text, **answer), reference) is not None  # type: ignore[arg-type]


def test_each_assertion_on_known_cases() -> None:
    assert not _fails("contains", "The Capital is Paris", "paris")
    assert _fails("contains", "London", "paris")
    assert _fails("not_contains", "I cannot help", "cannot")
    assert not _fails("regex", "order #12345", r"#\d{5}")
    assert _fails("regex", "order 12", r"#\d{5}")
    assert not _fails("regex", "ORDER #12345", r"order #\d{5}")  # case-insensitive unless asked
    assert not _fails("equals_reference", " Yes ", reference="yes")
    assert _fails("equals_reference", "no", reference="yes")
    assert not _fails("numeric", "that is $18.", reference="steps...\n#### 18")
    assert _fails("numeric", "that is 17", reference="#### 18")
    assert _fails("numeric", "eighteen", reference="#### 18")
    assert not _fails("json", '```json\n{"a": 1}\n```')
    assert _fails("json", "{a: 1}")
    schema = {"type": "object", "required": ["a"]}
    assert not _fails("json_schema", '{"a": 1}', schema)
    assert _fails("json_schema", '{"b": 1}', schema)
    assert _fails("max_length", "x" * 11, 10)
    assert not _fails("max_latency_ms", "ok", 100, latency_ms=99.0)
    assert _fails("max_latency_ms", "ok", 100, latency_ms=101.0)
    assert not _fails("max_latency_ms", "ok", 100)  # recorded answers have no latency to hold against them
    assert _fails("max_cost_usd", "ok", 0.001, cost_usd=0.002)


def test_check_all_lists_every_failure() -> None:
    bar = [Assertion(kind="contains", value="a"), Assertion(kind="max_length", value=2)]
    assert check_all(bar, Answer("bbb"), None) == ["contains: does not contain 'a'", "max_length: 3 characters > 2"]


def test_bar_files_say_what_is_wrong() -> None:
    bar = parse_bar("assertions:\n  - {kind: numeric}\nrule: {relative_to_baseline: 0.95, min_pass_rate: 0.5}\n")
    assert "95%" in bar.rule.describe() and "50%" in bar.rule.describe()
    with pytest.raises(BarError, match="assertions.0.kind"):
        parse_bar("assertions:\n  - {kind: nope}\n", "bar.yaml")
    with pytest.raises(BarError, match="needs a value"):
        parse_bar("assertions:\n  - {kind: contains}\n", "bar.yaml")
    with pytest.raises(BarError, match="at least one assertion"):
        parse_bar("rule: {min_pass_rate: 0.9}\n", "bar.yaml")
    with pytest.raises(BarError, match=r"bar.yaml:\d+: not valid YAML"):
        parse_bar("assertions:\n  - [unclosed\n", "bar.yaml")


def test_a_regex_assertion_re2_cannot_run_is_named_before_the_run() -> None:
    problem = problem_with(Assertion(kind="regex", value="(?<=#)\\d+"))
    assert problem is not None and "lookahead or lookbehind" in problem and "RE2" in problem
    assert problem_with(Assertion(kind="regex", value="#\\d+")) is None
