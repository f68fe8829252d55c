"""ReDoS: rule and validator regexes run on RE2, so no prompt or answer costs more than linear time.

Each hostile pattern below makes Python's backtracking ``re`` run for longer than the universe has
existed on inputs of a few dozen characters (issue 15: 29 characters froze the endpoint for 13 s).
The Python-re version is never run here. On RE2 a 100,000-character input must finish within a
bound far above what linear matching needs on a slow shared machine; a backtracking engine could
not meet it by many orders of magnitude.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from console.cli.main import run
from console.core.outcomes import Outcome
from console.core.policy.loader import load_policy_text
from console.core.policy.schema import Policy, Route
from console.core.providers.base import ProviderCall
from console.core.request import Message, Request
from console.core.routing.attempt import check_output
from console.core.routing.classify import classify_by_rules
from tests.gateway.endpoint import running_endpoint
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

#: (pattern, hostile input): the classic exponential-backtracking shapes.
HOSTILE = [
    ("(a+)+$", "a" * 100_000 + "!"),
    ("(a|a)*b", "a" * 100_000),
    ("(.*a){20}", "a" * 100_000),
    ("^(\\w+\\s?)*$", "word " * 20_000 + "!"),
    ("(x+x+)+y", "x" * 100_000),
]
#: Seconds; linear matching of 100k characters takes milliseconds, backtracking takes forever.
BOUND_S = 1.0


def _policy(regex: str | None = None, validator: str | None = None, keywords: list[str] | None = None) -> dict[str, Any]:
    when: dict[str, Any] = {"regex": regex} if regex is not None else {"keywords": keywords or ["never"]}
    route: dict[str, Any] = {"candidates": ["small"]}
    if validator is not None:
        route["confidence"] = {"validator_regex": validator}
    return {
        "version": 1,
        "name": "hostile",
        "providers": {"local": {"kind": "local-gguf"}},
        "models": {"small": {"provider": "local", "model": "bundled:smollm2-135m", "region": "on-prem"}},
        "tasks": {"chat": {}, "trap": {}},
        "classification": {"default": "chat", "rules": [{"name": "trap", "task": "trap", "when": when}]},
        "routes": {"chat": route, "trap": {"candidates": ["small"]}},
    }


def _timed(action: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("pattern", "prompt"), HOSTILE, ids=[p for p, _ in HOSTILE])
def test_a_hostile_prompt_classifies_in_linear_time(pattern: str, prompt: str) -> None:
    policy = Policy.model_validate(_policy(regex=pattern))
    request = Request.from_prompt(prompt)
    classify_by_rules(Request.from_prompt("warm the pattern cache"), policy)
    got, seconds = _timed(lambda: classify_by_rules(request, policy))
    assert got.task in ("chat", "trap")
    assert seconds < BOUND_S, f"{pattern!r} took {seconds:.2f}s on {len(prompt)} characters"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("pattern", "answer"), HOSTILE, ids=[p for p, _ in HOSTILE])
def test_a_hostile_answer_is_validated_in_linear_time(pattern: str, answer: str) -> None:
    route = Route.model_validate({"candidates": ["m"], "confidence": {"validator_regex": pattern}})
    call = ProviderCall(model_id="m", messages=(Message("user", "hi"),), max_tokens=10)
    check_output("warm the pattern cache", route, call, [])
    verdict, seconds = _timed(lambda: check_output(answer, route, call, []))
    assert verdict is None or verdict[0] is Outcome.LOW_CONFIDENCE
    assert seconds < BOUND_S, f"{pattern!r} took {seconds:.2f}s on {len(answer)} characters"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("pattern", "answer"), HOSTILE, ids=[p for p, _ in HOSTILE])
def test_a_pilot_regex_assertion_checks_a_hostile_answer_in_linear_time(pattern: str, answer: str) -> None:
    from console.core.pilot.assertions import Answer, Assertion, check

    assertion = Assertion(kind="regex", value=pattern)
    check(assertion, Answer("warm"), None)
    _verdict, seconds = _timed(lambda: check(assertion, Answer(answer), None))
    assert seconds < BOUND_S, f"{pattern!r} took {seconds:.2f}s on {len(answer)} characters"


@pytest.mark.timeout(60)
def test_many_keywords_against_a_long_prompt_are_linear() -> None:
    keywords = [f"w{index}ord" for index in range(500)] + ["C++", "naïve"]
    policy = Policy.model_validate(_policy(keywords=keywords))
    prompt = "w1or " * 20_000 + "a naïve question"
    classify_by_rules(Request.from_prompt("warm"), policy)
    got, seconds = _timed(lambda: classify_by_rules(Request.from_prompt(prompt), policy))
    assert got.task == "trap" and "keyword 'naïve'" in got.reason
    assert seconds < BOUND_S


@pytest.mark.parametrize(("pattern", "_prompt"), HOSTILE, ids=[p for p, _ in HOSTILE])
def test_hostile_shapes_still_validate_because_re2_runs_them_safely(pattern: str, _prompt: str) -> None:
    result = load_policy_text_of(_policy(regex=pattern, validator=pattern))
    assert result.policy is not None, [d.format() for d in result.diagnostics]


def load_policy_text_of(data: dict[str, Any]) -> Any:
    import yaml

    return load_policy_text(yaml.safe_dump(data, sort_keys=False), "hostile.yaml")


@pytest.mark.parametrize(
    ("pattern", "why", "instead"),
    [
        ("(\\w+) \\1", "a backreference", "write the repeated text out"),
        ("(?P<w>a)(?P=w)", "a backreference", "write the repeated text out"),
        ("refund(?!ed)", "a lookahead or lookbehind", "not: condition"),
        ("(?<=order )\\d+", "a lookahead or lookbehind", "not: condition"),
        ("(?>a+)b", "an atomic group or possessive quantifier", "plain group"),
        ("a++b", "an atomic group or possessive quantifier", "plain group"),
        ("(a)?(?(1)b|c)", "a conditional group", "own rule"),
        ("done\\Z", "\\Z", "\\z"),
    ],
)
def test_validate_refuses_what_re2_cannot_run_with_file_line_column(
    pattern: str, why: str, instead: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(_policy(regex=pattern), sort_keys=False))
    regex_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "regex:" in line)
    assert run(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    error = next(line for line in out.splitlines() if "classification.rules[0].when.regex" in line)
    assert error.startswith(f"{path}:{regex_line}:")
    assert f"uses {why}, which the linear-time regex engine (RE2) cannot run" in error
    assert instead in error


def test_a_validator_regex_re2_cannot_run_is_refused_too() -> None:
    result = load_policy_text_of(_policy(validator="(?=.*yes)"))
    [error] = result.errors
    assert error.path == "routes.chat.confidence.validator_regex" and error.code == "regex-unsupported"
    assert error.line is not None and error.column is not None


@pytest.mark.timeout(120)
def test_the_endpoint_answers_a_hostile_prompt_and_keeps_serving_others(fault_server: FaultServer) -> None:  # noqa: F811
    """The reported attack, end to end: a 36-character prompt got no answer in 45 s and froze every client."""
    upstream = fault_server
    data = _policy(regex="(a+)+$")
    data["providers"] = {"up": {"kind": "openai-compatible", "base_url": upstream.url}}
    data["models"] = {"small": {"provider": "up", "model": "ok#redos", "prices": {"input": 1, "output": 2},
                                "context_window": 1_000_000}}
    with running_endpoint(Policy.model_validate(data)) as live:
        client = live.openai(timeout=30.0)
        tasks: dict[str, str] = {}

        def ask(name: str, prompt: str) -> None:
            try:
                raw = client.chat.completions.with_raw_response.create(
                    model="auto", messages=[{"role": "user", "content": prompt}], max_tokens=8)
                tasks[name] = raw.headers["x-routedesk-task"]
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                tasks[name] = repr(error)

        hostile = [threading.Thread(target=ask, args=(f"hostile-{size}", "a" * size + "!"))
                   for size in (36, 100_000)]
        start = time.perf_counter()
        for thread in hostile:
            thread.start()
        ask("good", "hello there")
        for thread in hostile:
            thread.join(timeout=60)
        seconds = time.perf_counter() - start
    assert tasks == {"hostile-36": "chat", "hostile-100000": "chat", "good": "chat"}
    assert seconds < 20, f"three requests took {seconds:.1f}s"
