"""The Anthropic provider: `AsyncAnthropic.messages.parse(output_format=Model)`, one client per event loop.

Retry policy (DESIGN.md, Retries), owned here explicitly:
- The SDK retries 408/409/429/5xx/529 and connection errors, SDK_MAX_RETRIES times, and obeys any
  `retry-after` header. Our middleware caps what the server may ask at MAX_RETRY_AFTER_SECONDS, so a
  429 with `retry-after: 3600` parks a call for at most that long.
- A spend limit (429 enforced_spend_limit_reached) is made permanent: retrying cannot help.
- What outlives the SDK's retries becomes RetryableAgentError (rate limit, overload, 5xx, timeout,
  connection) or PermanentAgentError (400, 401, 403, 404, 413, spend limit).
- Every HTTP attempt's reply (429s the SDK retries included) is shown to the provider's Pacer
  (lib/llm/pacing.py), which reads the account's rate-limit headers; LimitedProvider waits for a call's
  turn, and an SDK retry attempt waits for one too. The client middleware is the SDK's public
  per-attempt hook (`anthropic.Middleware`); `messages.with_raw_response` has no `parse` in this SDK
  (only `create` and `count_tokens`), and would show the last attempt only.

Worst case, HTTP requests for one (transcript, agent):
    (1 + SDK_MAX_RETRIES) x (1 + BaseAgent max_reasks) x (1 + Prefect task retries) = 3 x 3 x 4 = 36,
of which at most (1 + max_reasks) x (1 + task retries) = 12 are billed (only 200 replies are).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anthropic
import httpx2
import pydantic
from anthropic import AsyncAnthropic, Middleware

from lib.errors import PermanentAgentError, RetryableAgentError
from lib.llm.base import Health, LLMReply, LLMRequest, Usage
from lib.llm.pacing import Pacer
from lib.llm.pricing import cost_usd, price_for, warn_unknown_price
from lib.llm.requests import message_params

log = logging.getLogger(__name__)

SDK_MAX_RETRIES = 2
MAX_RETRY_AFTER_SECONDS = 60.0
REQUEST_TIMEOUT = httpx2.Timeout(600.0, connect=10.0)  # explicit: non-streaming calls with large max_tokens
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}


@dataclass
class _LastResponse:
    response: httpx2.Response | None = None


_last_response: ContextVar[_LastResponse | None] = ContextVar("asmis_last_response", default=None)


class _Policy(Middleware):
    """Shows each reply to the pacer, caps retry-after, refuses to retry spend limits, and keeps the
    last reply for usage accounting when the SDK's own parsing of it fails."""

    def __init__(self, max_retry_after: float, pacer: Pacer | None) -> None:
        self.max_retry_after = max_retry_after
        self.pacer = pacer

    async def handle_async(self, request: Any, call_next: Any) -> Any:
        if self.pacer is not None and request.retries_taken > 0:
            await self.pacer.before_retry()
        response = await call_next(request)
        http = response.http_response
        if self.pacer is not None:
            self.pacer.observe(response.status_code, http.headers)  # before the cap: the server's own ask
        if response.status_code in _RETRY_STATUSES:
            _cap_retry_after(http.headers, self.max_retry_after)
            if response.status_code == 429 and b"spend_limit" in await http.aread():
                http.headers["x-should-retry"] = "false"
        elif (holder := _last_response.get()) is not None:
            holder.response = http
        return response


def _cap_retry_after(headers: httpx2.Headers, cap: float) -> None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
        if seconds > cap:
            headers[name] = str(cap * scale)
    if "retry-after" in headers and _not_a_number(headers["retry-after"]):
        headers["retry-after"] = str(cap)  # an HTTP date: could be any distance away


def _not_a_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return True
    return False


def _usage(raw: Any) -> Usage:
    return Usage(
        input_tokens=int(getattr(raw, "input_tokens", 0) or 0),
        output_tokens=int(getattr(raw, "output_tokens", 0) or 0),
        cache_read_tokens=int(getattr(raw, "cache_read_input_tokens", 0) or 0),
        cache_write_tokens=int(getattr(raw, "cache_creation_input_tokens", 0) or 0),
    )


