"""The LLM provider check: offline, or a key present and accepted and the model known, from one
token-counting request made through `BaseAgent.health_check` (nothing billed, nothing retried)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.agents.meddpic import MeddpicAgent
from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.doctor.redact import redact_url
from lib.llm import provider_kind
from lib.llm.base import Health
from lib.llm.pricing import price_for

if TYPE_CHECKING:
    from lib.llm.anthropic import AnthropicProvider

NAME = "llm"
_FIXES = {
    "auth": "set ANTHROPIC_API_KEY to a current key (Anthropic Console, API keys)",
    "model": "set ASMIS_MODEL to a model id the API lists (`GET /v1/models`), e.g. claude-sonnet-5-5",
    "unreachable": "check the network or proxy to {where} (ANTHROPIC_BASE_URL when set)",
    "busy": "nothing, unless it persists: the account is rate-limited or the API overloaded",
    "other": "check ANTHROPIC_BASE_URL and ASMIS_MODEL",
}


async def check_llm(ctx: DoctorContext) -> list[Check]:
    settings = ctx.settings
    kind = provider_kind(settings)
    if kind == "offline":
        if settings.llm_provider == "offline":
            return [ok(NAME, "offline rule-based extractor (ASMIS_LLM_PROVIDER=offline): no API calls")]
        return [warn(NAME, "offline rule-based extractor: ANTHROPIC_API_KEY is not set",
                     "set ANTHROPIC_API_KEY to analyse with Claude (or ASMIS_LLM_PROVIDER=offline to keep this)")]
    if not ctx.environ.get("ANTHROPIC_API_KEY"):
        return [fail(NAME, "ASMIS_LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set",
                     "set ANTHROPIC_API_KEY")]
    provider = _probe_provider(settings.model, ctx.io_timeout)
    try:
        health = await MeddpicAgent(provider).health_check()
    finally:
        await provider.aclose()
    return [_finding(health, settings.model, ctx)]


def load_sdk(ctx: DoctorContext) -> None:
    """Import the SDK (seconds, on a busy machine) before the check's clock starts; only when it is used."""
    if provider_kind(ctx.settings) == "anthropic":
        import lib.llm.anthropic  # noqa: F401


def _probe_provider(model: str, timeout: float) -> AnthropicProvider:
    """The configured model behind no retries, no pacing and a short timeout: a check, not a run."""
    import httpx2  # the SDK takes seconds to import: only a doctor that needs it pays

    from lib.llm.anthropic import AnthropicProvider

    return AnthropicProvider(model, max_retries=0, timeout=httpx2.Timeout(timeout, connect=timeout), pacing=False)


def _finding(health: Health, model: str, ctx: DoctorContext) -> Check:
    where = redact_url(ctx.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com")
    if not health.ok:
        fix = _FIXES.get(health.problem, _FIXES["other"]).format(where=where)
        status = warn if health.problem == "busy" else fail
        return status(NAME, f"anthropic at {where}: {health.detail}", fix)
    if price_for(model) is None:
        return warn(NAME, f"anthropic at {where}: {health.detail}; but no price is known for {model}, so "
                    "costs are recorded as 0", "add the model's price to lib/llm/pricing.py")
    return ok(NAME, f"anthropic at {where}: {health.detail}")
