"""The LLM provider check: offline, or the provider's credentials present and accepted and the model known,
from one cheap authenticated request made through `BaseAgent.health_check` (nothing retried):
anthropic and vertex count a message's tokens (nothing billed), bedrock (no token counting there) makes a
one-token call, openai lists the server's models (nothing billed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lib.agents.meddpic import MeddpicAgent
from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.doctor.redact import redact_url
from lib.errors import ConfigError
from lib.llm import check_provider, provider_kind
from lib.llm.base import Health
from lib.llm.pricing import price_for

NAME = "llm"
_FIXES: dict[str, dict[str, str]] = {
    "anthropic": {
        "auth": "set ANTHROPIC_API_KEY to a current key (Anthropic Console, API keys)",
        "model": "set ASMIS_MODEL to a model id the API lists (`GET /v1/models`), e.g. claude-sonnet-5-5",
        "unreachable": "check the network or proxy to {where} (ANTHROPIC_BASE_URL when set)",
        "other": "check ANTHROPIC_BASE_URL and ASMIS_MODEL",
    },
    "bedrock": {
        "auth": "check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
                "`aws sts get-caller-identity`) and that the role may call bedrock:InvokeModel",
        "model": "set ASMIS_MODEL to a Bedrock model id or inference profile enabled in this account and region "
                 "(`aws bedrock list-foundation-models --by-provider anthropic`)",
        "unreachable": "check AWS_REGION and the network to {where}",
        "other": "check AWS_REGION and ASMIS_MODEL",
    },
    "vertex": {
        "auth": "check the Google credentials (`gcloud auth application-default login` or "
                "GOOGLE_APPLICATION_CREDENTIALS) and that Claude is enabled in the project's Model Garden",
        "model": "set ASMIS_MODEL to a Claude model id Vertex AI serves in CLOUD_ML_REGION, e.g. "
                 "claude-sonnet-4-5@20250929",
        "unreachable": "check CLOUD_ML_REGION and the network to {where}",
        "other": "check CLOUD_ML_REGION, ANTHROPIC_VERTEX_PROJECT_ID and ASMIS_MODEL",
    },
    "openai": {
        "auth": "set OPENAI_API_KEY to a key the server accepts",
        "model": "set ASMIS_MODEL to a model the server lists (`GET /v1/models`; for Ollama, `ollama pull` it)",
        "unreachable": "check OPENAI_BASE_URL and that the server is running at {where}",
        "other": "check OPENAI_BASE_URL and ASMIS_MODEL",
    },
}
_BUSY = "nothing, unless it persists: the account is rate-limited or the service overloaded"


def where(kind: str, environ: Mapping[str, str]) -> str:
    """The endpoint the provider talks to, credentials removed."""
    if kind == "bedrock":
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "the profile's region"
        return redact_url(environ.get("ANTHROPIC_BEDROCK_BASE_URL") or f"https://bedrock-runtime.{region}.amazonaws.com")
    if kind == "vertex":
        region = environ.get("CLOUD_ML_REGION", "")
        return redact_url(environ.get("ANTHROPIC_VERTEX_BASE_URL") or f"https://{region}-aiplatform.googleapis.com/v1")
    if kind == "openai":
        return redact_url(environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1")
    return redact_url(environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com")


async def check_llm(ctx: DoctorContext) -> list[Check]:
    settings = ctx.settings
    kind = provider_kind(settings)
    if kind == "offline":
        if settings.llm_provider == "offline":
            return [ok(NAME, "offline rule-based extractor (ASMIS_LLM_PROVIDER=offline): no API calls")]
        return [warn(NAME, "offline rule-based extractor: ANTHROPIC_API_KEY is not set",
                     "set ANTHROPIC_API_KEY to analyse with Claude (or ASMIS_LLM_PROVIDER=offline to keep this)")]
    if kind == "anthropic" and not ctx.environ.get("ANTHROPIC_API_KEY"):
        return [fail(NAME, "ASMIS_LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set",
                     "set ANTHROPIC_API_KEY")]
    try:
        model = check_provider(settings)
    except ConfigError as exc:
        return [fail(NAME, str(exc), "set the variable it names")]
    try:
        provider = _probe_provider(kind, model, settings.llm_price, ctx.io_timeout)
    except ValueError as exc:  # the SDK's own check of region or project
        return [fail(NAME, f"{kind}: {str(exc).split('. ')[0]}", _FIXES[kind]["other"])]
    try:
        health = await MeddpicAgent(provider).health_check()
    finally:
        await provider.aclose()
    return [_finding(kind, health, provider.model, getattr(provider, "price_known", True), ctx)]


def load_sdk(ctx: DoctorContext) -> None:
    """Import the SDK (seconds, on a busy machine) before the check's clock starts; only when it is used."""
    kind = provider_kind(ctx.settings)
    if kind in ("anthropic", "bedrock", "vertex"):
        import lib.llm.anthropic  # noqa: F401
    if kind in ("bedrock", "vertex"):
        import lib.llm.claude_platforms  # noqa: F401
    if kind == "openai":
        import lib.llm.openai_compat  # noqa: F401


def _probe_provider(kind: str, model: str, price: str | None, timeout: float) -> Any:
    """The configured model behind no retries, no pacing and a short timeout: a check, not a run."""
    import httpx2  # the SDK takes seconds to import: only a doctor that needs it pays

    if kind == "openai":
        from lib.llm.openai_compat import OpenAIProvider

        return OpenAIProvider(model, max_retries=0, timeout=timeout, pacing=False, price=price)
    if kind in ("bedrock", "vertex"):
        from lib.llm.claude_platforms import make_platform_provider

        provider = make_platform_provider(kind, model=model, timeout=httpx2.Timeout(timeout, connect=timeout),
                                          pacing=False, price=price, max_retries=0)
        provider.client()  # the SDK checks region and project as it makes the client
        return provider
    from lib.llm.anthropic import AnthropicProvider

    return AnthropicProvider(model, max_retries=0, timeout=httpx2.Timeout(timeout, connect=timeout), pacing=False,
                             price=price)


def _finding(kind: str, health: Health, model: str, price_known: bool, ctx: DoctorContext) -> Check:
    at = where(kind, ctx.environ)
    if not health.ok:
        fix = _BUSY if health.problem == "busy" else _FIXES[kind].get(health.problem, _FIXES[kind]["other"])
        status = warn if health.problem == "busy" else fail
        return status(NAME, f"{kind} at {at}: {health.detail}", fix.format(where=at))
    if not price_known and price_for(model, kind, base_url=ctx.environ.get("OPENAI_BASE_URL")) is None:
        return warn(NAME, f"{kind} at {at}: {health.detail}; but no price is known for {model}, so its costs are "
                    "recorded as 0 marked 'cost unknown'", "set ASMIS_LLM_PRICE (or add the model to lib/llm/pricing.py)")
    return ok(NAME, f"{kind} at {at}: {health.detail}")
