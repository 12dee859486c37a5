"""Poll batches until they end, with backoff, bounded by their expiry. Polling reads batch status
only: it holds no LLM slot and makes no model call."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.batches.context import BatchContext
from lib.db.batches import StoredBatch

# The API ends every batch by its expiry (24 h after creation); past this grace, stop waiting and leave
# the batch to a later run's collect.
EXPIRY_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class Backoff:
    first: float = 5.0
    factor: float = 1.5
    cap: float = 300.0  # most batches end within an hour: a few minutes between polls is plenty
    jitter: float = 0.2

    def next(self, delay: float) -> float:
        return min(delay * self.factor, self.cap)

    def jittered(self, delay: float) -> float:
        return delay * (1 + self.jitter * (2 * random.random() - 1))


DEFAULT_BACKOFF = Backoff()


async def refresh(ctx: BatchContext, batch: StoredBatch) -> StoredBatch:
    """Ask the API where a submitted batch stands and record it."""
    if batch.api_batch_id is None or batch.status not in ("in_progress", "canceling"):
        return batch
    info = await ctx.client.retrieve(batch.api_batch_id)
    await ctx.batches.update_status(batch.id, info.status, info.counts, info.ended_at)
    return await ctx.batches.get(batch.id) or batch


async def wait_until_ended(ctx: BatchContext, batch_ids: list[int], *, backoff: Backoff = DEFAULT_BACKOFF,
                           sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> list[StoredBatch]:
    """The batches, once every one has ended (or is past its expiry and the grace); the last state of each."""
    latest = {b.id: b for b in [await ctx.batches.get(i) for i in batch_ids] if b is not None}
    delay = backoff.first
    while True:
        for batch_id, batch in list(latest.items()):
            latest[batch_id] = await refresh(ctx, batch)
        waiting = [b for b in latest.values() if b.status in ("in_progress", "canceling") and not _past_expiry(b)]
        if not waiting:
            return list(latest.values())
        await sleep(backoff.jittered(delay))
        delay = backoff.next(delay)


def _past_expiry(batch: StoredBatch) -> bool:
    return batch.expires_at is not None and datetime.now(UTC) > batch.expires_at + EXPIRY_GRACE
