"""One cell of a pilot's matrix: how one model did on one case."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """Attributes:
        passed: the answer met every assertion (and the judge, when the bar has one).
        outcome: the call's outcome ('ok', 'timeout', ...); recorded answers are ok, except a shadow
            call's, which keep the outcome it had live.
        failures: why it did not pass, one sentence per failed check.
        cost_usd: what answering cost (estimated for recorded answers); judge_cost_usd is extra.
        recorded: judged from an answer the model gave in the past, without calling it.
    """

    case_id: str
    model: str
    passed: bool
    outcome: str = "ok"
    output: str = ""
    failures: list[str] = field(default_factory=list)
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    latency_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    recorded: bool = False
