"""Claude on AWS Bedrock and Google Vertex AI, through the `anthropic` SDK's own clients
(`AsyncAnthropicBedrock`, `AsyncAnthropicVertex`): the same `messages.parse(output_format=Model)` request,
prompt caching, grounding and re-asks as the Anthropic provider (it is that provider with another client).

Credentials and region come from each cloud's standard chain, read by the SDK:
- bedrock: `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region; keys from the AWS chain (environment,
  `AWS_PROFILE`, instance role) signed with SigV4 by botocore, or `AWS_BEARER_TOKEN_BEDROCK`;
  `ANTHROPIC_BEDROCK_BASE_URL` overrides the endpoint.
- vertex: `CLOUD_ML_REGION`, `ANTHROPIC_VERTEX_PROJECT_ID` (or the credentials' project); tokens from Google
  application default credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud, the metadata server);
  `ANTHROPIC_VERTEX_BASE_URL` overrides the endpoint.

Message Batches are not offered on either through the SDK: batch mode runs interactively (lib.llm).
Neither platform sends Anthropic's rate-limit headers: the pacer stays out of the way, and
ASMIS_LLM_CONCURRENCY and the SDK's retries (which obey `retry-after`) do the pacing.
Bedrock has no token counting: its health check is a one-token Messages call.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import anthropic
import httpx2

from lib.errors import PermanentAgentError, RetryableAgentError
from lib.llm.anthropic import AnthropicProvider, _Policy, _unhealthy
from lib.llm.base import Health, LLMReply, LLMRequest


def platform_endpoint(kind: str) -> str:
    """What the pacer's memory is keyed by: one account's limits per platform and region."""
    if kind == "bedrock":
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
        return f"bedrock:{os.environ.get('ANTHROPIC_BEDROCK_BASE_URL') or region}"
    return f"vertex:{os.environ.get('ANTHROPIC_VERTEX_BASE_URL') or os.environ.get('CLOUD_ML_REGION', '')}"


def _credential_problem(exc: Exception) -> str | None:
    """One line for a cloud credential failure (botocore's or google-auth's), never with a secret in it."""
    module = type(exc).__module__ or ""
    if module.startswith("botocore"):
        return f"AWS credentials: {type(exc).__name__} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)"
    if module.startswith("google.auth"):
        return (f"Google credentials: {type(exc).__name__} (run `gcloud auth application-default login` or set "
                "GOOGLE_APPLICATION_CREDENTIALS)")
    if isinstance(exc, ValueError | RuntimeError) and ("region" in str(exc) or "project_id" in str(exc)):
        return str(exc).split(". ")[0]
    return None


class ClaudePlatformProvider(AnthropicProvider):
    """Claude through a cloud platform's client; everything but the client is the Anthropic provider's."""

    name = "bedrock"

    async def complete(self, request: LLMRequest) -> LLMReply:
        try:
            return await super().complete(request)
        except (PermanentAgentError, RetryableAgentError):
            raise
        except Exception as exc:
            if (problem := _credential_problem(exc)) is None:
                raise
            if "RefreshError" in problem or "EndpointConnectionError" in problem:
                raise RetryableAgentError(f"{self.name}: {problem}") from None
            raise PermanentAgentError(f"{self.name}: {problem}") from None

    async def health_check(self) -> Health:
        try:
            return await self._health()
        except anthropic.APIError as exc:
            return _platform_unhealthy(exc, self.model)
        except Exception as exc:
            if (problem := _credential_problem(exc)) is None:
                raise
            return Health(False, problem, "auth")

    async def _health(self) -> Health:
        counted = await self.client().messages.count_tokens(
            model=self.model, messages=[{"role": "user", "content": "ping"}])
        return Health(True, f"credentials accepted, model {self.model} known", tokens=counted.input_tokens)


def _platform_unhealthy(exc: anthropic.APIError, model: str) -> Health:
    """Bedrock refuses an unknown model id with a 400 ValidationException; the rest reads as Anthropic's."""
    status = getattr(exc, "status_code", None)
    text = str(getattr(exc, "message", "") or "").lower()
    if status == 400 and ("model identifier" in text or "model id" in text):
        return Health(False, f"the platform does not know the model {model} (400)", "model")
    health = _unhealthy(exc, model)
    if health.problem == "auth":
        return Health(False, f"the credentials were refused ({status})", "auth")
    return health


class BedrockProvider(ClaudePlatformProvider):
    name = "bedrock"

    def client(self) -> Any:
        loop = asyncio.get_running_loop()
        if (client := self._clients.get(loop)) is None:
            client = self._clients[loop] = anthropic.AsyncAnthropicBedrock(  # type: ignore[assignment]
                max_retries=self.max_retries, timeout=self.timeout,
                middleware=[_Policy(self.max_retry_after, self.pacer)])
        return client

    async def _health(self) -> Health:
        """No token counting on Bedrock: a one-token call (a few tokens billed)."""
        await self.client().messages.create(model=self.model, max_tokens=1,
                                            messages=[{"role": "user", "content": "ping"}])
        return Health(True, f"credentials accepted, model {self.model} answered")


class VertexProvider(ClaudePlatformProvider):
    name = "vertex"

    def client(self) -> Any:
        loop = asyncio.get_running_loop()
        if (client := self._clients.get(loop)) is None:
            client = self._clients[loop] = anthropic.AsyncAnthropicVertex(  # type: ignore[assignment]
                max_retries=self.max_retries, timeout=self.timeout,
                middleware=[_Policy(self.max_retry_after, self.pacer)])
        return client


def make_platform_provider(kind: str, *, model: str, timeout: httpx2.Timeout | float, pacing: bool = True,
                           pacer: Any = None, price: str | None = None, max_retries: int | None = None
                           ) -> ClaudePlatformProvider:
    cls = BedrockProvider if kind == "bedrock" else VertexProvider
    extra: dict[str, Any] = {} if max_retries is None else {"max_retries": max_retries}
    return cls(model, timeout=timeout, pacing=pacing, pacer=pacer, price=price, **extra)
