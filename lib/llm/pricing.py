"""USD per million tokens, per provider and model, to turn usage into cost. Cache writes are the 5-minute kind.
Sources: Anthropic's published pricing page, checked 2026-11-26 (Claude on Bedrock and Vertex AI is listed at
the same per-token prices for on-demand use; regional-endpoint premiums are not modelled: set ASMIS_LLM_PRICE);
OpenAI's pricing page for its own models. A model on a local server (loopback or a private address) costs 0.
An unknown model has no price: its results record cost 0 with a `cost unknown` warning, never a made-up
figure. Update here, and only here."""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from lib.llm.base import Usage

log = logging.getLogger(__name__)
COST_UNKNOWN = "cost unknown"  # the warning a result made with an unpriced model carries
_warned: set[tuple[str, str]] = set()


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
# OpenAI's own models on api.openai.com (cached input is the cache-read price; no cache writes billed).
OPENAI_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(Decimal("0.15"), Decimal("0.60"), Decimal("0"), Decimal("0.075")),
    "gpt-4o": Price(Decimal("2.50"), Decimal("10"), Decimal("0"), Decimal("1.25")),
    "gpt-4.1-mini": Price(Decimal("0.40"), Decimal("1.60"), Decimal("0"), Decimal("0.10")),
    "gpt-4.1": Price(Decimal("2"), Decimal("8"), Decimal("0"), Decimal("0.50")),
}
FREE = Price(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"))
_MILLION = Decimal(1_000_000)
# The Message Batches API bills every token at half the price, prompt-cache reads and writes included.
BATCH_DISCOUNT = Decimal("0.5")


def _longest(table: dict[str, Price], model: str) -> Price | None:
    matches = [prefix for prefix in table if model.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


_BEDROCK_PREFIX = re.compile(r"^(?:[a-z]{2,6}\.)?anthropic\.")  # anthropic., us.anthropic., global.anthropic.


def claude_family(model: str) -> str:
    """The Anthropic id behind a platform's model id: `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and
    `claude-sonnet-4-5@20250929` are both `claude-sonnet-4-5-...`."""
    model = _BEDROCK_PREFIX.sub("", model.rsplit("/", 1)[-1])
    model = re.sub(r"-v\d+(?::\d+)?$", "", model)
    return model.replace("@", "-")


def is_local(base_url: str | None) -> bool:
    """A server on this machine or a private network: its model costs nothing per token."""
    host = urlsplit(base_url or "").hostname or ""
    if host in ("localhost",) or host.endswith((".local", ".internal", ".localhost")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def parse_price(value: str) -> Price:
    """ASMIS_LLM_PRICE: INPUT,OUTPUT[,CACHE_READ[,CACHE_WRITE]] USD per million tokens (validated by Settings)."""
    parts = [Decimal(p.strip()) for p in value.split(",")]
    cache_read = parts[2] if len(parts) > 2 else parts[0]
    cache_write = parts[3] if len(parts) > 3 else parts[0]
    return Price(parts[0], parts[1], cache_write, cache_read)


def price_for(model: str, provider: str = "anthropic", *, base_url: str | None = None,
              override: str | None = None) -> Price | None:
    """The price of `model` on `provider`, or None when none is known (the cost is then unknown)."""
    if override:
        return parse_price(override)
    if provider == "offline":
        return FREE
    if provider in ("bedrock", "vertex"):
        return _longest(PRICES, claude_family(model))
    if provider == "openai":
        if is_local(base_url):
            return FREE
        if urlsplit(base_url or "https://api.openai.com/v1").hostname == "api.openai.com":
            return _longest(OPENAI_PRICES, model)
        return None  # a gateway or hosted server: whatever it charges, we do not know it
    return _longest(PRICES, model)


def cost_usd(model: str, usage: Usage, *, batch: bool = False, price: Price | None = None) -> Decimal:
    """The cost of this usage (at the batch price when `batch`); 0 for a model we have no price for
    (its results carry a `cost unknown` warning). `price`: one already looked up (another provider's)."""
    price = price or price_for(model)
    if price is None:
        return Decimal("0")
    total = (price.input * usage.input_tokens + price.output * usage.output_tokens
             + price.cache_write * usage.cache_write_tokens + price.cache_read * usage.cache_read_tokens)
    if batch:
        total *= BATCH_DISCOUNT
    return (total / _MILLION).quantize(Decimal("0.000001"))


def warn_unknown_price(provider: str, model: str) -> None:
    """One warning per provider and model in a process (a run): its costs are recorded as 0, unknown."""
    if (provider, model) in _warned:
        return
    _warned.add((provider, model))
    log.warning("%s: no price known for model %s; its results record cost 0 marked '%s' (set ASMIS_LLM_PRICE "
                "to price it)", provider, model, COST_UNKNOWN)
