"""The Message Batches API through the SDK (`client.messages.batches`), on the provider's own client.

The create call runs with max_retries=0: a POST the SDK retried after a lost answer would create a
second batch and bill every request twice. A lost answer is an uncertain create instead, settled by
recovery (lib/batches/recover.py), which finds the batch by the intent's tag in its custom_ids.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

import anthropic
import pydantic

from lib.agents import AGENTS
from lib.batches.client import BatchInfo, BatchRequest, ResultLine
from lib.batches.ids import parse_custom_id
from lib.db.batches import Counts
from lib.errors import MessageBatchError
from lib.llm.anthropic import AnthropicProvider
from lib.llm.base import LLMReply, LLMRequest, Usage
from lib.llm.pricing import cost_usd
from lib.llm.requests import batch_params

_RETRYABLE = {408, 409, 429, 500, 502, 503, 504, 529}
LIST_PAGE = 100


def _info(batch: Any) -> BatchInfo:
    c = batch.request_counts
    return BatchInfo(batch.id, batch.processing_status,
                     Counts(c.processing, c.succeeded, c.errored, c.canceled, c.expired),
                     batch.created_at, batch.expires_at, batch.ended_at)


def _usage(raw: Any) -> Usage:
    return Usage(int(raw.input_tokens or 0), int(raw.output_tokens or 0), int(raw.cache_read_input_tokens or 0),
                 int(raw.cache_creation_input_tokens or 0))


def schema_reason(exc: pydantic.ValidationError) -> str:
    """Why a reply was rejected, written for the model to read (as the interactive path words it)."""
    return "The reply did not match the JSON schema:\n" + "\n".join(
        f"- {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:20])


class AnthropicBatchClient:
    provider = "anthropic"

    def __init__(self, llm: AnthropicProvider) -> None:
        self.llm = llm
        self.model = llm.model

    def prepare(self, custom_id: str, request: LLMRequest) -> BatchRequest:
        params = batch_params(request, self.model)
        return BatchRequest(custom_id, request, params, len(json.dumps(params)) + len(custom_id))

    async def create(self, tag: str, requests: list[BatchRequest]) -> BatchInfo:
        client = self.llm.client().with_options(max_retries=0)
        body: Any = [{"custom_id": r.custom_id, "params": r.params} for r in requests]
        try:
            batch = await client.messages.batches.create(requests=body)
        except anthropic.APIConnectionError:  # timeouts too: the batch may exist without our knowing
            raise MessageBatchError("no answer to the batch create call", uncertain=True, batch=tag) from None
        except anthropic.APIStatusError as exc:  # an answer: no batch was made
            message = f"batch create refused: {exc.status_code} {str(getattr(exc, 'api_message', '') or '')[:200]}"
            raise MessageBatchError(message, retryable=exc.status_code in _RETRYABLE, batch=tag) from None
        return _info(batch)

    async def retrieve(self, batch_id: str) -> BatchInfo:
        try:
            return _info(await self.llm.client().messages.batches.retrieve(batch_id))
        except anthropic.APIError as exc:
            raise MessageBatchError(f"could not read batch {batch_id}: {type(exc).__name__}", batch=batch_id) from None

    async def cancel(self, batch_id: str) -> BatchInfo:
        return _info(await self.llm.client().messages.batches.cancel(batch_id))

    async def results(self, batch_id: str) -> AsyncGenerator[ResultLine, None]:
        decoder = await self.llm.client().messages.batches.results(batch_id)
        try:
            async for line in decoder:
                yield self._line(line)
        finally:
            await decoder.close()

    def _line(self, line: Any) -> ResultLine:
        result = line.result
        if result.type == "succeeded":
            return ResultLine(line.custom_id, "succeeded", reply=self._reply(line.custom_id, result.message))
        if result.type == "errored":
            error = result.error.error
            return ResultLine(line.custom_id, "errored", error_type=error.type, error=str(error.message)[:200])
        return ResultLine(line.custom_id, result.type)

    def _reply(self, custom_id: str, message: Any) -> LLMReply:
        """Parsed like `messages.parse` parses an interactive reply, priced at the batch price."""
        usage = _usage(message.usage)
        text = "".join(getattr(block, "text", "") for block in message.content)
        model = message.model or self.model
        cost = cost_usd(model, usage, batch=True)
        parsed_id = parse_custom_id(custom_id)
        if parsed_id is None:
            return LLMReply(text, None, f"unknown custom_id {custom_id}", usage, model, cost, batch=True)
        try:
            parsed = AGENTS[parsed_id.agent_type].output_model.model_validate_json(text)
        except pydantic.ValidationError as exc:
            return LLMReply(text, None, schema_reason(exc), usage, model, cost, batch=True)
        return LLMReply(text, parsed, None, usage, model, cost, batch=True)

    async def _window(self, since: datetime, until: datetime, known: set[str]) -> list[BatchInfo]:
        """The account's batches created in [since, until] that we have not recorded (newest first)."""
        found: list[BatchInfo] = []
        async for batch in self.llm.client().messages.batches.list(limit=LIST_PAGE):
            if batch.created_at < since:
                break
            if batch.created_at <= until and batch.id not in known:
                found.append(_info(batch))
        return found

    async def find(self, tag: str, since: datetime, until: datetime, known: set[str]) -> BatchInfo | None:
        for candidate in await self._window(since, until, known):
            if candidate.status != "ended":
                continue
            try:
                first = await self._first_tag(candidate.id)
            except anthropic.AnthropicError:  # another tool's batch whose results are gone: not ours
                continue
            if first == tag:
                return candidate
        return None

    async def undecided(self, since: datetime, until: datetime, known: set[str]) -> bool:
        return any(c.status != "ended" for c in await self._window(since, until, known))

    async def _first_tag(self, batch_id: str) -> str | None:
        async with aclosing(self.results(batch_id)) as lines:
            async for line in lines:
                parsed = parse_custom_id(line.custom_id)
                return parsed.tag if parsed else None
        return None