def _classify(exc: anthropic.APIError) -> Exception:
    """Map an SDK error that outlived the SDK's retries; messages never carry headers or the key."""
    if isinstance(exc, anthropic.APITimeoutError):
        return RetryableAgentError("the LLM call timed out")
    if isinstance(exc, anthropic.APIConnectionError):
        return RetryableAgentError("could not reach the LLM API")
    status = getattr(exc, "status_code", None)
    kind = getattr(exc, "type", None) or type(exc).__name__
    message = f"LLM API {status} {kind}: {str(getattr(exc, 'api_message', '') or '')[:200]}"
    body = str(getattr(exc, "body", ""))
    if status == 429 and "spend_limit" in body:
        return PermanentAgentError(message + " (spend limit reached)", status=status)
    if status in _RETRY_STATUSES:
        return RetryableAgentError(message, status=status)
    if status == 413 or (status == 400 and "too long" in message):
        return PermanentAgentError(message + " (transcript too large for the model)", status=status)
    return PermanentAgentError(message, status=status)


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, model: str, *, max_retries: int = SDK_MAX_RETRIES,
                 timeout: httpx2.Timeout | float = REQUEST_TIMEOUT,
                 max_retry_after: float = MAX_RETRY_AFTER_SECONDS, pacing: bool = True,
                 pacer: Pacer | None = None, price: str | None = None) -> None:
        self.model = model
        # a pacer of its own unless given one (make_provider shares one per process) or told not to pace
        self.pacer = (pacer or Pacer(max_wait=max_retry_after)) if pacing else None
        self.max_retries = max_retries
        self.timeout = timeout
        self.max_retry_after = max_retry_after
        # AsyncAnthropic is bound to the loop it first runs on; Prefect runs tasks on several.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncAnthropic] = (
            weakref.WeakKeyDictionary())
        self._price = price_for(model, self.name, override=price)
        self.price_known = self._price is not None
        if not self.price_known:
            warn_unknown_price(self.name, model)

    def client(self) -> AsyncAnthropic:
        loop = asyncio.get_running_loop()
        if (client := self._clients.get(loop)) is None:
            # api_key and base_url come from ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, as the SDK reads them.
            client = self._clients[loop] = AsyncAnthropic(max_retries=self.max_retries, timeout=self.timeout,
                                                          middleware=[_Policy(self.max_retry_after, self.pacer)])
        return client

    async def complete(self, request: LLMRequest) -> LLMReply:
        params = message_params(request, self.model)  # the request batch mode sends too
        holder = _LastResponse()
        token = _last_response.set(holder)
        try:
            reply = await self.client().messages.parse(**params, output_format=request.output_model)
        except pydantic.ValidationError as exc:
            return self._invalid(holder, exc)
        except anthropic.APIError as exc:
            raise _classify(exc) from None
        finally:
            _last_response.reset(token)
        text = "".join(getattr(block, "text", "") for block in reply.content)
        return LLMReply(text=text, parsed=reply.parsed_output, error=None, usage=_usage(reply.usage),
                        model=reply.model or self.model)

    def _invalid(self, holder: _LastResponse, exc: pydantic.ValidationError) -> LLMReply:
        """A reply that did not validate still cost tokens: account them from the raw response."""
        body: dict[str, Any] = {}
        if holder.response is not None:
            try:
                body = holder.response.json()
            except ValueError:
                body = {}
        usage = body.get("usage") or {}
        text = "".join(b.get("text", "") for b in body.get("content", []) if isinstance(b, dict))
        reason = "The reply did not match the JSON schema:\n" + "\n".join(
            f"- {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:20])
        return LLMReply(text=text, parsed=None, error=reason, model=body.get("model") or self.model,
                        usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0),
                                    int(usage.get("cache_read_input_tokens") or 0),
                                    int(usage.get("cache_creation_input_tokens") or 0)))

    def cost(self, usage: Usage) -> Decimal:
        return cost_usd(self.model, usage, price=self._price) if self._price is not None else Decimal("0")

    async def health_check(self) -> Health:
        """Count the tokens of a one-word message: authenticated, names the model, bills nothing."""
        try:
            counted = await self.client().messages.count_tokens(
                model=self.model, messages=[{"role": "user", "content": "ping"}])
        except anthropic.APIError as exc:
            return _unhealthy(exc, self.model)
        return Health(True, f"key accepted, model {self.model} known", tokens=counted.input_tokens)

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


def _unhealthy(exc: anthropic.APIError, model: str) -> Health:
    """What a failed health check says; like _classify, never a header or the key."""
    if isinstance(exc, anthropic.APIConnectionError):  # timeouts included
        return Health(False, f"no answer from the API ({type(exc).__name__})", "unreachable")
    status = getattr(exc, "status_code", None)
    kind = getattr(exc, "type", None) or type(exc).__name__
    if status in (401, 403):
        return Health(False, f"the API key was refused ({status} {kind})", "auth")
    if status == 404:
        return Health(False, f"the API does not know the model {model} (404 {kind})", "model")
    if status in _RETRY_STATUSES:
        return Health(False, f"the API is busy ({status} {kind}); the key was not refused", "busy")
    return Health(False, f"the API answered {status} {kind}", "other")
