"""The quality bar of a pilot, written before the run and saved with it (YAML or JSON).

    assertions:                       # every case, every model
      - {kind: numeric}
      - {kind: max_latency_ms, value: 20000}
    judge:                            # optional: a model scores each answer with a rubric
      model: judge-alias
      rubric: "Is the final answer correct?"
      against: reference              # or baseline
    rule:
      relative_to_baseline: 0.95      # candidate passes >= 95% of the cases the baseline passes
      min_pass_rate: 0.80             # and/or an absolute pass rate

A bad file is a ``BarError`` naming the file and, for YAML, the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from console.core.pilot.assertions import Assertion, problem_with


class BarError(ValueError):
    """The bar file cannot be used; the message says where and why."""


class JudgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="a model alias of the policy, or MODEL@BASE_URL")
    rubric: str = "Is the answer correct and complete?"
    against: Literal["reference", "baseline"] = "reference"
    max_tokens: int = Field(default=64, gt=0)


class PassRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relative_to_baseline: float | None = Field(default=None, gt=0, le=1)
    min_pass_rate: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _some_rule(self) -> "PassRule":
        if self.relative_to_baseline is None and self.min_pass_rate is None:
            raise ValueError("the rule needs relative_to_baseline and/or min_pass_rate")
        return self

    def describe(self) -> str:
        parts = []
        if self.relative_to_baseline is not None:
            parts.append(f"the candidate passes ≥ {self.relative_to_baseline:.0%} of the cases the baseline passes")
        if self.min_pass_rate is not None:
            parts.append(f"the candidate's pass rate is ≥ {self.min_pass_rate:.0%}")
        return " and ".join(parts)


class QualityBar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "bar"
    assertions: list[Assertion] = Field(default_factory=list)
    judge: JudgeSpec | None = None
    rule: PassRule = Field(default_factory=lambda: PassRule(relative_to_baseline=0.95))

    @model_validator(mode="after")
    def _checkable(self) -> "QualityBar":
        if not self.assertions and self.judge is None:
            raise ValueError("a bar needs at least one assertion or a judge")
        problems = [p for a in self.assertions if (p := problem_with(a))]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_json_text(self) -> str:
        return self.model_dump_json(exclude_none=True)


def parse_bar(text: str, origin: str = "<bar>") -> QualityBar:
    try:
        data = json.loads(text) if origin.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise BarError(f"{origin}{where}: not valid {'JSON' if origin.endswith('.json') else 'YAML'}: "
                       f"{getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict):
        raise BarError(f"{origin}: a bar is a mapping with 'assertions', optional 'judge' and 'rule'")
    try:
        return QualityBar.model_validate(data)
    except ValidationError as err:
        lines = []
        for item in err.errors(include_url=False):
            where = ".".join(str(p) for p in item["loc"]) or "(top)"
            lines.append(f"{origin}: {where}: {item['msg']}")
        raise BarError("\n".join(lines)) from None


def load_bar(path: str | Path) -> QualityBar:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BarError(f"{path}: cannot read the bar file: {err}") from None
    return parse_bar(text, str(path))
