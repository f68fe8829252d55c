"""The LLM judge: a chosen model reads the question, the reference (or the baseline's answer) and
the candidate's answer, and says PASS or FAIL by a rubric. Its calls are logged and costed.

The instructions go in the system message and the material in the user message; the verdict is
the LAST ``VERDICT: PASS|FAIL`` in the reply (a model that reasons first still ends with one). A
reply without one fails the case and says so, never passes it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from console.core.pilot.bar import JudgeSpec

if TYPE_CHECKING:  # the live caller brings in compare and routing; only its result type is needed here
    from console.core.pilot.caller import CallResult

_VERDICT = re.compile(r"VERDICT\s*:\s*(PASS|FAIL)", re.IGNORECASE)

INSTRUCTIONS = (
    "You are grading an answer. Rubric: {rubric}\n"
    "Compare the ANSWER with the {against_name}. Reply with one line of reasoning at most, "
    "then a last line that is exactly 'VERDICT: PASS' or 'VERDICT: FAIL'."
)


class JudgeCaller(Protocol):
    async def call(
        self, model: str, prompt: str, *, system: str | None = None, max_tokens: int | None = None
    ) -> CallResult:
        ...


@dataclass(frozen=True)
class JudgeVerdict:
    passed: bool
    reason: str
    cost_usd: float


def judge_prompt(question: str, comparison: str | None, answer: str, against: str) -> str:
    label = "REFERENCE" if against == "reference" else "BASELINE ANSWER"
    return f"QUESTION:\n{question}\n\n{label}:\n{comparison or '(none)'}\n\nANSWER:\n{answer}"


def parse_verdict(reply: str) -> bool | None:
    found = _VERDICT.findall(reply or "")
    return None if not found else found[-1].upper() == "PASS"


async def judge_answer(caller: JudgeCaller, spec: JudgeSpec, question: str, answer: str, *,
                       reference: str | None, baseline_answer: str | None) -> JudgeVerdict:
    comparison = reference if spec.against == "reference" else baseline_answer
    system = INSTRUCTIONS.format(rubric=spec.rubric,
                                 against_name="REFERENCE" if spec.against == "reference" else "BASELINE ANSWER")
    result = await caller.call(spec.model, judge_prompt(question, comparison, answer, spec.against),
                               system=system, max_tokens=spec.max_tokens)
    if result.outcome.value != "ok":
        return JudgeVerdict(False, f"judge {spec.model} failed: {result.outcome.value} ({result.error})", result.cost_usd)
    verdict = parse_verdict(result.text)
    if verdict is None:
        return JudgeVerdict(False, f"judge {spec.model} gave no VERDICT line", result.cost_usd)
    return JudgeVerdict(verdict, "judge: PASS" if verdict else "judge: FAIL", result.cost_usd)
