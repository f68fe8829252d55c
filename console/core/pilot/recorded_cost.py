"""Tokens and dollars for answers a model gave in the past (imported history).

Both sides are counted with the same estimator (``console.core.tokens``), as a fair comparison
needs, and priced at list prices by provider model id: the user's price file, then the bundled
``resources/prices.yaml`` (which carries gpt-4-1106-preview at $10/$30 and Mixtral-8x7B at
$0.60/$0.60 per million). The result is marked estimated.
"""

from __future__ import annotations

from console.core.pricing import PriceSheet, cost_usd
from console.core.tokens import estimate_chat_tokens, estimate_tokens


def list_prices(model_id: str) -> PriceSheet:
    from console.core.policy.prices import bundled_price_table, user_price_table

    return PriceSheet.from_prices(user_price_table().lookup(model_id) or bundled_price_table().lookup(model_id))


def recorded_usage(prompt: str, system: str | None, answer: str, model_id: str) -> tuple[int, int, float]:
    """(input tokens, output tokens, cost in dollars) of one recorded answer."""
    contents = [system, prompt] if system else [prompt]
    tokens_in, tokens_out = estimate_chat_tokens(contents), estimate_tokens(answer)
    return tokens_in, tokens_out, cost_usd(list_prices(model_id), input_tokens=tokens_in, output_tokens=tokens_out)
