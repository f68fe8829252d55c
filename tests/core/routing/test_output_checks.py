"""Answer checks: empty, JSON, JSON schema, confidence by logprob and by validator."""

from __future__ import annotations

from console.core.outcomes import Outcome
from console.core.policy.schema import Route
from console.core.providers.base import ProviderCall
from console.core.request import Message
from console.core.routing.attempt import check_output

CALL = ProviderCall(model_id="m", messages=(Message("user", "hi"),), max_tokens=10)


def route(**kwargs) -> Route:
    return Route.model_validate({"candidates": ["m"], **kwargs})


def test_empty_and_whitespace_are_empty_output() -> None:
    assert check_output("  \n", route(), CALL, [])[0] is Outcome.EMPTY_OUTPUT
    assert check_output("fine", route(), CALL, []) is None


def test_json_required_accepts_fenced_json_and_rejects_prose() -> None:
    r = route(output={"json": True})
    assert check_output('```json\n{"a": 1}\n```', r, CALL, []) is None
    outcome, why = check_output("Sure! here it is: {a:1}", r, CALL, [])
    assert outcome is Outcome.INVALID_OUTPUT and "not valid JSON" in why


def test_schema_violation_names_the_field() -> None:
    schema = {"type": "object", "required": ["label"], "properties": {"label": {"enum": ["a", "b"]}}}
    r = route(output={"schema": schema})
    assert check_output('{"label": "a"}', r, CALL, []) is None
    outcome, why = check_output('{"label": "c"}', r, CALL, [])
    assert outcome is Outcome.INVALID_OUTPUT and why.startswith("the answer does not match the JSON schema: label:")


def test_low_confidence_by_mean_logprob_and_by_validator() -> None:
    r = route(confidence={"min_mean_logprob": -1.0})
    assert check_output("ok", r, CALL, [-0.1, -0.5]) is None
    outcome, why = check_output("ok", r, CALL, [-0.5, -2.5])
    assert outcome is Outcome.LOW_CONFIDENCE and "-1.500" in why
    v = route(confidence={"validator_regex": r"^\d+$"})
    assert check_output("42", v, CALL, []) is None
    assert check_output("forty-two", v, CALL, [])[0] is Outcome.LOW_CONFIDENCE
