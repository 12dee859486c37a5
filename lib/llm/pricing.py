"""USD per million tokens, per model, to turn usage into cost. Cache writes are the 5-minute kind.
Source: Anthropic's published pricing page, checked 2026-11-26. Update here, and only here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lib.llm.base import Usage


@dataclass(frozen=True)
class Price:
    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal

    @classmethod
    def of(cls, input_: str, output: str, cache_read: str) -> Price:
        base = Decimal(input_)
        return cls(base, Decimal(output), base * Decimal("1.25"), Decimal(cache_read))


# Longest prefix wins, so dated snapshots ("claude-haiku-4-5-20251001") find their family.
PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price.of("10", "50", "0.25"),
    "claude-mythos-5-1": Price.of("10", "50", "0.25"),
    "claude-fable-5": Price.of("10", "50", "1"),
    "claude-mythos-5": Price.of("10", "50", "1"),
    "claude-opus-5-5": Price.of("4", "20", "0.20"),
    "claude-opus-5": Price.of("5", "25", "0.50"),
    "claude-opus-4": Price.of("5", "25", "0.50"),
    "claude-sonnet-5-5": Price.of("2", "10", "0.10"),
    "claude-sonnet-5": Price.of("2", "10", "0.20"),
    "claude-sonnet-4": Price.of("3", "15", "0.30"),
    "claude-haiku-5-5": Price.of("0.10", "0.50", "0.01"),
    "claude-haiku-4-5": Price.of("1", "5", "0.10"),
}
_MILLION = Decimal(1_000_000)
# The Message Batches API bills every token at half the price, prompt-cache reads and writes included.
BATCH_DISCOUNT = Decimal("0.5")


def price_for(model: str) -> Price | None:
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else None


def cost_usd(model: str, usage: Usage, *, batch: bool = False) -> Decimal:
    """The cost of this usage (at the batch price when `batch`); 0 for a model we have no price for
    (the provider warns once)."""
    price = price_for(model)
    if price is None:
        return Decimal("0")
    total = (price.input * usage.input_tokens + price.output * usage.output_tokens
             + price.cache_write * usage.cache_write_tokens + price.cache_read * usage.cache_read_tokens)
    if batch:
        total *= BATCH_DISCOUNT
    return (total / _MILLION).quantize(Decimal("0.000001"))
