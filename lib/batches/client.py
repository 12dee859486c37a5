"""What the batch machinery needs from a provider: create, retrieve, results, list, cancel. The
Anthropic client speaks the Message Batches API through the SDK; the offline client answers at once
with the offline extractor, so tests and the demo follow the same path without a key."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from lib.db.batches import Counts, Outcome
from lib.llm.base import LLMReply, LLMRequest

ApiStatus = Literal["in_progress", "canceling", "ended"]


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    request: LLMRequest
    params: dict[str, Any]  # the Message Batch request's params ({} for the offline client)
    size: int  # bytes it adds to the create call's body


@dataclass(frozen=True)
class BatchInfo:
    id: str
    status: ApiStatus
    counts: Counts
    created_at: datetime
    expires_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class ResultLine:
    """One request's end: a reply to validate and ground, or why there is none."""

    custom_id: str
    outcome: Outcome
    reply: LLMReply | None = None
    error_type: str | None = None  # errored: the API's error type (invalid_request_error, api_error, ...)
    error: str | None = None


class BatchClient(Protocol):
    provider: str  # "anthropic" or "offline", as stored in message_batches.provider

    def prepare(self, custom_id: str, request: LLMRequest) -> BatchRequest: ...

    async def create(self, tag: str, requests: list[BatchRequest]) -> BatchInfo:
        """Raises MessageBatchError: uncertain=True when the batch may exist anyway (no answer came back)."""
        ...

    async def retrieve(self, batch_id: str) -> BatchInfo: ...

    def results(self, batch_id: str) -> AsyncGenerator[ResultLine, None]: ...

    async def find(self, tag: str, since: datetime, until: datetime, known: set[str]) -> BatchInfo | None:
        """The batch created for intent `tag` between since and until, if one exists and can be
        recognised now; None otherwise."""
        ...

    async def undecided(self, since: datetime, until: datetime, known: set[str]) -> bool:
        """Whether a batch created in the window is still running, so an intent cannot yet be ruled out."""
        ...

    async def cancel(self, batch_id: str) -> BatchInfo: ...
