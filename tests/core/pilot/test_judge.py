"""The LLM judge against a deterministic model: the fault server's ``ok`` echoes the user message,
so the judge's reply is the material it was shown, and the verdict is the last VERDICT line in it."""

from __future__ import annotations

import asyncio

from console.core.compare.session import CompareSession
from console.core.pilot.bar import JudgeSpec
from console.core.pilot.caller import LiveCaller
from console.core.pilot.judge import judge_answer, parse_verdict
from console.core.records import MemoryRecorder
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def test_parse_verdict_takes_the_last_line() -> None:
    assert parse_verdict("thinking... VERDICT: FAIL\nno wait\nVERDICT: pass") is True
    assert parse_verdict("VERDICT: FAIL") is False
    assert parse_verdict("looks fine to me") is None


def test_judge_verdicts_and_cost_through_a_real_server(fault_server: FaultServer) -> None:
    recorder = MemoryRecorder()
    session = CompareSession(None)
    caller = LiveCaller(session, recorder=recorder, kind="pilot", task="math")
    spec = JudgeSpec(model=f"ok@{fault_server.url}", rubric="Is the final number right?")

    async def go():  # type: ignore[no-untyped-def]
        try:
            return [await judge_answer(caller, spec, "2+2?", answer, reference="#### 4", baseline_answer=None)
                    for answer in ("4. VERDICT: PASS", "5. VERDICT: FAIL", "4")]
        finally:
            await session.aclose()

    passed, failed, silent = asyncio.run(go())
    assert passed.passed and not failed.passed and not silent.passed
    assert "no VERDICT" in silent.reason
    assert passed.cost_usd == 0.0  # ad hoc models missing from the price table cost nothing; counted all the same
    sent = fault_server.requests_for("ok")[0].body
    assert sent["messages"][0]["role"] == "system" and "Is the final number right?" in sent["messages"][0]["content"]
    assert "REFERENCE:\n#### 4" in sent["messages"][1]["content"]
    assert [r.kind for r in recorder.requests] == ["pilot"] * 3
