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


def make_provider(settings: Settings) -> LLMProvider:
    kind = provider_kind(settings)
    if kind == "offline":
        from lib.llm.offline import OfflineProvider

        return OfflineProvider()
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise ConfigError("ASMIS_LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set")
    import httpx2

    from lib.llm.anthropic import AnthropicProvider

    return AnthropicProvider(model=settings.model, timeout=httpx2.Timeout(settings.llm_timeout_seconds, connect=10.0))
