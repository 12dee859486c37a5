"""An OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio, a
LiteLLM gateway) through the official `openai` client, one per event loop.

- Structured output: `chat.completions.parse(response_format=Model)` (a strict JSON-schema response format).
  A server that refuses schemas (a 400 or 422 naming the response format or schema) is asked again in JSON
  mode (`{"type": "json_object"}`) with the schema in the system prompt, and this provider keeps to JSON
  mode from then on. A reply that does not validate goes back to `BaseAgent`, which re-asks with the
  reason, as for Claude.
- Retries: the SDK retries 408/409/429/5xx and lost connections (SDK_MAX_RETRIES times, obeying
  `retry-after`, which a response hook caps at MAX_RETRY_AFTER_SECONDS: the SDK would not retry at all past
  its own maximum); what outlives them is RetryableAgentError or PermanentAgentError.
- Pacing: each HTTP attempt's `x-ratelimit-*` headers, when the server sends them, feed the pacer (as the
  Anthropic headers do); a server without them is paced by ASMIS_LLM_CONCURRENCY alone.
- Credentials: `OPENAI_API_KEY` (optional for a local server), `OPENAI_BASE_URL` (default OpenAI's API).
- Prompt caching is the server's business (OpenAI caches long prefixes on its own and reports
  `cached_tokens`, recorded as cache reads).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import weakref
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import openai
import pydantic
from pydantic import BaseModel

from lib.errors import PermanentAgentError, RetryableAgentError
from lib.llm.base import Health, LLMReply, LLMRequest, Usage, render_transcript
from lib.llm.pacing import Pacer
from lib.llm.pricing import cost_usd, price_for, warn_unknown_price
from lib.llm.ratelimit_headers import cap_retry_after, openai_as_anthropic

SDK_MAX_RETRIES = 2
MAX_RETRY_AFTER_SECONDS = 60.0  # the SDK gives up on a longer retry-after: it is capped to this instead
DEFAULT_BASE_URL = "https://api.openai.com/v1"
_LOCAL_KEY = "not-needed"  # local servers take any key; the SDK insists on one
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


@dataclass
class _LastResponse:
    response: httpx.Response | None = None


_last_response: ContextVar[_LastResponse | None] = ContextVar("asmis_openai_last_response", default=None)


def openai_base_url() -> str:
    return os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


def _schema_refused(exc: openai.APIStatusError) -> bool:
    """The server will not take a JSON-schema response format (llama.cpp's, older vLLM, some gateways)."""
    if exc.status_code not in (400, 422, 501):
        return False
    text = f"{exc.message} {exc.body}".lower()
    return "response_format" in text or "schema" in text or "json_schema" in text


def _classify(exc: openai.APIError) -> Exception:
    """An SDK error that outlived the SDK's retries; never a header or the key."""
    if isinstance(exc, openai.APITimeoutError):
        return RetryableAgentError("the LLM call timed out")
    if isinstance(exc, openai.APIConnectionError):
        return RetryableAgentError(f"could not reach the LLM server at {_host()}")
    status = getattr(exc, "status_code", None)
    body = exc.body if isinstance(exc.body, dict) else {}
    kind = str((body.get("error") or {}).get("type") if isinstance(body.get("error"), dict) else "") or type(exc).__name__
    message = f"LLM server {status} {kind}: {str(exc.message)[:200]}"
    if status in _RETRY_STATUSES:
        return RetryableAgentError(message, status=status)
    if status == 401 or status == 403:
        return PermanentAgentError(message + " (OPENAI_API_KEY refused)", status=status)
    if status == 404:
        return PermanentAgentError(message + " (is ASMIS_MODEL a model the server serves?)", status=status)
    return PermanentAgentError(message, status=status)


def _host() -> str:
    return httpx.URL(openai_base_url()).host or openai_base_url()


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    details = getattr(raw, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    prompt = int(getattr(raw, "prompt_tokens", 0) or 0)
    return Usage(input_tokens=prompt - cached, output_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
                 cache_read_tokens=cached)


def _schema_errors(exc: pydantic.ValidationError) -> str:
    return "The reply did not match the JSON schema:\n" + "\n".join(
        f"- {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:20])


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def _json_text(text: str) -> str:
    """A JSON-mode reply without the Markdown fence some local models wrap it in."""
    match = _FENCE.match(text)
    return match.group(1) if match else text


class OpenAIProvider:
    name = "openai"

    def __init__(self, model: str, *, max_retries: int = SDK_MAX_RETRIES, timeout: float = 600.0,
                 pacing: bool = True, pacer: Pacer | None = None, price: str | None = None,
                 json_mode: bool = False, max_retry_after: float = MAX_RETRY_AFTER_SECONDS) -> None:
        self.model = model
        self.max_retry_after = max_retry_after
        self.pacer = (pacer or Pacer()) if pacing else None
        self.max_retries = max_retries
        self.timeout = timeout
        self.json_mode = json_mode  # set once a server has refused a JSON-schema response format
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary())
        self._price = price_for(model, self.name, base_url=openai_base_url(), override=price)
        self.price_known = self._price is not None
        if not self.price_known:
            warn_unknown_price(self.name, model)

    def client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if (client := self._clients.get(loop)) is None:
            hooks: dict[str, list[Any]] = {"request": [self._before_attempt], "response": [self._after_attempt]}
            client = self._clients[loop] = openai.AsyncOpenAI(
                base_url=openai_base_url(), api_key=os.environ.get("OPENAI_API_KEY") or _LOCAL_KEY,
                max_retries=self.max_retries, timeout=httpx.Timeout(self.timeout, connect=10.0),
                http_client=openai.DefaultAsyncHttpxClient(event_hooks=hooks))
        return client

    async def _before_attempt(self, request: httpx.Request) -> None:
        """An SDK retry attempt waits for a turn like a new call (the SDK numbers its attempts)."""
        if self.pacer is not None and request.headers.get("x-stainless-retry-count", "0") not in ("", "0"):
            await self.pacer.before_retry()

    async def _after_attempt(self, response: httpx.Response) -> None:
        if response.status_code == 200 and (holder := _last_response.get()) is not None:
            holder.response = response
        if self.pacer is not None:
            translated = openai_as_anthropic(response.headers, time.time())
            if translated:  # before the cap: the server's own ask
                self.pacer.observe(response.status_code, translated)
        if response.status_code in _RETRY_STATUSES:
            cap_retry_after(response.headers, self.max_retry_after)

    def messages(self, request: LLMRequest, *, json_mode: bool) -> Any:
        system = request.system
        if json_mode:
            schema = json.dumps(request.output_model.model_json_schema(), separators=(",", ":"))
            system += ("\n\nReply with one JSON object only, no prose and no Markdown, matching this JSON schema:\n"
                       + schema)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                          {"role": "user", "content": render_transcript(request.transcript)}]
        for retry in request.retries:
            messages += [{"role": "assistant", "content": retry.reply_text or "(empty reply)"},
                         {"role": "user", "content": f"Your answer was rejected: {retry.reason}\nAnswer again."}]
        return messages

    async def complete(self, request: LLMRequest) -> LLMReply:
        if not self.json_mode:
            try:
                return await self._parse(request)
            except openai.APIStatusError as exc:
                if not _schema_refused(exc):
                    raise _classify(exc) from None
                self.json_mode = True  # this server takes no schemas: JSON mode from now on
            except openai.APIError as exc:
                raise _classify(exc) from None
        try:
            return await self._json(request)
        except openai.APIError as exc:
            raise _classify(exc) from None

    async def _parse(self, request: LLMRequest) -> LLMReply:
        holder = _LastResponse()
        token = _last_response.set(holder)
        try:
            completion = await self.client().chat.completions.parse(
                model=self.model, messages=self.messages(request, json_mode=False),
                max_completion_tokens=request.max_tokens, response_format=request.output_model)
        except pydantic.ValidationError as exc:  # the SDK's own parse of a reply that broke the schema
            return self._invalid(holder.response, exc)
        except openai.LengthFinishReasonError as exc:
            return LLMReply(text="", parsed=None, usage=_usage(exc.completion.usage), model=self.model,
                            error="The reply was cut off at the token limit; answer more briefly.")
        finally:
            _last_response.reset(token)
        return self._reply(completion, request.output_model)

    def _invalid(self, response: httpx.Response | None, exc: pydantic.ValidationError) -> LLMReply:
        """A reply that did not validate still cost tokens: account them from the raw response."""
        body: dict[str, Any] = {}
        if response is not None:
            try:
                body = response.json()
            except ValueError:
                body = {}
        usage = body.get("usage") or {}
        choices = body.get("choices") or [{}]
        text = str(((choices[0] or {}).get("message") or {}).get("content") or "")
        cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        return LLMReply(text=text, parsed=None, error=_schema_errors(exc), model=body.get("model") or self.model,
                        usage=Usage(int(usage.get("prompt_tokens") or 0) - cached,
                                    int(usage.get("completion_tokens") or 0), cache_read_tokens=cached))

    async def _json(self, request: LLMRequest) -> LLMReply:
        completion = await self.client().chat.completions.create(
            model=self.model, messages=self.messages(request, json_mode=True),
            max_completion_tokens=request.max_tokens, response_format={"type": "json_object"})
        return self._reply(completion, request.output_model)

    def _reply(self, completion: Any, output_model: type[BaseModel]) -> LLMReply:
        """Validate the reply ourselves: a reply that breaks the schema is a re-ask, not an exception."""
        usage, model = _usage(completion.usage), completion.model or self.model
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice is not None else None
        text = (message.content or "") if message is not None else ""
        if message is not None and getattr(message, "refusal", None):
            return LLMReply(text=text, parsed=None, error=f"The model refused: {message.refusal[:200]}",
                            usage=usage, model=model)
        if choice is not None and choice.finish_reason == "length":
            return LLMReply(text=text, parsed=None, usage=usage, model=model,
                            error="The reply was cut off at the token limit; answer more briefly.")
        try:
            parsed = output_model.model_validate_json(_json_text(text))
        except pydantic.ValidationError as exc:
            return LLMReply(text=text, parsed=None, error=_schema_errors(exc), usage=usage, model=model)
        return LLMReply(text=text, parsed=parsed, error=None, usage=usage, model=model)

    def cost(self, usage: Usage) -> Decimal:
        return cost_usd(self.model, usage, price=self._price) if self._price is not None else Decimal("0")

    async def health_check(self) -> Health:
        """List the server's models: authenticated, names the model, bills nothing."""
        try:
            listed = [m.id async for m in self.client().models.list()]
        except openai.APIConnectionError as exc:  # timeouts included
            return Health(False, f"no answer from {_host()} ({type(exc).__name__})", "unreachable")
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status in (401, 403):
                return Health(False, f"the API key was refused ({status})", "auth")
            if status in _RETRY_STATUSES:
                return Health(False, f"the server is busy ({status}); the key was not refused", "busy")
            return Health(False, f"the server answered {status}", "other")
        if self.model not in listed:
            shown = ", ".join(sorted(listed)[:8]) or "none"
            return Health(False, f"the server does not serve the model {self.model} (it lists {shown})", "model")
        return Health(True, f"key accepted, model {self.model} served")

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()
