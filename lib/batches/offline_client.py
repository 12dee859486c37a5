"""The offline provider's "batch": made and ended at once, its replies from the offline extractor.

Nothing is kept in memory: the results are rebuilt from the batch's durable items (the extractor is
deterministic), so a batch a dead process submitted is collected by the next one like any other."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from lib.batches.client import BatchInfo, BatchRequest, ResultLine
from lib.db.batches import Counts
from lib.errors import MessageBatchError
from lib.llm.base import LLMProvider, LLMReply, LLMRequest

PREFIX = "offline-"
# The requests of a batch, by its tag: (custom_id, request) rebuilt from the stored items.
RequestLoader = Callable[[str], Awaitable[list[tuple[str, LLMRequest]]]]


class OfflineBatchClient:
    provider = "offline"

    def __init__(self, extractor: LLMProvider, load_requests: RequestLoader) -> None:
        self.extractor = extractor
        self.load_requests = load_requests

    def prepare(self, custom_id: str, request: LLMRequest) -> BatchRequest:
        return BatchRequest(custom_id, request, {}, len(request.transcript.content) + len(request.system))

    async def create(self, tag: str, requests: list[BatchRequest]) -> BatchInfo:
        now = datetime.now(UTC)
        return BatchInfo(PREFIX + tag, "ended", Counts(succeeded=len(requests)), now, now + timedelta(hours=24), now)

    async def retrieve(self, batch_id: str) -> BatchInfo:
        requests = await self.load_requests(self._tag(batch_id))
        now = datetime.now(UTC)
        return BatchInfo(batch_id, "ended", Counts(succeeded=len(requests)), now, now + timedelta(hours=24), now)

    async def cancel(self, batch_id: str) -> BatchInfo:
        return await self.retrieve(batch_id)  # it has ended already

    async def results(self, batch_id: str) -> AsyncGenerator[ResultLine, None]:
        for custom_id, request in await self.load_requests(self._tag(batch_id)):
            reply = await self.extractor.complete(request)
            yield ResultLine(custom_id, "succeeded", reply=_as_batch(reply))

    async def find(self, tag: str, since: datetime, until: datetime, known: set[str]) -> BatchInfo | None:
        """The offline create has no side effect to lose: an intent's batch is its tag's."""
        return await self.retrieve(PREFIX + tag)

    async def undecided(self, since: datetime, until: datetime, known: set[str]) -> bool:
        return False

    @staticmethod
    def _tag(batch_id: str) -> str:
        if not batch_id.startswith(PREFIX):
            raise MessageBatchError(f"{batch_id} is not an offline batch", retryable=False)
        return batch_id.removeprefix(PREFIX)


def _as_batch(reply: LLMReply) -> LLMReply:
    return replace(reply, batch=True, cost_usd=Decimal("0"))
