"""What a side by side produced: one ``ColumnResult`` per column, and the whole ``ComparisonResult``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from console.core.compare.columns import ColumnSpec, CompareParams
from console.core.outcomes import Outcome


@dataclass
class ColumnResult:
    """One column's answer and figures. Times are milliseconds; cost is US dollars."""

    label: str
    model: str  # what answered: the alias, or the provider's model id for ad hoc columns
    outcome: Outcome
    text: str = ""
    error: str | None = None
    ttft_ms: float | None = None
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    shared_worker: str | None = None  # a sentence when this column shares a llama.cpp worker
    request_id: str | None = None  # its row in the routing log (kind=comparison)

    @property
    def tokens_per_second(self) -> float:
        """Output tokens over the decode time (after the first token); 0 when unknown.

        An answer that arrived in one burst (under 50 ms after its first token) has no measurable
        decode speed: dividing by ~0 ms would print a meaningless figure.
        """
        decode_ms = self.latency_ms - (self.ttft_ms or 0.0)
        return self.output_tokens / (decode_ms / 1000) if decode_ms >= 50 and self.output_tokens > 1 else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["tokens_per_second"] = round(self.tokens_per_second, 2)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ColumnResult":
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["outcome"] = Outcome(fields["outcome"])
        return cls(**fields)


@dataclass
class ComparisonResult:
    """A finished (or stopped) side by side, with the winner once someone picks one."""

    params: CompareParams
    specs: list[ColumnSpec]
    columns: list[ColumnResult]
    wall_ms: float = 0.0
    policy_name: str = ""
    winner: str | None = None
    note: str = ""
    comparison_id: int | None = None
    started_at: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. which columns shared a worker

    def column(self, label: str) -> ColumnResult:
        for column in self.columns:
            if column.label == label:
                return column
        raise KeyError(label)

    def to_json(self) -> dict[str, Any]:
        return {
            "comparison_id": self.comparison_id,
            "policy": self.policy_name,
            "started_at": self.started_at,
            "params": asdict(self.params),
            "specs": [s.to_json() for s in self.specs],
            "columns": [c.to_json() for c in self.columns],
            "wall_ms": round(self.wall_ms, 1),
            "winner": self.winner,
            "note": self.note,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ComparisonResult":
        return cls(
            params=CompareParams(**data["params"]),
            specs=[ColumnSpec.from_json(s) for s in data["specs"]],
            columns=[ColumnResult.from_json(c) for c in data["columns"]],
            wall_ms=data.get("wall_ms", 0.0),
            policy_name=data.get("policy", ""),
            winner=data.get("winner"),
            note=data.get("note", ""),
            comparison_id=data.get("comparison_id"),
            started_at=data.get("started_at", 0.0),
            notes=list(data.get("notes", [])),
        )
