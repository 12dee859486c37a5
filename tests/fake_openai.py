"""A fake OpenAI chat-completions server on 127.0.0.1 (what Ollama, vLLM, llama.cpp's server, LM Studio and
LiteLLM speak), for the official `openai` client. Written from the API reference
(platform.openai.com/docs/api-reference/chat/create, .../models/list, the structured-outputs guide and the
rate-limits guide):

- `POST /v1/chat/completions`: `messages` (system/user/assistant), `model`, `max_completion_tokens`,
  `response_format` either `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}` (what
  `chat.completions.parse(response_format=Model)` sends) or `{"type": "json_object"}` (JSON mode: the schema
  is then read from the system prompt, as a model would). The reply: `{"id", "object": "chat.completion",
  "created", "model", "choices": [{"index": 0, "message": {"role": "assistant", "content", "refusal": null},
  "finish_reason": "stop"|"length"}], "usage": {"prompt_tokens", "completion_tokens", "total_tokens",
  "prompt_tokens_details": {"cached_tokens"}}}`.
- `GET /v1/models`: `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}`.
- Errors: `{"error": {"message", "type", "param", "code"}}`; 401 `invalid_api_key`; 404 `model_not_found`;
  429 with `retry-after`; `refuse_schemas=True` answers a json_schema response format 400 (a server without
  structured output).
- `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` on every reply when `rate_limits` is set (the
  reset a duration such as `1.5s`); `send_ratelimit_headers=False` sends none (a local server).

The answers themselves (JSON instances of the schema built from transcript excerpts, faults by script:
"malformed", "ungrounded", "429:S", "500", "hang", ...) are the fake Messages API's: the request is
translated to a Messages request, answered there, and translated back.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.fake_messages_api import FakeMessagesAPI, HttpRequest, HttpResponse, Json

_SCHEMA_IN_PROMPT = "matching this JSON schema:\n"


def _openai_error(status: int, message: str, kind: str, code: str | None = None, param: str | None = None,
                  headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, {"error": {"message": message, "type": kind, "param": param, "code": code}},
                        {"x-request-id": "req_fake", **(headers or {})})


class FakeOpenAI(FakeMessagesAPI):
    def __init__(self, *args: Any, refuse_schemas: bool = False, served_models: set[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refuse_schemas = refuse_schemas
        self.served_models = served_models  # None: any model is served
        self.send_ratelimit_headers = True
        self.schema_refusals = 0

    def reset(self) -> None:
        super().reset()
        self.refuse_schemas, self.send_ratelimit_headers, self.schema_refusals = False, True, 0

    def chat_calls(self) -> int:
        return self.stats().by_path.get("POST /v1/chat/completions", 0)

    async def _respond(self, request: HttpRequest, reader: asyncio.StreamReader) -> HttpResponse:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        try:
            body: Json = json.loads(request.body) if request.body else None
        except ValueError:
            self._record(request, None)
            return _openai_error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        self._record(request, body)
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            self._outcome("401")
            return _openai_error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if request.method == "GET" and request.path == "/v1/models":
            models = sorted(self.served_models or {"llama3.1:8b"})
            return HttpResponse(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "library"} for m in models]})
        if (request.method, request.path) != ("POST", "/v1/chat/completions"):
            return _openai_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")
        return self._ratelimited(await self._chat(request, body, reader))

    async def _chat(self, request: HttpRequest, body: Json, reader: asyncio.StreamReader) -> HttpResponse:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            return _openai_error(400, "messages and model are required", "invalid_request_error")
        model = str(body["model"])
        if self.served_models is not None and model not in self.served_models:
            self._outcome("404")
            return _openai_error(404, f"The model `{model}` does not exist or you do not have access to it.",
                                 "invalid_request_error", "model_not_found")
        fmt = body.get("response_format") or {}
        schema = self._schema(body, fmt)
        if fmt.get("type") == "json_schema" and self.refuse_schemas:
            self.schema_refusals += 1
            self._outcome("400 schema")
            return _openai_error(400, "response_format of type json_schema is not supported by this server",
                                 "invalid_request_error", param="response_format")
        system = "\n".join(str(m.get("content", "")) for m in body["messages"] if m.get("role") == "system")
        messages = [{"role": m["role"], "content": m.get("content") or ""}
                    for m in body["messages"] if m.get("role") in ("user", "assistant")]
        anthropic_body: dict[str, Json] = {
            "model": model, "max_tokens": int(body.get("max_completion_tokens") or body.get("max_tokens") or 4096),
            "system": [{"type": "text", "text": system}], "messages": messages}
        if schema is not None:
            anthropic_body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        raw = json.dumps(anthropic_body, sort_keys=True).encode()
        answer = await self._messages(anthropic_body, raw, "req", request.arrived, reader)
        if answer.status != 200:
            error = answer.payload.get("error", {}) if isinstance(answer.payload, dict) else {}
            status = 503 if answer.status == 529 else answer.status
            kinds = {429: "rate_limit_exceeded", 401: "invalid_request_error", 400: "invalid_request_error"}
            retry = {k: v for k, v in answer.headers.items() if k.startswith("retry-after")}
            return _openai_error(status, str(error.get("message", "error")), kinds.get(status, "server_error"),
                                 headers=retry)
        message = answer.payload
        usage = message["usage"]
        prompt = usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
        return HttpResponse(200, {
            "id": f"chatcmpl-{message['id']}", "object": "chat.completion", "created": int(time.time()),
            "model": message["model"], "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "logprobs": None,
                         "finish_reason": "length" if message["stop_reason"] == "max_tokens" else "stop",
                         "message": {"role": "assistant", "content": message["content"][0]["text"],
                                     "refusal": None}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": usage["output_tokens"],
                      "total_tokens": prompt + usage["output_tokens"],
                      "prompt_tokens_details": {"cached_tokens": usage["cache_read_input_tokens"]}},
        }, {"x-request-id": "req_fake"})

    def _schema(self, body: dict[str, Json], fmt: dict[str, Json]) -> dict[str, Json] | None:
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
            return schema if isinstance(schema, dict) else None
        if fmt.get("type") == "json_object":  # JSON mode: the model reads the schema from the prompt
            for m in body["messages"]:
                content = str(m.get("content") or "")
                if m.get("role") == "system" and _SCHEMA_IN_PROMPT in content:
                    try:
                        found = json.loads(content.split(_SCHEMA_IN_PROMPT, 1)[1])
                    except ValueError:
                        return None
                    return found if isinstance(found, dict) else None
        return None

    def _ratelimited(self, response: HttpResponse) -> HttpResponse:
        """OpenAI's names for the account's buckets (when `rate_limits` is set): tokens are input tokens here."""
        buckets = self.rate_limits
        if buckets is None or not self.send_ratelimit_headers:
            return response
        headers, wall = buckets.headers(), time.time()
        for ours, theirs in (("requests", "requests"), ("input-tokens", "tokens")):
            if f"anthropic-ratelimit-{ours}-limit" not in headers:
                continue
            from datetime import datetime

            reset = datetime.fromisoformat(headers[f"anthropic-ratelimit-{ours}-reset"].replace("Z", "+00:00"))
            response.headers[f"x-ratelimit-limit-{theirs}"] = headers[f"anthropic-ratelimit-{ours}-limit"]
            response.headers[f"x-ratelimit-remaining-{theirs}"] = headers[f"anthropic-ratelimit-{ours}-remaining"]
            response.headers[f"x-ratelimit-reset-{theirs}"] = f"{max(reset.timestamp() - wall, 0):.3f}s"
        for name in [k for k in response.headers if k.startswith("anthropic-ratelimit-")]:
            del response.headers[name]
        return response
