"""Routing logs built by hand for replay tests: every token and dollar known in advance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.outcomes import Outcome
from console.core.pricing import PriceSheet, cost_usd
from console.core.records import AttemptRecord, RequestRecord

DAY = 86400.0
T0 = 1_780_000_000.0 - (1_780_000_000.0 % DAY)  # a UTC midnight

PRICES = {  # $/M tokens (input, output), as in the test policy
    "mini": PriceSheet(0.4, 1.6, 0.4, 1.6), "big": PriceSheet(3.0, 15.0, 3.0, 15.0),
    "local": PriceSheet(0.0, 0.0, 0.0, 0.0), "eu-model": PriceSheet(1.0, 2.0, 1.0, 2.0),
}
PROVIDERS = {"mini": "openai", "big": "anthropic", "local": "local", "eu-model": "mistral"}

POLICY_YAML = """
version: 1
name: replay-test
providers:
  openai: {kind: openai-compatible, base_url: "https://api.openai.com/v1", key: "env:OPENAI_API_KEY"}
  anthropic: {kind: anthropic, key: "env:ANTHROPIC_API_KEY"}
  local: {kind: local-gguf}
  mistral: {kind: openai-compatible, base_url: "https://api.mistral.ai/v1", key: "env:MISTRAL_API_KEY"}
models:
  mini: {provider: openai, model: m, prices: {input: 0.4, output: 1.6}, region: us, context_window: 100000}
  big: {provider: anthropic, model: b, prices: {input: 3.0, output: 15.0}, region: us, context_window: 100000}
  local: {provider: local, model: bundled:smollm2-135m, prices: {input: 0, output: 0}, region: on-prem}
  eu-model: {provider: mistral, model: e, prices: {input: 1.0, output: 2.0}, region: eu, context_window: 100000}
tasks: {support: {}, code: {}, extract: {}}
classification:
  default: support
  rules:
    - {task: code, when: {keywords: [python]}}
    - {task: extract, when: {keywords: [extract]}}
routes:
  support: {candidates: [mini, big]}
  code: {candidates: [big, mini]}
  extract: {candidates: [local, mini]}
"""


def attempt(model: str, ts: float, *, position: int = 0, inp: int = 0, out: int = 0, ok: bool = True) -> AttemptRecord:
    sheet = PRICES[model]
    return AttemptRecord(
        position=position, model_alias=model, provider=PROVIDERS[model], provider_model_id=model,
        outcome=Outcome.OK if ok else Outcome.RATE_LIMITED, started_at=datetime.fromtimestamp(ts, tz=timezone.utc),
        input_tokens=inp, output_tokens=out, cost_usd=cost_usd(sheet, input_tokens=inp, output_tokens=out),
        latency_ms=100.0 + position, http_status=None if ok else 429)


@dataclass
class Log:
    url: str
    records: list[RequestRecord] = field(default_factory=list)

    def add(self, rid: str, ts: float, task: str, attempts: list[AttemptRecord], *, region: str = "us",
            policy_hash: str = "h-live", prompt: str | None = None, team: str = "t1") -> RequestRecord:
        answered = next((a.model_alias for a in attempts if a.outcome is Outcome.OK), None)
        record = RequestRecord(
            request_id=rid, started_at=datetime.fromtimestamp(ts, tz=timezone.utc), policy_name="replay-test",
            policy_hash=policy_hash, task=task, task_reason="rule", outcome=Outcome.OK if answered else Outcome.RATE_LIMITED,
            metadata={"team": team, "region": region}, answered_by=answered,
            total_cost_usd=sum(a.cost_usd for a in attempts), prompt_text=prompt, attempts=attempts)
        self.records.append(record)
        return record

    def write(self) -> str:
        db = open_ledger(self.url)
        try:
            write_records(db, self.records)
        finally:
            db.dispose()
        return self.url


def new_log(tmp_path: Path) -> Log:
    return Log(f"sqlite:///{tmp_path / 'routes.sqlite3'}")


def over_served_log(tmp_path: Path, t0: float) -> tuple[str, Path]:
    """Eight code requests on big and one support request on mini from ``t0``, and the test policy's file:
    code, on the expensive tier with most of the traffic, is the over-served task."""
    log = new_log(tmp_path)
    for k in range(8):
        log.add(f"c{k}", t0 + k, "code", [attempt("big", t0 + k, inp=1000, out=100)])
    log.add("m0", t0 + 20, "support", [attempt("mini", t0 + 20, inp=1000, out=100)])
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY_YAML)
    return log.write(), policy
