"""LLM providers, chosen by settings: the agents never know which one they talk to."""

from __future__ import annotations

import os

from lib.errors import ConfigError
from lib.llm.base import LLMProvider
from lib.settings import Settings


def provider_kind(settings: Settings) -> str:
    if settings.llm_provider == "auto":
        return "anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "offline"
    return settings.llm_provider


def check_provider(settings: Settings) -> str:
    """The model results will be made with; a missing key fails here, before any SDK is loaded."""
    if provider_kind(settings) == "offline":
        from lib.llm.offline import DEFAULT_MODEL

        return DEFAULT_MODEL
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise ConfigError("ASMIS_LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set")
    return settings.model


def make_provider(settings: Settings) -> LLMProvider:
    check_provider(settings)
    if provider_kind(settings) == "offline":
        from lib.llm.offline import OfflineProvider

        return OfflineProvider()
    import httpx2  # the SDK takes seconds to import: only runs that call the model pay for it

    from lib.llm.anthropic import AnthropicProvider
    from lib.llm.pacing import process_pacer

    # every loop's provider paces off one mirror of the account's limits, started from what the last
    # process on this machine learned of them (no probe then)
    pacer = (process_pacer(os.environ.get("ANTHROPIC_BASE_URL", ""), settings.cache_dir / "pacing")
             if settings.llm_pacing else None)
    return AnthropicProvider(model=settings.model, timeout=httpx2.Timeout(settings.llm_timeout_seconds, connect=10.0),
                             pacing=settings.llm_pacing, pacer=pacer)
