"""Exact cost: hand-computed cases to the micro-dollar, prices stored per attempt, billed failures."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from console.core.ledger.filters import Filters
from console.core.ledger.queries import counts, spend
from console.core.ledger.writer import LedgerWriter
from console.core.outcomes import Outcome
from console.core.policy.schema import Prices
from console.core.pricing import PriceSheet, cost_usd
from console.core.records import AttemptRecord, RequestRecord

MICRO = 1e-6
SONNET = PriceSheet(input=3.0, output=15.0, cached_input=0.3, reasoning=15.0)
O4_MINI_ISH = PriceSheet(input=1.1, output=4.4, cached_input=0.275, reasoning=8.8)


@pytest.mark.parametrize("sheet, tokens, dollars", [
    # 6,000 fresh × $3 + 4,000 cached × $0.30 + 1,500 × $15 + 500 reasoning × $15, per million
    (SONNET, dict(input_tokens=10_000, output_tokens=2_000, cached_tokens=4_000, reasoning_tokens=500), 0.049200),
    # 234 × 1.1 + 1,000 × 0.275 + 21 × 4.4 + 300 × 8.8 = 3,264.8 µ$
    (O4_MINI_ISH, dict(input_tokens=1_234, output_tokens=321, cached_tokens=1_000, reasoning_tokens=300), 0.0032648),
    # cached/reasoning counts cannot exceed the totals that include them (LiteLLM #11364-style double count)
    (SONNET, dict(input_tokens=1_000, output_tokens=100, cached_tokens=5_000, reasoning_tokens=900), 0.0018),
    (SONNET, dict(input_tokens=0, output_tokens=0), 0.0),
])
def test_cost_to_the_micro_dollar(sheet: PriceSheet, tokens: dict[str, int], dollars: float) -> None:
    assert abs(cost_usd(sheet, **tokens) - dollars) < MICRO / 100


def test_missing_cached_and_reasoning_prices_default_to_input_and_output() -> None:
    sheet = PriceSheet.from_prices(Prices(input=2.0, output=8.0))
    assert (sheet.cached_input, sheet.reasoning) == (2.0, 8.0)
    # 1,000 × $2 + 100 × $8 per million: cached/reasoning tokens are not billed twice
    assert cost_usd(sheet, input_tokens=1000, output_tokens=100, cached_tokens=500, reasoning_tokens=50) == \
        pytest.approx(0.0028, abs=MICRO / 100)


def _priced_attempt(position: int, sheet: PriceSheet, outcome: Outcome, *, out_tokens: int) -> AttemptRecord:
    tokens = dict(input_tokens=10_000, output_tokens=out_tokens, cached_tokens=4_000, reasoning_tokens=0)
    return AttemptRecord(
        position=position, model_alias="claude", provider="anthropic", provider_model_id="claude-sonnet-4",
        outcome=outcome, cost_usd=cost_usd(sheet, **tokens), price_input=sheet.input, price_output=sheet.output,
        price_cached_input=sheet.cached_input, price_reasoning=sheet.reasoning,
        started_at=datetime(2026, 1, 5, 12, tzinfo=timezone.utc), **tokens,
    )


def _request(request_id: str, attempts: list[AttemptRecord]) -> RequestRecord:
    return RequestRecord(
        request_id=request_id, started_at=attempts[0].started_at, policy_name="p", policy_hash="h", task="support",
        task_reason="rule", outcome=attempts[-1].outcome, attempts=attempts,
        total_cost_usd=sum(a.cost_usd for a in attempts),
    )


def test_prices_are_stored_per_attempt_and_a_price_change_leaves_history_alone(ledger_url: str) -> None:
    writer = LedgerWriter(ledger_url)
    old = _priced_attempt(0, SONNET, Outcome.OK, out_tokens=2_000)
    writer.record(_request("before", [old])).result(10)
    writer.flush(10)
    cheaper = PriceSheet(input=1.5, output=7.5, cached_input=0.15, reasoning=7.5)
    writer.record(_request("after", [_priced_attempt(0, cheaper, Outcome.OK, out_tokens=2_000)])).result(10)
    writer.flush(10)
    with writer.db.connect() as conn:
        rows = {r[0]: r[1:] for r in conn.execute(text(
            "SELECT request_id, cost_usd, price_input, price_output, price_cached_input, price_reasoning "
            "FROM attempt"))}
    # 6,000 × 3 + 4,000 × 0.3 + 2,000 × 15 = 49,200 µ$ ; at the new prices exactly half
    assert rows["before"][0] == pytest.approx(0.0492, abs=MICRO / 100)
    assert rows["before"][1:] == (3.0, 15.0, 0.3, 15.0)
    assert rows["after"][0] == pytest.approx(0.0246, abs=MICRO / 100)
    assert rows["after"][1:] == (1.5, 7.5, 0.15, 7.5)
    writer.close()


def test_a_billed_stream_cut_keeps_its_cost_in_spend(ledger_url: str) -> None:
    writer = LedgerWriter(ledger_url)
    cut = _priced_attempt(0, SONNET, Outcome.STREAM_CUT, out_tokens=300)  # billed for what streamed
    rescued = _priced_attempt(1, SONNET, Outcome.OK, out_tokens=1_000)
    writer.record(_request("r", [cut, rescued])).result(10)
    writer.flush(10)
    # cut: 18,000 + 1,200 + 4,500 = 23,700 µ$ ; rescue: 18,000 + 1,200 + 15,000 = 34,200 µ$
    everything = Filters()
    c = counts(writer.db, everything)
    assert c.failed_attempts == 1
    assert c.cost_usd == pytest.approx(0.0579, abs=MICRO / 100)
    points = spend(writer.db, everything, bucket="day", by="model")
    assert sum(p.cost_usd for p in points) == pytest.approx(0.0579, abs=MICRO / 100)
    with writer.db.connect() as conn:
        costs = dict(conn.execute(text("SELECT outcome, cost_usd FROM attempt")).all())
        total = conn.execute(text("SELECT total_cost_usd FROM request")).scalar()
    assert costs["stream_cut"] == pytest.approx(0.0237, abs=MICRO / 100)
    assert total == pytest.approx(0.0579, abs=MICRO / 100)
    writer.close()
