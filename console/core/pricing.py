"""The one place tokens become dollars.

Plans use it to estimate a request's cost before sending it; the executor uses it to price what
providers report. Prices are US dollars per million tokens (``schema.Prices``).
"""

from __future__ import annotations

from dataclasses import dataclass

from console.core.policy.schema import Prices

PER_TOKEN = 1e-6


@dataclass(frozen=True)
class PriceSheet:
    """Resolved per-million prices for one model; missing optional prices are filled in."""

    input: float
    output: float
    cached_input: float
    reasoning: float

    @classmethod
    def from_prices(cls, prices: Prices | None) -> "PriceSheet":
        if prices is None:
            return cls(0.0, 0.0, 0.0, 0.0)
        cached = prices.cached_input if prices.cached_input is not None else prices.input
        reasoning = prices.reasoning if prices.reasoning is not None else prices.output
        return cls(prices.input, prices.output, cached, reasoning)


def cost_usd(
    sheet: PriceSheet,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> float:
    """Cost of one call.

    ``input_tokens`` includes ``cached_tokens`` (as OpenAI and Anthropic-normalised usage report it);
    ``output_tokens`` includes ``reasoning_tokens``. Cached tokens are billed at the cached price,
    reasoning tokens at the reasoning price, the rest at the plain prices.
    """
    cached = min(cached_tokens, input_tokens)
    reasoning = min(reasoning_tokens, output_tokens)
    dollars = (
        (input_tokens - cached) * sheet.input
        + cached * sheet.cached_input
        + (output_tokens - reasoning) * sheet.output
        + reasoning * sheet.reasoning
    ) * PER_TOKEN
    return round(dollars, 12)
