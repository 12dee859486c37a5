"""LLM providers, chosen by settings: the agents never know which one they talk to.

anthropic (the Anthropic API), bedrock and vertex (Claude through the `anthropic` SDK's AWS and Google
clients), openai (any OpenAI-compatible chat-completions server: OpenAI, Ollama, vLLM, LiteLLM, ...) and
offline (the rule-based extractor).
"""

from __future__ import annotations

import os

from lib.errors import ConfigError
from lib.llm.base import LLMProvider
from lib.settings import DEFAULT_MODEL, Settings

PROVIDERS = ("anthropic", "bedrock", "vertex", "openai", "offline")
# Message Batches are an Anthropic API feature (the offline extractor mimics them locally).
BATCH_PROVIDERS = ("anthropic", "offline")


def provider_kind(settings: Settings) -> str:
    if settings.llm_provider == "auto":
        return "anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "offline"
    return settings.llm_provider


def batch_unavailable(settings: Settings) -> bool:
    """Batch mode cannot run with this provider (bedrock, vertex, openai): runs go interactively instead."""
    return provider_kind(settings) not in BATCH_PROVIDERS


def platform_model(kind: str, model: str) -> str:
    """The model id to send: the platform's own form of a bare Claude id (`claude-sonnet-4-5-20250929` is
    `anthropic.claude-sonnet-4-5-20250929-v1:0` on Bedrock and `claude-sonnet-4-5@20250929` on Vertex);
    an id already in the platform's form is sent as it is."""
    if kind == "bedrock" and model.startswith("claude-"):
        return f"anthropic.{model}-v1:0"
    if kind == "vertex" and model.startswith("claude-") and "@" not in model:
        family, _, date = model.rpartition("-")
        if len(date) == 8 and date.isdigit():
            return f"{family}@{date}"
    return model


def check_provider(settings: Settings) -> str:
    """The model results will be made with; missing credentials or settings fail here, in one line,
    before any SDK is loaded."""
    kind = provider_kind(settings)
    if kind == "offline":
        from lib.llm.offline import DEFAULT_MODEL as OFFLINE_MODEL

        return OFFLINE_MODEL
    if kind == "anthropic" and not os.environ.get("ANTHROPIC_API_KEY"):
        raise ConfigError("ASMIS_LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set")
    if kind == "bedrock" and not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                                  or os.environ.get("AWS_PROFILE")):
        raise ConfigError("ASMIS_LLM_PROVIDER is bedrock but AWS_REGION (or AWS_DEFAULT_REGION or AWS_PROFILE) "
                          "is not set")
    if kind == "vertex" and not os.environ.get("CLOUD_ML_REGION"):
        raise ConfigError("ASMIS_LLM_PROVIDER is vertex but CLOUD_ML_REGION is not set")
    if kind == "openai" and settings.model == DEFAULT_MODEL and "model" not in settings.model_fields_set:
        raise ConfigError("ASMIS_LLM_PROVIDER is openai but ASMIS_MODEL is not set: name the model the server "
                          "serves (e.g. llama3.1:8b for Ollama, gpt-4o-mini for OpenAI)")
    return platform_model(kind, settings.model)


def make_provider(settings: Settings) -> LLMProvider:
    model = check_provider(settings)
    kind = provider_kind(settings)
    if kind == "offline":
        from lib.llm.offline import OfflineProvider

        return OfflineProvider()
    import httpx2  # the SDK takes seconds to import: only runs that call the model pay for it

    from lib.llm.pacing import process_pacer

    timeout = httpx2.Timeout(settings.llm_timeout_seconds, connect=10.0)
    memory = settings.cache_dir / "pacing"
    if kind == "openai":
        from lib.llm.openai_compat import OpenAIProvider, openai_base_url

        pacer = process_pacer("openai:" + openai_base_url(), memory) if settings.llm_pacing else None
        return OpenAIProvider(model=model, timeout=settings.llm_timeout_seconds, pacing=settings.llm_pacing,
                              pacer=pacer, price=settings.llm_price)
    if kind in ("bedrock", "vertex"):
        from lib.llm.claude_platforms import make_platform_provider, platform_endpoint

        pacer = process_pacer(platform_endpoint(kind), memory) if settings.llm_pacing else None
        return make_platform_provider(kind, model=model, timeout=timeout, pacing=settings.llm_pacing, pacer=pacer,
                                      price=settings.llm_price)
    from lib.llm.anthropic import AnthropicProvider

    # every loop's provider paces off one mirror of the account's limits, started from what the last
    # process on this machine learned of them (no probe then)
    pacer = process_pacer(os.environ.get("ANTHROPIC_BASE_URL", ""), memory) if settings.llm_pacing else None
    return AnthropicProvider(model=model, timeout=timeout, pacing=settings.llm_pacing, pacer=pacer,
                             price=settings.llm_price)
